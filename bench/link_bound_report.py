#!/usr/bin/env python3
"""Tables and plot of bench/link_bound.sh: Tango's modes against vanilla at each emulated link rate.

    bench/link_bound_report.py --runs DIR [--warmup W] [--nodes N] [--plot FILE.png]

Reads the runs named MODEL-MODE-LAYOUT-RATE-nNODES-eEPOCHS-rROUND.jsonl (tango-train --metrics: rank 0's
time_ms, all ranks' halo bytes) and prints markdown: per layout and model, one row per rate with vanilla's
epoch and communication share and every mode's speed-up over vanilla; for full Tango its halo bytes
against fp32, its own communication share and the share of its exchange time that the overlap hid; and
where full Tango's exchange time goes. Medians over the epochs after the warm-up of every round; every
ratio is against runs of the same script run. Communication = halo comm_wait (encode + wait + decode)
+ allreduce (gradients, loss).
"""

import argparse
import glob
import json
import os
import re
import statistics
import sys

MODES = ["vanilla", "int8", "halo8", "halo48", "adaptive", "overlap", "halo48-overlap", "tango-no-overlap", "tango", "tango-nearest"]
MODE_LABELS = {
    "vanilla": "vanilla",
    "int8": "int8 local",
    "halo8": "halo 8",
    "halo48": "halo 4/8",
    "adaptive": "adaptive",
    "overlap": "overlap",
    "halo48-overlap": "4/8 + overlap",
    "tango-no-overlap": "int8 + 4/8",
    "tango": "**Tango**",
    "tango-nearest": "Tango, nearest rounding",
}
MODEL_NAMES = {"gcn": "GCN 3 x 256", "sage": "SAGE 3 x 256", "gat": "GAT 3 x 4 heads x 64"}
NAME = re.compile(r"^(gcn|sage|gat)-(.+)-(\d+x\d+)-(\d+)([kmg])bit-n(\d+)-e(\d+)-r(\d+)\.jsonl$")
UNIT = {"k": 1e-3, "m": 1.0, "g": 1e3}


def comm_ms(epoch):
    return epoch["time_ms"]["comm_wait"] + epoch["time_ms"]["allreduce"]


def halo_ms(epoch, key):
    return sum(h.get(key, 0.0) for h in epoch.get("halo", []))


def load(runs, warmup, nodes):
    """{(layout, model, rate_mbit, mode): epoch records after the warm-up, all rounds}."""
    data = {}
    for path in sorted(glob.glob(os.path.join(runs, "*.jsonl"))):
        match = NAME.match(os.path.basename(path))
        if not match:
            continue
        model, mode, layout, rate, unit, n = match.group(1, 2, 3, 4, 5, 6)
        if nodes and int(n) != nodes:
            continue
        with open(path) as f:
            rows = [json.loads(line) for line in f if line.strip()]
        # Epochs that also evaluated (tango-train evaluates the last one) run an extra forward pass
        # with its exchanges: left out, so every cell times training alone.
        rows = [r for r in rows if r["epoch"] > warmup and "train_acc" not in r]
        if rows:
            data.setdefault((layout, model, int(rate) * UNIT[unit], mode), []).extend(rows)
    return data


def median(rows, key):
    return statistics.median(key(r) for r in rows)


def rate_name(mbit):
    return f"{mbit / 1e3:g} Gbit/s" if mbit >= 1e3 else f"{mbit:g} Mbit/s"


def summarize(data):
    """Per (layout, model, rate): the medians the tables and the plot need."""
    out = {}
    for (layout, model, rate, mode), rows in data.items():
        out.setdefault((layout, model, rate), {})[mode] = {
            "epoch": median(rows, lambda r: r["epoch_ms"]),
            "comm": median(rows, comm_ms),
            "compute": median(rows, lambda r: r["time_ms"]["compute"]),
            "sent": median(rows, lambda r: r["bytes_sent"]),
            "fp32": median(rows, lambda r: r["bytes_fp32"]),
            "encode": median(rows, lambda r: halo_ms(r, "encode_ms")),
            "window": median(rows, lambda r: halo_ms(r, "overlap_ms")),
            "wait": median(rows, lambda r: halo_ms(r, "wait_ms")),
            "decode": median(rows, lambda r: halo_ms(r, "decode_ms")),
            "allreduce": median(rows, lambda r: r["time_ms"]["allreduce"]),
            "samples": len(rows),
        }
    return out


