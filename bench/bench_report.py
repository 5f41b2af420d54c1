#!/usr/bin/env python3
"""Writes the results of bench/compare_pyg.sh: the generated section of docs/BENCHMARKS.md (between
the marker comments below; the hand-written sections stay), docs/benchmark_results.json (every table,
for scripts/plot_bench.py) and docs/pyg_reference.json (PyG's accuracies, for docs/ACCURACY.md).
Prints the speed table with its ratios on stdout. Runs that are missing show as "not run".

Every table carries its provenance (command, machine, load, date) in the results JSON and in the
document. A table none of whose runs is in --runs (say `compare_pyg.sh --phases accuracy` in a fresh
work dir) is kept from the existing --results file with its provenance: running one phase must not
blank the tables of the others. The section is rendered from the results JSON alone, so
`--render-only` rewrites it from docs/benchmark_results.json without runs.
"""
import argparse
import datetime
import glob
import json
import os
import statistics

BEGIN = "<!-- compare_pyg.sh: generated section, do not edit by hand -->"
END = "<!-- compare_pyg.sh: end of generated section -->"
DATASETS = ("cora", "facebook", "synth1m")
MODELS = ("gcn", "sage", "gat")
LINK_GBPS = (25, 100, 400)  # GB/s per rank
CODECS = ("fp32", "int8", "int4", "int2")
TANGO_CONFIGS = [(1, "fp32"), (1, "int8"), (2, "fp32"), (2, "int8")]
SCALING_RANKS = (1, 2, 4)


def load_runs(runs_dir):
    runs = {}
    for path in glob.glob(os.path.join(runs_dir, "*.json")):
        with open(path) as f:
            record = json.load(f)
        record.setdefault("name", os.path.basename(path)[:-5])  # tango-halo-traffic's output has none
        runs[record["name"]] = record
    return runs


def cpu_mean(r):
    """Mean CPU ms per timed epoch (after 2 warm-up epochs; Tango: without its final, evaluating epoch).
    A mean, not a median: the probe reads CPU time in clock ticks (10 ms), and the sum over the timed
    epochs is exact to one tick, so the mean resolves what single-epoch ticks cannot."""
    values = r.get("cpu_ms") or []
    values = values[2:] if r.get("system") == "pyg" else values[2:-1]
    values = [v for v in values if v is not None]
    return statistics.fmean(values) if values else None


def mb(b):
    return f"{b / 1e6:.1f}" if b is not None else "?"


def write_atomic(path, text):
    tmp = f"{path}.tmp.{os.getpid()}"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def accuracy_table(runs):
    """PyG accuracies per dataset and model: mean, sample std, seeds."""
    rows = []
    for d in ("cora", "facebook"):
        for m in MODELS:
            found = sorted((r for r in runs.values() if r["name"].startswith(f"acc-pyg-{d}-{m}-s")),
                           key=lambda r: r["seed"])
            if not found:
                continue
            acc = [100 * r["test_acc"] for r in found]
            rows.append({"dataset": d, "model": m, "seeds": [r["seed"] for r in found], "test_acc_percent": acc,
                         "mean": statistics.fmean(acc), "std": statistics.stdev(acc) if len(acc) > 1 else None,
                         "epochs": found[0]["epochs"], "config": found[0]["config"], "versions": found[0]["versions"]})
    return rows


def bits_table(runs):
    rows = []
    for bits in (32, 8, 4, 2):
        found = [r for r in runs.values() if r["name"].startswith(f"bits-tango-cora-r2-b{bits}-s")]
        if found:
            acc = [100 * r["test_acc"] for r in found]
            sent = statistics.fmean(r["bytes_sent_per_epoch"] for r in found)
            rows.append({"bits": bits, "n": len(acc), "mean": statistics.fmean(acc),
                         "std": statistics.stdev(acc) if len(acc) > 1 else None,
                         "bytes_sent_per_epoch": sent, "bytes_fp32_per_epoch": found[0]["bytes_fp32_per_epoch"]})
    return rows


