#!/usr/bin/env python3
"""Tables of bench/overlap_ratios.sh: what the halo overlap hid, and AdaQP-style end-to-end ratios.

Reads the per-epoch metrics (rank 0's `time_ms`, all ranks' halo bytes) of the runs named
MODEL-MODE-nNODES-kRANKS-eEPOCHS-rROUND.jsonl and prints two markdown tables; medians over the epochs
after the warm-up of every round. Every ratio is against a mode measured in the same script run.
"""
import argparse
import glob
import json
import os
import statistics
import sys

MODES = [
    ("fp32-no-overlap", "fp32 halo, `--no-overlap`"),
    ("fp32-overlap", "fp32 halo, `--overlap`"),
    ("halo8-overlap", "`--halo-bits 8`, overlap"),
    ("halo48-overlap", "`--halo-bits fwd=4,bwd=8`, overlap"),
    ("adaptive-overlap", "`--halo-bits adaptive`, overlap"),
    ("int8-halo48-overlap", "`--precision int8 --halo-bits fwd=4,bwd=8`, overlap"),
]
MODEL_NAMES = {"gcn": "GCN 3 x 256", "sage": "SAGE 3 x 256", "gat": "GAT 3 x 8 x 8"}


def comm_ms(epoch):
    return epoch["time_ms"]["comm_wait"] + epoch["time_ms"]["allreduce"]


def load(args, model, mode):
    """Epoch records after the warm-up over all rounds, and the per-round medians of comm."""
    pattern = os.path.join(args.runs, f"{model}-{mode}-n{args.nodes}-k{args.ranks}-e{args.epochs}-r*.jsonl")
    epochs, per_round = [], []
    for path in sorted(glob.glob(pattern)):
        with open(path) as f:
            rows = [json.loads(line) for line in f if line.strip()]
        rows = [r for r in rows if r["epoch"] > args.warmup]
        if not rows:
            continue
        epochs += rows
        per_round.append(statistics.median(comm_ms(r) for r in rows))
    return epochs, per_round


def median(rows, key):
    return statistics.median(key(r) for r in rows)


def ratio(base, value):
    return f"{base / value:.2f}x" if value > 0 else "n/a"


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--runs", required=True)
    p.add_argument("--nodes", type=int, required=True)
    p.add_argument("--ranks", type=int, required=True)
    p.add_argument("--epochs", type=int, required=True)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--models", default="gcn,gat")
    args = p.parse_args()

    data = {}
    for model in args.models.split(","):
        for mode, _ in MODES:
            rows, per_round = load(args, model, mode)
            if not rows:
                sys.exit(f"overlap_report.py: no runs of {model} {mode} in {args.runs}")
            data[model, mode] = rows, per_round
    rounds = min(len(per_round) for _, per_round in data.values())
    print(f"{args.ranks} ranks, synthetic graph of {args.nodes} nodes, {args.epochs} epochs per run, "
          f"{rounds} round(s); rank 0, medians over epochs {args.warmup + 1}-{args.epochs} of every round.\n")

    print("Hidden by the overlap (fp32 halo):\n")
    print("| model | mode | epoch ms | comm_wait forward ms | comm_wait backward ms | allreduce ms "
          "| comm_wait + allreduce ms | per round | hidden |")
    print("|---|---|---|---|---|---|---|---|---|")
    for model in args.models.split(","):
        base = median(data[model, "fp32-no-overlap"][0], comm_ms)
        for mode, label in MODES[:2]:
            rows, per_round = data[model, mode]
            comm = median(rows, comm_ms)
            hidden = "" if mode == "fp32-no-overlap" or base <= 0 else f"{100.0 * (1.0 - comm / base):.0f} %"
            print(f"| {MODEL_NAMES[model]} | {label} | {median(rows, lambda r: r['epoch_ms']):.0f} "
                  f"| {median(rows, lambda r: r['time_ms']['comm_wait_forward']):.1f} "
                  f"| {median(rows, lambda r: r['time_ms']['comm_wait_backward']):.1f} "
                  f"| {median(rows, lambda r: r['time_ms']['allreduce']):.1f} | {comm:.1f} "
                  f"| {' / '.join(f'{c:.0f}' for c in per_round)} | {hidden} |")

    print("\nAdaQP-style ratios (speed-up over fp32 halo without overlap; bytes: all ranks' halo per epoch):\n")
    print("| model | mode | epoch ms | speed-up | comm ms | comm speed-up | halo MB/epoch | bytes vs fp32 |")
    print("|---|---|---|---|---|---|---|---|")
    for model in args.models.split(","):
        base_rows = data[model, "fp32-no-overlap"][0]
        base_epoch, base_comm = median(base_rows, lambda r: r["epoch_ms"]), median(base_rows, comm_ms)
        for mode, label in MODES:
            rows = data[model, mode][0]
            epoch, comm = median(rows, lambda r: r["epoch_ms"]), median(rows, comm_ms)
            sent, fp32 = median(rows, lambda r: r["bytes_sent"]), median(rows, lambda r: r["bytes_fp32"])
            print(f"| {MODEL_NAMES[model]} | {label} | {epoch:.0f} | {ratio(base_epoch, epoch)} | {comm:.1f} "
                  f"| {ratio(base_comm, comm)} | {sent / 1e6:.1f} | {sent / fp32 if fp32 else 0.0:.3f} |")


if __name__ == "__main__":
    main()
