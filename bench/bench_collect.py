#!/usr/bin/env python3
"""Turns one run of bench/compare_pyg.sh into the record it keeps in WORK/runs/NAME.json (stdout).

  bench_collect.py pyg NAME DATASET RESULT.json TIME.log
  bench_collect.py tango NAME DATASET SUMMARY.json TIME.log METRICS.jsonl RANKS CPU.json
  bench_collect.py crosscheck NAME DATASET METRICS.jsonl TRAFFIC.json

TIME.log is the output of `/usr/bin/time -v` (max RSS of the largest process). Tango's epoch time is
the median of its metrics' epoch_ms over the epochs after 2 warm-up epochs, without the final epoch
(the only one that evaluates, with --eval-every = epochs); its CPU time per epoch comes from
bench/cpu_epoch_probe.py (all ranks' CPU between two progress lines), over the same epochs. PyG's
are taken the same way by bench/pyg_train.py (time.process_time per epoch). The cross-check compares the halo bytes of a real run's first epoch, per layer and
direction, with what tango-halo-traffic counted for the same partition and codecs.
"""
import json
import re
import statistics
import sys

WARMUP = 2


def max_rss_bytes(time_log):
    with open(time_log, errors="replace") as f:
        m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", f.read())
    return int(m.group(1)) * 1024 if m else None


def pyg(name, dataset, result_path, time_log):
    with open(result_path) as f:
        r = json.load(f)
    cfg = r["config"]
    return {
        "name": name, "system": "pyg", "dataset": dataset, "ranks": 1, "precision": "fp32",
        "model": cfg["model"], "seed": cfg["seed"], "epochs": r["epochs"], "timed_epochs": r["timed_epochs"],
        "threads": r["threads"], "epoch_ms_median": r["epoch_ms_median"], "epoch_ms": r["epoch_ms"],
        "cpu_ms_median": r["cpu_ms_median"], "cpu_ms": r["cpu_ms"],
        "test_acc": r["test_acc"], "best_valid_acc": r["best_valid_acc"], "best_epoch": r["best_epoch"],
        "max_rss_bytes": max_rss_bytes(time_log), "versions": {"torch": r["torch"], "torch_geometric": r["torch_geometric"]},
        "config": cfg,
    }


def tango(name, dataset, summary_path, time_log, metrics_path, ranks, cpu_path=None):
    with open(summary_path) as f:
        s = json.load(f)
    with open(metrics_path) as f:
        lines = [json.loads(line) for line in f if line.strip()]
    epoch_ms = [x["epoch_ms"] for x in lines]
    timed = epoch_ms[WARMUP:-1] if len(epoch_ms) > WARMUP + 1 else epoch_ms
    first = lines[0]
    cfg = s.get("config", {})
    cpu = {}
    if cpu_path:
        with open(cpu_path) as f:
            cpu = {int(e): ms for e, ms in json.load(f)["cpu_ms_per_epoch"].items()}
    cpu_timed = [cpu[e] for e in range(WARMUP + 1, len(lines)) if e in cpu]  # epochs 3 .. N-1
    return {
        "name": name, "system": "tango", "dataset": dataset, "ranks": int(ranks),
        "precision": cfg.get("precision", "?"), "model": cfg.get("model", "?"), "seed": cfg.get("seed"),
        "epochs": len(lines), "timed_epochs": len(timed), "epoch_ms_median": statistics.median(timed),
        "epoch_ms": epoch_ms, "cpu_ms_median": statistics.median(cpu_timed) if cpu_timed else None,
        "cpu_ms": [cpu.get(e) for e in range(1, len(lines) + 1)], "test_acc": s["test_acc"], "best_valid_acc": s["best_valid_acc"],
        "max_rss_bytes": max_rss_bytes(time_log),
        "peak_tensor_bytes_per_rank": first.get("peak_memory_bytes"),
        "bytes_sent_per_epoch": first.get("bytes_sent"), "bytes_fp32_per_epoch": first.get("bytes_fp32"),
        "time_ms_median": {k: statistics.median(x["time_ms"][k] for x in lines[WARMUP:-1] or lines)
                           for k in first.get("time_ms", {})},
        "config": cfg,
    }


def crosscheck(name, dataset, metrics_path, traffic_path):
    with open(metrics_path) as f:
        first = json.loads(f.readline())
    with open(traffic_path) as f:
        traffic = json.load(f)
    rows, ok = [], True
    for i, ex in enumerate(traffic["exchanges"]):
        real = [h for h in first["halo"] if h["layer"] == ex["layer"] and h["direction"] == ex["direction"]]
        if len(real) != 1:
            ok = False
            rows.append({"layer": ex["layer"], "direction": ex["direction"], "error": "not in the metrics"})
            continue
        real = real[0]
        codec = real["codec"].split(":")[0]
        counted = traffic["codecs"].get(codec, {}).get("bytes_sent_per_exchange", [None] * (i + 1))[i]
        counted_fp32 = traffic["codecs"]["fp32"]["bytes_sent_per_exchange"][i]
        match = counted == real["bytes_sent"] and counted_fp32 == real["bytes_fp32"]
        ok &= match
        rows.append({"layer": ex["layer"], "direction": ex["direction"], "codec": real["codec"],
                     "real_bytes": real["bytes_sent"], "counted_bytes": counted,
                     "real_fp32_bytes": real["bytes_fp32"], "counted_fp32_bytes": counted_fp32, "match": match})
    # Layers that exchanged bytes but are not in the count would be missed above.
    counted_pairs = {(ex["layer"], ex["direction"]) for ex in traffic["exchanges"]}
    for h in first["halo"]:
        if h["bytes_sent"] and (h["layer"], h["direction"]) not in counted_pairs:
            ok = False
            rows.append({"layer": h["layer"], "direction": h["direction"], "error": "exchanged but not counted"})
    return {"name": name, "system": "crosscheck", "dataset": dataset, "parts": traffic["parts"],
            "all_match": ok, "exchanges": rows}


def main(argv):
    kind = argv[1]
    if kind == "pyg":
        record = pyg(*argv[2:6])
    elif kind == "tango":
        record = tango(*argv[2:9])
    elif kind == "crosscheck":
        record = crosscheck(*argv[2:6])
    else:
        sys.exit(f"bench_collect.py: unknown kind '{kind}'")
    print(json.dumps(record, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