def speed_table(runs):
    rows = []
    for d in DATASETS:
        variants = [(a, runs.get(f"speed-pyg-{d}-{a}")) for a in ("csr", "edge_index")]
        ran = [r for _, r in variants if r]
        pyg = min(ran, key=cpu_mean) if ran else None  # the faster PyG is the baseline
        entries = [(f"PyG ({a})", 1, "fp32", r) for a, r in variants]
        entries += [("Tango", k, p, runs.get(f"speed-tango-{d}-r{k}-{p}")) for k, p in TANGO_CONFIGS]
        for system, ranks, precision, r in entries:
            row = {"dataset": d, "system": system, "ranks": ranks, "precision": precision, "run": r is not None}
            if r:
                row.update(epoch_ms=r["epoch_ms_median"], cpu_ms=cpu_mean(r), timed_epochs=r["timed_epochs"],
                           epochs=r["epochs"], max_rss_bytes=r["max_rss_bytes"], test_acc=r["test_acc"])
                if pyg and system == "Tango":
                    row["pyg_over_tango_wall"] = pyg["epoch_ms_median"] / r["epoch_ms_median"]
                    if cpu_mean(r):
                        row["pyg_over_tango"] = cpu_mean(pyg) / cpu_mean(r)
            rows.append(row)
    return rows