def print_tables(summary):
    layouts = sorted({k[0] for k in summary})
    for layout in layouts:
        hosts, per_host = layout.split("x")
        print(f"\n### {hosts} hosts x {per_host} rank{'' if per_host == '1' else 's'} each\n")
        present = [m for m in MODES if any(m in v for k, v in summary.items() if k[0] == layout)]
        print("| model | link | vanilla ms | vanilla comm | "
              + " | ".join(MODE_LABELS[m] for m in present if m != "vanilla")
              + " | halo MB/epoch, vanilla -> Tango | Tango bytes vs fp32 | Tango comm | hidden by overlap |")
        print("|---|---|---|---|" + "---|" * (len(present) - 1) + "---|---|---|---|")
        for model in ("gcn", "sage", "gat"):
            for rate in sorted(r for (l, m, r) in summary if l == layout and m == model):
                s = summary[layout, model, rate]
                if "vanilla" not in s:
                    continue
                v = s["vanilla"]
                cells = [MODEL_NAMES[model], rate_name(rate), f"{v['epoch']:.0f}", f"{100 * v['comm'] / v['epoch']:.0f}%"]
                for m in present:
                    if m == "vanilla":
                        continue
                    cells.append(f"{v['epoch'] / s[m]['epoch']:.2f}x" if m in s else "")
                t, tn = s.get("tango"), s.get("tango-no-overlap")
                cells.append(f"{v['sent'] / 1e6:.1f} -> {t['sent'] / 1e6:.1f}" if t else f"{v['sent'] / 1e6:.1f}")
                cells.append(f"{t['sent'] / t['fp32']:.3f}" if t and t["fp32"] else "")
                cells.append(f"{100 * t['comm'] / t['epoch']:.0f}%" if t else "")
                cells.append(f"{100 * (1 - t['comm'] / tn['comm']):.0f}%" if t and tn and tn["comm"] > 0 else "")
                print("| " + " | ".join(cells) + " |")
        print("\nWhere full Tango's epoch goes (rank 0, ms; encode/wait/decode summed over its halo exchanges, "
              "window = compute between post and wait; vanilla's compute for comparison):\n")
        print("| model | link | epoch | compute | encode | window | wait | decode | allreduce | vanilla compute |")
        print("|---|---|---|---|---|---|---|---|---|---|")
        for model in ("gcn", "sage", "gat"):
            for rate in sorted(r for (l, m, r) in summary if l == layout and m == model):
                s = summary[layout, model, rate]
                if "tango" not in s:
                    continue
                t = s["tango"]
                vc = f"{s['vanilla']['compute']:.0f}" if "vanilla" in s else ""
                print(f"| {MODEL_NAMES[model]} | {rate_name(rate)} | {t['epoch']:.0f} | {t['compute']:.0f} "
                      f"| {t['encode']:.0f} | {t['window']:.0f} | {t['wait']:.0f} | {t['decode']:.0f} "
                      f"| {t['allreduce']:.0f} | {vc} |")


def plot(summary, path):
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
    from mpl_venv import ensure_matplotlib

    ensure_matplotlib(__file__, "link_bound_report")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    layouts = sorted({k[0] for k in summary})
    fig, axes = plt.subplots(1, len(layouts), figsize=(6.5 * len(layouts), 4.5), squeeze=False)
    for ax, layout in zip(axes[0], layouts):
        for model, color in (("gcn", "tab:blue"), ("sage", "tab:orange"), ("gat", "tab:green")):
            for mode, style in (("tango", "-o"), ("halo48-overlap", "-.v"), ("halo48", "--^"), ("overlap", ":s")):
                points = []
                for (l, m, rate), s in sorted(summary.items(), key=lambda kv: kv[0][2]):
                    if l == layout and m == model and mode in s and "vanilla" in s:
                        points.append((rate, s["vanilla"]["epoch"] / s[mode]["epoch"]))
                if points:
                    ax.plot(*zip(*points), style, color=color, label=f"{MODEL_NAMES[model]}: {MODE_LABELS[mode].strip('*')}")
        ax.set_xscale("log")
        rates = sorted({k[2] for k in summary if k[0] == layout})
        ax.set_xticks(rates)
        ax.set_xticklabels([f"{r:g}" for r in rates])
        ax.minorticks_off()
        ax.axhline(1.0, color="gray", linewidth=0.8)
        ax.set_xlabel("link rate per host (Mbit/s, tc tbf)")
        ax.set_ylabel("speed-up per epoch over vanilla")
        hosts, per_host = layout.split("x")
        ax.set_title(f"{hosts} emulated hosts x {per_host} CPU rank{'' if per_host == '1' else 's'} each")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    print(f"\nPlot: {path}", file=sys.stderr)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", required=True)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--nodes", type=int, default=0, help="only runs of this graph size (0: all)")
    p.add_argument("--plot", default="", help="write the speed-up plot here (PNG)")
    args = p.parse_args()
    data = load(args.runs, args.warmup, args.nodes)
    if not data:
        sys.exit(f"link_bound_report.py: no runs in {args.runs}")
    summary = summarize(data)
    if args.plot:
        plot(summary, args.plot)  # first: it may re-run this script inside the plot venv
    samples = sorted({v["samples"] for s in summary.values() for v in s.values()})
    print(f"Rank 0's medians over {'/'.join(map(str, samples))} epochs per cell (epochs after the first "
          f"{args.warmup} of every round). Speed-up = vanilla epoch / mode epoch.")
    print_tables(summary)


if __name__ == "__main__":
    main()
