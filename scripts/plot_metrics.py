#!/usr/bin/env python3
"""Plots a Tango metrics JSONL (one JSON object per epoch, as tango-train --metrics writes it).

    scripts/plot_metrics.py RUN/metrics.jsonl [--out RUN/metrics.png] [--title TEXT]

Draws three panels against the epoch: the training loss; train/valid/test accuracy (epochs without
an evaluation are left out); and the halo bytes sent per epoch next to what fp32 messages would have
sent (bytes_sent, bytes_fp32), in MiB. Prints one line with the headline figures: epochs, last loss,
best validation accuracy with the test accuracy of that epoch, and the byte saving.

When the run measured its INT8 operands (tango-train --quant-telemetry-every N: a `quant` object on
those epochs' lines, quant.l<L>.<fwd|bwd>.<operand>.<stat>), three more rows of panels follow, one
column per layer: each operand's relative error (rel_err), share of all-zero rows (zero_rows) and the
geometric mean of the levels a row's largest value reaches (levels_gmean, 127 = a full scale), a line
per operand, solid forward and dashed backward; the headline then also names the operand with the
largest relative error and the one with the largest all-zero share at the last measured epoch.

matplotlib is not a build dependency: when it cannot be imported, the script makes a virtual
environment (default ~/.cache/tango/plot-venv, or $TANGO_PLOT_VENV), installs matplotlib into it with
pip, and runs itself again from there. Exit codes: 0 ok, 2 bad input (a missing or malformed file,
no epochs), 3 matplotlib could not be installed.
"""

import argparse
import json
import math
import os
import sys

ACCURACY_KEYS = ("train_acc", "valid_acc", "test_acc")
MIB = 1024.0 * 1024.0


def fail(code, message):
    print(f"plot_metrics: {message}", file=sys.stderr)
    sys.exit(code)