def scaling_table(runs, cores, threads):
    rows = []
    for p in ("fp32", "int8"):
        base = runs.get(f"speed-tango-synth1m-r1-{p}")
        for k in SCALING_RANKS:
            r = runs.get(f"speed-tango-synth1m-r{k}-{p}")
            if not r:
                continue
            tm = r.get("time_ms_median", {})
            rows.append({"ranks": k, "precision": p, "epoch_ms": r["epoch_ms_median"], "cpu_ms": cpu_mean(r),
                         "speedup": base["epoch_ms_median"] / r["epoch_ms_median"] if base else None,
                         "oversubscribed": k > cores, "threads_per_rank": threads if k == 1 else max(1, cores // k),
                         "bytes_sent_per_epoch": r["bytes_sent_per_epoch"],
                         "comm_ms": tm.get("comm_wait", 0) + tm.get("allreduce", 0),
                         "max_rss_bytes": r["max_rss_bytes"], "test_acc": r["test_acc"]})
    return rows


def cluster_table(runs):
    one_rank = runs.get("speed-tango-synth1m-r1-fp32")
    rows = []
    for model, prefix in (("gcn", "traffic-synth1m"), ("sage", "traffic-sage-synth1m")):
        for parts in (8, 16, 64):
            rows += cluster_rows(runs.get(f"{prefix}-p{parts}"), model, parts, one_rank if model == "gcn" else None)
    return rows


def cluster_rows(t, model, parts, one_rank):
    rows = []
    if t:
        compute_ms = cpu_mean(one_rank) / parts if one_rank and cpu_mean(one_rank) else None
        for c in CODECS:
            tc = t["codecs"].get(c)
            if not tc:
                continue
            per_rank = tc["bytes_sent_per_rank"]
            rows.append({"model": model, "parts": parts, "codec": c, "edge_cut_percent": t["edge_cut_percent"],
                         "mean_bytes_per_rank": statistics.fmean(per_rank), "max_bytes_per_rank": max(per_rank),
                         "total_bytes": tc["bytes_sent_total"], "critical_bytes": tc["critical_bytes"],
                         "exchanges": t["exchanges"],
                         "ms_at_gbps": {str(g): 1e3 * tc["critical_bytes"] / (g * 1e9) for g in LINK_GBPS},
                         "compute_ms_per_rank_estimate": compute_ms})
    return rows


# Tables of the results JSON, and whether a freshly computed one holds any run.
SECTIONS = {
    "speed": lambda t: any(r["run"] for r in t),
    "pyg_accuracy": bool, "accuracy_vs_bits": bool, "scaling": bool, "cluster": bool, "crosscheck": bool,
}


def provenance(results, previous, this):
    """{table: {command, machine, load_average, generated}}: `this` invocation for tables with runs; a table
    without runs is filled from `previous` (the last results JSON) and keeps the provenance it had there."""
    out = {}
    for key, has_runs in SECTIONS.items():
        if has_runs(results[key]):
            out[key] = dict(this)
        elif previous and previous.get(key) and SECTIONS[key](previous[key]):
            results[key] = previous[key]
            # Older results files name the measuring invocation in "carried_over" or at the top.
            out[key] = (previous.get("provenance", {}).get(key) or previous.get("carried_over", {}).get(key)
                        or {k: previous.get(k, "?") for k in ("command", "machine", "load_average", "generated")})
    return out


def provenance_line(results, key):
    """One line naming the command, machine and date that measured table `key` ([] when unknown)."""
    p = results.get("provenance", {}).get(key)
    if not p:
        return []
    load = f", load average at the end {p['load_average']}" if p.get("load_average") not in (None, "?") else ""
    return [f"Measured with `{p.get('command', '?')}` on {p.get('machine', '?')}{load}; {p.get('generated', '?')}.", ""]


def fmt_acc(mean, std, n):
    return f"{mean:.2f}" + (f" ± {std:.2f}" if std is not None else "") + f" (n={n})"


def render(results):
    """The generated section, from the results JSON alone."""
    L = [BEGIN, "", "## Tango vs PyTorch Geometric, scaling and a simulated cluster (CPU)", ""]
    L += ["Reproduce: `bench/compare_pyg.sh` (all phases; `--phases` runs some, `--help`); its `--report-only`, "
          "or `bench/bench_report.py --render-only --results docs/benchmark_results.json --doc docs/BENCHMARKS.md`, "
          "rewrites this section without new runs. Each table names the command, machine and date that measured it. "
          "The machines were shared with other jobs: read the ratios within one table, not absolute times. "
          "GPU: not measured.", ""]
    vers = results.get("pyg_versions") or next((a["versions"] for a in results["pyg_accuracy"]), None)
    if vers:
        L += [f"PyG side: torch {vers['torch']} (PyPI's default wheel, run on the CPU), torch_geometric "
              f"{vers['torch_geometric']}, `bench/pyg_train.py`, reading the same HDF5 file as Tango "
              "(`tango-dataset convert`).", ""]

    # Speed.
    L += ["### Epoch time, GCN (2 layers, hidden 64, dropout 0.5, Adam lr 0.01, wd 5e-4)", "",
          "Epoch = forward + backward + optimizer step over the epochs after 2 warm-up epochs: mean "
          "process CPU time (all ranks added; PyG: time.process_time, Tango: bench/cpu_epoch_probe.py) and in "
          "median wall time. The CPU-time ratio is the one to read on a shared, oversubscribed machine "
          "(`timed epochs` column: few on synth1m, where one epoch is seconds of CPU on 2 cores). "
          "PyG runs twice: `csr` hands GCNConv a torch.sparse CSR adj_t (SpMM, PyG's lean path), `edge_index` "
          "its default gather/scatter messages; ratio = the faster PyG's ms / Tango ms (> 1: Tango faster). RSS: max resident set of the largest process "
          "(`/usr/bin/time -v`; K ranks: one rank). Test accuracy at the last epoch (evaluation runs only "
          "there in these timing runs). One thread per process on both sides (torch.set_num_threads(1), "
          "OMP_NUM_THREADS=1; K ranks: launch/tango-run's cores / K). synth1m = `synthetic:nodes=1000000,avg_degree=20,"
          "classes=8,features=128,homophily=0.8,seed=1` (20M directed edges).", "",
          "| dataset | system | ranks | precision | CPU ms/epoch | PyG / Tango (CPU) | wall ms/epoch | "
          "PyG / Tango (wall) | max RSS MB | test acc | timed epochs |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    L[-2:-2] = provenance_line(results, "speed")
    for r in results["speed"]:
        if not r["run"]:
            L.append(f"| {r['dataset']} | {r['system']} | {r['ranks']} | {r['precision']} | not run | | | | | | |")
            continue
        ratio = f"{r['pyg_over_tango']:.2f}x" if "pyg_over_tango" in r else ""
        wall_ratio = f"{r['pyg_over_tango_wall']:.2f}x" if "pyg_over_tango_wall" in r else ""
        cpu = f"{r['cpu_ms']:.1f}" if r.get("cpu_ms") else "?"
        L.append(f"| {r['dataset']} | {r['system']} | {r['ranks']} | {r['precision']} | {cpu} | {ratio} | "
                 f"{r['epoch_ms']:.1f} | {wall_ratio} | {mb(r['max_rss_bytes'])} | {r['test_acc']:.4f} | "
                 f"{r['timed_epochs']} |")
    L += [""]
    L += ["Targets (issue 6, synth1m):"]
    by = {(r["dataset"], r["system"], r["ranks"], r["precision"]): r for r in results["speed"] if r["run"]}
    t32, t8 = by.get(("synth1m", "Tango", 1, "fp32")), by.get(("synth1m", "Tango", 1, "int8"))
    if t32 and "pyg_over_tango" in t32:
        met = "met" if t32["pyg_over_tango"] >= 1.5 else "**not met**"
        L.append(f"- Tango fp32 on 1 rank >= 1.5x faster than PyG per epoch (CPU time): {t32['pyg_over_tango']:.2f}x: "
                 f"{met} (wall time: {t32['pyg_over_tango_wall']:.2f}x)")
    else:
        L.append("- Tango fp32 on 1 rank >= 1.5x faster than PyG per epoch: not run")
    if t32 and t8 and t32.get("cpu_ms") and t8.get("cpu_ms"):
        ratio = t32["cpu_ms"] / t8["cpu_ms"]
        L.append(f"- int8 faster than fp32 (1 rank): fp32 / int8 CPU time = {ratio:.2f}x: "
                 + ("met" if ratio > 1 else "**not met**") + f" (wall: {t32['epoch_ms'] / t8['epoch_ms']:.2f}x)")
    else:
        L.append("- int8 faster than fp32: not run")
    L += [""]

    # PyG accuracy reference.
    if results["pyg_accuracy"]:
        L += ["### PyG's test accuracy with docs/ACCURACY.md's settings (reference for issue 5)", "",
              "Best-validation test accuracy (%), 200 epochs, mean ± sample std over seeds (also in "
              "`docs/pyg_reference.json`). GCN / SAGE: hidden 64, dropout 0.5, Adam lr 0.01, wd 5e-4; GAT: 8 heads "
              "x 8 columns (`--hidden 8 --heads 8` in tango-train's terms), ELU, dropout 0.6, attention dropout "
              "0.6, lr 0.005, wd 5e-4; cora with row-normalized features. GCNConv cached normalisation, SAGEConv "
              "mean + root weight, GATConv (output layer: 1 head).", ""] + provenance_line(results, "pyg_accuracy") + [
              "| dataset | model | PyG test acc % | per seed |", "|---|---|---|---|"]
        for a in results["pyg_accuracy"]:
            L.append(f"| {a['dataset']} | {a['model'].upper()} | {fmt_acc(a['mean'], a['std'], len(a['seeds']))} | "
                     + ", ".join(f"{x:.1f}" for x in a["test_acc_percent"]) + " |")
        L += [""]
    if results["accuracy_vs_bits"]:
        L += ["### Tango: accuracy against halo bits (cora, GCN, 2 ranks, fp32 local math)", "",
              "`--halo-bits B` (forward and backward), `--normalize-features`, 200 epochs, best-validation test "
              "accuracy, seeds 1..n.", ""] + provenance_line(results, "accuracy_vs_bits") + [
              "| halo bits | test acc % | halo KB per epoch (all ranks) | vs fp32 |",
              "|---|---|---|---|"]
        for b in results["accuracy_vs_bits"]:
            L.append(f"| {b['bits']} | {fmt_acc(b['mean'], b['std'], b['n'])} | {b['bytes_sent_per_epoch'] / 1e3:.1f} | "
                     f"{b['bytes_sent_per_epoch'] / b['bytes_fp32_per_epoch']:.3f} |")
        L += [""]

    # Scaling.
    if results["scaling"]:
        L += ["### Scaling over CPU ranks (synth1m, GCN)", "",
              f"One machine with {results['cores']} cores: ranks beyond the cores are oversubscribed (they share "
              "cores, so no speed-up is possible there; the rows show the overhead of the exchange instead). "
              "Speed-up = 1-rank wall ms / K-rank wall ms of the same precision: with the machine shared by other "
              "jobs (load average ~15 on 2 cores) wall times swing by 2x between runs, so read the CPU column: "
              "the work of all ranks per epoch, whose growth over 1 rank is the cost of partitioning (halo rows, "
              "exchange, MPI polling).", ""] + provenance_line(results, "scaling") + [
              "| ranks | precision | threads/rank | wall ms/epoch | speed-up (wall) | CPU ms/epoch, all ranks | "
              "halo MB/epoch (all ranks) | comm ms | max RSS MB (one rank) | note |",
              "|---|---|---|---|---|---|---|---|---|---|"]
        for s in results["scaling"]:
            cpu = f"{s['cpu_ms']:.0f}" if s.get("cpu_ms") else "?"
            L.append(f"| {s['ranks']} | {s['precision']} | {s['threads_per_rank']} | {s['epoch_ms']:.0f} | "
                     f"{(format(s['speedup'], '.2f') + 'x') if s['speedup'] else '?'} | {cpu} | {mb(s['bytes_sent_per_epoch'])} | {s['comm_ms']:.0f} | "
                     f"{mb(s['max_rss_bytes'])} | {'oversubscribed' if s['oversubscribed'] else ''} |")
        L += [""]

    # Cluster.
    if results["cluster"]:
        L += ["### Simulated cluster: halo bytes per rank per epoch (synth1m, GCN and SAGE, METIS parts)", "",
              "Bytes are exact, not estimated: `tango-halo-traffic` reads each part's send lists and sizes every "
              "message with comm's `Codec::message_bytes` (per-row bf16 scales included) for the epoch's exchanges "
              "(2 layers, hidden 64: layer 1 forward + backward; GCN and SAGE both exchange 8 columns = the class "
              "count, since each multiplies by its weight before aggregating when that narrows the table, so "
              "their bytes are equal). Link time = critical bytes / bandwidth, where critical bytes "
              "= the sum over the epoch's exchanges of the busiest rank's max(sent, received): every rank has its "
              "own full-duplex link, all ranks transfer in parallel, one rank's messages are serialized on its "
              "link, exchanges follow one another, no latency. Compute per rank (GCN) is an estimate: the measured "
              "1-rank fp32 CPU time per epoch of the speed table divided by K (perfect split), not a measurement.", ""]
        L += provenance_line(results, "cluster") + [
              "| model | parts | edge cut | codec | MB/rank mean | MB/rank max | critical MB | "
              + " | ".join(f"ms at {g} GB/s" for g in LINK_GBPS) + " | compute ms/rank (est.) |",
              "|---|---|---|---|---|---|---|" + "---|" * len(LINK_GBPS) + "---|"]
        for c in results["cluster"]:
            est = c["compute_ms_per_rank_estimate"]
            L.append(f"| {c['model'].upper()} | {c['parts']} | {c['edge_cut_percent']:.1f}% | {c['codec']} | {mb(c['mean_bytes_per_rank'])} | "
                     f"{mb(c['max_bytes_per_rank'])} | {mb(c['critical_bytes'])} | "
                     + " | ".join(f"{c['ms_at_gbps'][str(g)]:.3f}" for g in LINK_GBPS)
                     + (f" | {est:.0f} |" if est else " | |"))
        L += [""]
        x = results.get("crosscheck")
        if x:
            verdict = "all equal" if x["all_match"] else "**MISMATCH**"
            L += [f"Cross-check against a real run (8 ranks, 8 parts, `--halo-bits fwd=8,bwd=4`, epoch 1): {verdict}."]
            own = provenance_line(results, "crosscheck")
            if own and results["provenance"].get("crosscheck") != results["provenance"].get("cluster"):
                L[-1] += " " + own[0]
            for e in x["exchanges"]:
                if "error" in e:
                    L.append(f"- layer {e['layer']} {e['direction']}: {e['error']}")
                else:
                    L.append(f"- layer {e['layer']} {e['direction']} ({e['codec']}): real {e['real_bytes']} B, counted "
                             f"{e['counted_bytes']} B; fp32-equivalent real {e['real_fp32_bytes']} B, counted "
                             f"{e['counted_fp32_bytes']} B")
            L += [""]
    L += ["![epoch time per system](img/bench_epoch_time.png)", "",
          "![halo bytes per rank per epoch by bit width](img/bench_bytes_per_epoch.png)", "",
          "![accuracy against bits](img/bench_accuracy_vs_bits.png)", "", END, ""]
    return "\n".join(L)


def write_section(path, section):
    """Replaces the text between the markers of `path` (appends the section when they are missing)."""
    doc = open(path).read() if os.path.exists(path) else "# Benchmarks\n"
    if BEGIN in doc and END in doc:
        head, rest = doc.split(BEGIN, 1)
        tail = rest.split(END, 1)[1].lstrip("\n")
        doc = head + section + tail
    else:
        doc = doc.rstrip("\n") + "\n\n" + section
    write_atomic(path, doc)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", help="compare_pyg.sh's WORK/runs (not with --render-only)")
    ap.add_argument("--doc", required=True)
    ap.add_argument("--results", required=True)
    ap.add_argument("--pyg-reference", help="where PyG's accuracies go (not with --render-only)")
    ap.add_argument("--render-only", action="store_true",
                    help="rewrite the section of --doc from --results; read no runs, write no JSON")
    ap.add_argument("--command", default="bench/compare_pyg.sh")
    ap.add_argument("--machine", default="?")
    ap.add_argument("--load", default="?")
    ap.add_argument("--threads", type=int, default=1, help="threads of a 1-rank run (compare_pyg.sh --threads)")
    args = ap.parse_args()
    if args.render_only:
        with open(args.results) as f:
            write_section(args.doc, render(json.load(f)))
        print(f"bench_report.py: wrote {args.doc} from {args.results}")
        return
    if not args.runs or not args.pyg_reference:
        ap.error("--runs and --pyg-reference are needed unless --render-only")
    runs = load_runs(args.runs)
    previous = None
    if os.path.exists(args.results):
        with open(args.results) as f:
            previous = json.load(f)
    results = {
        "generated": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "command": args.command, "machine": args.machine, "load_average": args.load, "cores": os.cpu_count(),
        "speed": speed_table(runs), "pyg_accuracy": accuracy_table(runs), "accuracy_vs_bits": bits_table(runs),
        "scaling": scaling_table(runs, os.cpu_count(), args.threads), "cluster": cluster_table(runs),
        "crosscheck": runs.get("crosscheck-synth1m-r8"), "link_gbps": list(LINK_GBPS),
        "pyg_versions": next((r["versions"] for r in runs.values() if r.get("system") == "pyg"), None),
    }
    this = {k: results[k] for k in ("command", "machine", "load_average", "generated")}
    results["provenance"] = provenance(results, previous, this)
    if not results["pyg_versions"] and previous:
        results["pyg_versions"] = previous.get("pyg_versions")
    write_atomic(args.results, json.dumps(results, indent=1) + "\n")
    if results["pyg_accuracy"] and results["provenance"].get("pyg_accuracy") == this:
        ref = {"generated": results["generated"], "command": args.command, "machine": args.machine,
               "metric": "test accuracy (%) at the best validation epoch, 200 epochs",
               "entries": [{k: a[k] for k in ("dataset", "model", "mean", "std", "seeds", "test_acc_percent",
                                              "config", "versions")} for a in results["pyg_accuracy"]]}
        write_atomic(args.pyg_reference, json.dumps(ref, indent=1) + "\n")
    write_section(args.doc, render(results))
    for r in results["speed"]:
        if r["run"]:
            ratio = f"{r['pyg_over_tango']:.2f}x" if "pyg_over_tango" in r else ""
            cpu = f"{r['cpu_ms']:10.1f}" if r.get("cpu_ms") else "         ?"
            print(f"{r['dataset']:9} {r['system']:17} r{r['ranks']} {r['precision']:5} {cpu} CPU ms/epoch  "
                  f"PyG/Tango {ratio}")
    print(f"bench_report.py: wrote {args.doc}, {args.results}")


if __name__ == "__main__":
    main()
