#!/usr/bin/env python3
"""Draws the tables of docs/benchmark_results.json (written by bench/compare_pyg.sh) as PNGs:

  bench_epoch_time.png         CPU time per epoch per system and configuration, per dataset (log scale)
  bench_bytes_per_epoch.png    halo bytes per rank per epoch for each bit width, 8/16/64 parts
  bench_accuracy_vs_bits.png   Tango's test accuracy against halo bits, with PyG's fp32 reference

  scripts/plot_bench.py docs/benchmark_results.json [--out docs/img]

Needs matplotlib (bench/compare_pyg.sh runs it from its venv, BUILD/bench-venv). Images are small
(100 dpi) so they can live in the repository.
"""
import argparse
import json
import os
import sys


def save(fig, path):
    tmp = f"{path}.tmp.{os.getpid()}.png"
    fig.savefig(tmp, dpi=100, bbox_inches="tight")
    os.replace(tmp, path)
    print(f"plot_bench.py: wrote {path} ({os.path.getsize(path) // 1024} KiB)")


def epoch_time(results, plt, out):
    rows = [r for r in results["speed"] if r["run"]]
    if not rows:
        return
    datasets = [d for d in ("cora", "facebook", "synth1m") if any(r["dataset"] == d for r in rows)]
    configs = [("PyG (csr)", 1, "fp32"), ("PyG (edge_index)", 1, "fp32"), ("Tango", 1, "fp32"),
               ("Tango", 1, "int8"), ("Tango", 2, "fp32"), ("Tango", 2, "int8")]
    fig, ax = plt.subplots(figsize=(9, 4))
    width = 0.13
    for i, (system, ranks, precision) in enumerate(configs):
        xs, ys = [], []
        for j, d in enumerate(datasets):
            hit = [r for r in rows if (r["dataset"], r["system"], r["ranks"], r["precision"]) == (d, system, ranks, precision)]
            if hit:
                xs.append(j + (i - 2.5) * width)
                ys.append(hit[0]["cpu_ms"] or hit[0]["epoch_ms"])
        label = f"{system} fp32" if system.startswith("PyG") else f"Tango {ranks} rank{'s' if ranks > 1 else ''} {precision}"
        bars = ax.bar(xs, ys, width, label=label)
        for b, y in zip(bars, ys):
            ax.annotate(f"{y:.0f}" if y >= 10 else f"{y:.1f}", (b.get_x() + b.get_width() / 2, y),
                        ha="center", va="bottom", fontsize=7)
    ax.set_yscale("log")
    ax.set_xticks(range(len(datasets)), datasets)
    ax.set_ylabel("CPU ms per epoch, all ranks (log scale)")
    ax.set_title("GCN epoch (forward + backward + step), 1 thread per process")
    ax.legend(fontsize=8, ncol=2)
    save(fig, os.path.join(out, "bench_epoch_time.png"))


def bytes_per_epoch(results, plt, out):
    rows = [r for r in results["cluster"] if r.get("model", "gcn") == "sage"] or results["cluster"]
    if not rows:
        return
    model = rows[0].get("model", "gcn").upper()
    parts = sorted({r["parts"] for r in rows})
    codecs = [c for c in ("fp32", "int8", "int4", "int2") if any(r["codec"] == c for r in rows)]
    fig, ax = plt.subplots(figsize=(7, 4))
    width = 0.8 / len(codecs)
    for i, c in enumerate(codecs):
        xs, ys = [], []
        for j, p in enumerate(parts):
            hit = [r for r in rows if r["parts"] == p and r["codec"] == c]
            if hit:
                xs.append(j + (i - (len(codecs) - 1) / 2) * width)
                ys.append(hit[0]["mean_bytes_per_rank"] / 1e6)
        bars = ax.bar(xs, ys, width, label=c)
        for b, y in zip(bars, ys):
            ax.annotate(f"{y:.2f}", (b.get_x() + b.get_width() / 2, y), ha="center", va="bottom", fontsize=7)
    ax.set_xticks(range(len(parts)), [f"{p} parts" for p in parts])
    ax.set_ylabel("halo MB sent per rank per epoch (mean)")
    ax.set_title(f"1M-node graph, {model} hidden 64: halo bytes by bit width (exact count)")
    ax.legend(fontsize=8)
    save(fig, os.path.join(out, "bench_bytes_per_epoch.png"))


def accuracy_vs_bits(results, plt, out):
    rows = results["accuracy_vs_bits"]
    if not rows:
        return
    fig, ax = plt.subplots(figsize=(6, 4))
    bits = [r["bits"] for r in rows]
    ax.errorbar(range(len(rows)), [r["mean"] for r in rows], yerr=[r["std"] or 0 for r in rows], marker="o",
                capsize=4, label="Tango GCN, 2 ranks, halos of B bits")
    ref = [a for a in results["pyg_accuracy"] if a["dataset"] == "cora" and a["model"] == "gcn"]
    if ref:
        ax.axhline(ref[0]["mean"], color="gray", linestyle="--", label=f"PyG GCN fp32 ({ref[0]['mean']:.1f})")
    ax.set_xticks(range(len(rows)), [("fp32" if b == 32 else f"int{b}") for b in bits])
    ax.set_xlabel("halo message bits (forward and backward)")
    ax.set_ylabel("cora test accuracy, % (mean ± std over seeds)")
    ax.set_title("Accuracy against halo bits")
    ax.legend(fontsize=8)
    save(fig, os.path.join(out, "bench_accuracy_vs_bits.png"))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("results", help="docs/benchmark_results.json")
    ap.add_argument("--out", default="docs/img", help="folder for the PNGs")
    args = ap.parse_args()
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        sys.exit("plot_bench.py: matplotlib is not installed (bench/compare_pyg.sh's venv has it)")
    with open(args.results) as f:
        results = json.load(f)
    os.makedirs(args.out, exist_ok=True)
    epoch_time(results, plt, args.out)
    bytes_per_epoch(results, plt, args.out)
    accuracy_vs_bits(results, plt, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