def ensure_matplotlib():
    """Imports matplotlib, or re-runs this script from a venv that has it (scripts/mpl_venv.py)."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from mpl_venv import ensure_matplotlib as ensure

    ensure(__file__, "plot_metrics")


def read_metrics(path):
    """The records of a JSONL file, in epoch order; malformed lines are input errors."""
    try:
        with open(path, encoding="utf-8") as handle:
            lines = handle.readlines()
    except OSError as error:
        fail(2, f"cannot read {path}: {error.strerror}")
    records = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            fail(2, f"{path}:{number}: not a JSON object ({error.msg}): is this a tango-train --metrics file?")
        if not isinstance(record, dict) or "epoch" not in record:
            fail(2, f"{path}:{number}: a metrics line needs an 'epoch' key")
        records.append(record)
    if not records:
        fail(2, f"{path} holds no epochs")
    # A resumed run appends: keep the last record of each epoch.
    by_epoch = {int(record["epoch"]): record for record in records}
    return [by_epoch[epoch] for epoch in sorted(by_epoch)]


def number(record, key):
    value = record.get(key)
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return None


def series(records, key):
    points = [(int(r["epoch"]), number(r, key)) for r in records]
    return [p for p in points if p[1] is not None]


def quant_series(records):
    """{(layer, pass, operand): {stat: [(epoch, value)]}} from the lines that carry `quant`."""
    out = {}
    for record in records:
        quant = record.get("quant")
        if not isinstance(quant, dict):
            continue
        for layer, passes in quant.items():
            for direction, operands in (passes or {}).items():
                for operand, stats in (operands or {}).items():
                    entry = out.setdefault((layer, direction, operand), {})
                    for stat, value in (stats or {}).items():
                        if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
                            entry.setdefault(stat, []).append((int(record["epoch"]), float(value)))
    return out


def layer_order(name):
    return int(name[1:]) if name[1:].isdigit() else 1 << 30


def quant_headline(records):
    """The worst operands at the last epoch that measured any."""
    measured = [r for r in records if isinstance(r.get("quant"), dict) and r["quant"]]
    if not measured:
        return None
    last = measured[-1]
    rows = []
    for layer, passes in last["quant"].items():
        for direction, operands in passes.items():
            for operand, stats in operands.items():
                rows.append((f"{layer}.{direction}.{operand}", stats))
    parts = [f"quant (epoch {last['epoch']})"]
    for stat, label in (("rel_err", "largest rel_err"), ("zero_rows", "largest zero_rows")):
        name, stats = max(rows, key=lambda row: row[1].get(stat, 0) or 0)
        parts.append(f"{label} {name} {stats.get(stat, 0):.4g}")
    return " ".join(parts[:1]) + ": " + ", ".join(parts[1:])


def headline(records):
    loss = series(records, "loss") or series(records, "train_loss")
    parts = [f"epochs {len(records)}"]
    if loss:
        parts.append(f"last loss {loss[-1][1]:.4f}")
    valid = series(records, "valid_acc")
    if valid:
        best_epoch, best_valid = max(valid, key=lambda p: p[1])  # first epoch of the maximum
        test = dict(series(records, "test_acc")).get(best_epoch)
        text = f"best valid_acc {best_valid:.4f} at epoch {best_epoch}"
        if test is not None:
            text += f" (test_acc {test:.4f})"
        parts.append(text)
    sent = sum(v for _, v in series(records, "bytes_sent"))
    fp32 = sum(v for _, v in series(records, "bytes_fp32"))
    if sent > 0:
        parts.append(f"bytes sent {sent / MIB:.2f} MiB vs fp32 {fp32 / MIB:.2f} MiB ({fp32 / sent:.2f}x less)")
    quant = quant_headline(records)
    if quant:
        parts.append(quant)
    return ", ".join(parts)


def plot(records, out_path, title):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    quant = quant_series(records)
    layers = sorted({key[0] for key in quant}, key=layer_order)
    columns = max(3, len(layers))
    quant_rows = (("rel_err", "relative error", "log"), ("zero_rows", "all-zero rows (share)", "linear"),
                  ("levels_gmean", "levels of a row's amax (geo. mean)", "log")) if quant else ()
    figure, axes = plt.subplots(1 + len(quant_rows), columns, figsize=(5 * columns, 4.2 * (1 + len(quant_rows))),
                                squeeze=False)
    ax_loss, ax_acc, ax_bytes = axes[0][:3]
    for axis in axes[0][3:]:
        axis.axis("off")
    loss = series(records, "loss") or series(records, "train_loss")
    if loss:
        ax_loss.plot(*zip(*loss), color="tab:red")
    ax_loss.set(title="training loss", xlabel="epoch", ylabel="loss")
    for key in ACCURACY_KEYS:
        points = series(records, key)
        if points:
            marker = "." if len(points) <= 40 else None  # dots only where they stay readable
            ax_acc.plot(*zip(*points), marker=marker, label=key.replace("_acc", ""))
    ax_acc.set(title="accuracy", xlabel="epoch", ylabel="accuracy", ylim=(0, 1))
    if ax_acc.lines:
        ax_acc.legend(loc="lower right")
    for key, style in (("bytes_fp32", "--"), ("bytes_sent", "-")):
        points = series(records, key)
        if points:
            epochs, values = zip(*points)
            ax_bytes.plot(epochs, [v / MIB for v in values], style, label=key.replace("bytes_", ""))
    ax_bytes.set(title="halo bytes per epoch", xlabel="epoch", ylabel="MiB")
    if ax_bytes.lines:
        ax_bytes.legend(loc="best")
    ax_bytes.set_ylim(bottom=0)
    for axis in (ax_loss, ax_acc, ax_bytes):
        axis.grid(alpha=0.3)
        axis.xaxis.set_major_locator(MaxNLocator(integer=True))
    colors = {}
    for row, (stat, label, scale) in enumerate(quant_rows, start=1):
        for column in range(columns):
            axis = axes[row][column]
            if column >= len(layers):
                axis.axis("off")
                continue
            layer = layers[column]
            for (key_layer, direction, operand), stats in sorted(quant.items()):
                points = stats.get(stat)
                if key_layer != layer or not points:
                    continue
                if scale == "log":
                    points = [p for p in points if p[1] > 0]
                    if not points:
                        continue
                color = colors.setdefault(operand, f"C{len(colors) % 10}")
                marker = "." if len(points) <= 40 else None
                axis.plot(*zip(*points), "-" if direction == "fwd" else "--", color=color, marker=marker,
                          label=f"{operand} ({direction})")
            axis.set(title=f"layer {layer[1:]}: {label}", xlabel="epoch", ylabel=stat)
            if axis.lines:
                axis.set_yscale(scale)
                if row == 1:
                    axis.legend(loc="best", fontsize="x-small")
            axis.grid(alpha=0.3)
            axis.xaxis.set_major_locator(MaxNLocator(integer=True))
    figure.suptitle(title)
    figure.tight_layout()
    temp_path = out_path + ".tmp.png"
    figure.savefig(temp_path, dpi=100)
    os.replace(temp_path, out_path)  # never a half-written PNG under the final name


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("metrics", help="metrics JSONL written by tango-train --metrics")
    parser.add_argument("--out", help="PNG to write (default: the metrics path with .png)")
    parser.add_argument("--title", help="figure title (default: folder/file name of the metrics)")
    args = parser.parse_args()

    records = read_metrics(args.metrics)  # bad input fails before any venv work
    ensure_matplotlib()
    out_path = args.out or os.path.splitext(args.metrics)[0] + ".png"
    folder = os.path.basename(os.path.dirname(os.path.abspath(args.metrics)))
    plot(records, out_path, args.title or os.path.join(folder, os.path.basename(args.metrics)))
    print(headline(records))
    print(f"plot_metrics: wrote {out_path}", file=sys.stderr)


if __name__ == "__main__":
    main()
