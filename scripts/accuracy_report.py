#!/usr/bin/env python3
"""Writes docs/ACCURACY.md from the run summaries of scripts/accuracy.sh.

    scripts/accuracy_report.py --runs WORK/runs --out FILE [--previous FILE] [--datasets cora,facebook]
        [--models gcn,sage,gat] [--ranks 1,4] [--precisions ...] [--first-seed 1] [--seeds 5] [--epochs 200]
        [--command TEXT] [--machine TEXT] [--executed N] [--failed N] [--stopped-at HH:MM]
        [--keep-other-rows] [--pyg-reference FILE]

One header (the command that wrote the file, its date and machine), then the tables; every row ends with
a `source` column naming the invocation that ran its seeds (the "Sources" table lists them once each).
Tables: test accuracy per dataset, model and rank count (fp32, int8 local, int8 + halo 4/8); GAT's INT8
attention scales; halo traffic of the 4-rank runs; Tango's fp32 1-rank rows against PyTorch Geometric
(docs/pyg_reference.json); the targets of issue 5. Cells are mean ± sample std over the seeds that
finished (`test_acc` of each summary, at the best validation epoch).

--keep-other-rows: rows of datasets, models and rank counts not requested now are copied from --previous
(default: --out) with their source, so a sweep of one model updates only its rows. Everything below the
line NOTES_MARK of --previous (hand-written notes) is kept whatever the options.
"""

import argparse
import datetime
import json
import math
import os
import re
import statistics

PRECISIONS = ("fp32", "int8", "int8-halo", "int8-attn-tensor", "int8-attn-row")
LABELS = {"fp32": "fp32", "int8": "int8 local", "int8-halo": "int8 local + halo fwd=4,bwd=8",
          "int8-attn-tensor": "int8, per-tensor attention", "int8-attn-row": "int8, per-row attention"}
MODEL_LABEL = {"gcn": "GCN", "sage": "SAGE", "gat": "GAT"}
RUN_KEY = {"gcn": "gcn", "sage": "sage", "gat": "gat8x8"}  # gat8x8: --hidden is per head (see accuracy.sh)
ALL_DATASETS, ALL_MODELS, ALL_RANKS = ("cora", "facebook"), ("gcn", "sage", "gat"), (1, 4)
ATTENTION = ("int8", "int8-attn-tensor", "int8-attn-row")
QUANTIZED_CHECKED = ("int8", "int8-halo", "int8-attn-row")  # per-tensor attention is Tango's rule, shown only
CORA_TARGETS = (("gcn", 81.0), ("gat", 82.0), ("sage", 79.5))
NOTES_MARK = "<!-- notes below are kept by scripts/accuracy.sh -->"

MAIN_HEADER = ("| dataset | model | ranks | fp32 | int8 local | Δ int8 | int8 + halo 4/8 | Δ int8 + halo "
               "| source |")
ATTENTION_HEADER = ("| dataset | ranks | fp32 | int8, fp32 attention | Δ | int8, per-tensor attention | Δ | "
                    "int8, per-row attention | Δ | source |")
TRAFFIC_HEADER = "| dataset | model | precision | MB sent | MB fp32-equivalent | reduction | epoch ms | source |"
PYG_HEADER = "| dataset | model | PyG | Tango fp32, 1 rank | Δ | 2 SE | source |"
SOURCES_HEADER = "| source | command | date | machine | summaries |"
TABLE_HEADERS = {"main": MAIN_HEADER, "attention": ATTENTION_HEADER, "traffic": TRAFFIC_HEADER,
                 "sources": SOURCES_HEADER}


def split_row(line):
    """Cells of a markdown table row ("\\|" inside a cell is not a separator)."""
    return [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]


def join_row(cells):
    return "| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |"


def parse_cell(text):
    """(mean, std or None, n) of a cell "82.30 ± 0.33 (n=5)" / "82.30 (n=1)"; None if not run."""
    m = re.match(r"\s*([0-9.]+)(?: ± ([0-9.]+))? \(n=(\d+)\)", text)
    return (float(m.group(1)), float(m.group(2)) if m.group(2) else None, int(m.group(3))) if m else None


def parse_delta(text):
    m = re.match(r"\s*([+-][0-9.]+)", text)
    return float(m.group(1)) if m else None


class Previous:
    """The tables and notes of the file being replaced: rows as cell lists per table, sources by id."""

    def __init__(self, path):
        self.tables = {name: [] for name in TABLE_HEADERS}
        self.notes = ""
        if not os.path.exists(path):
            return
        with open(path) as f:
            head, *notes = f.read().split(NOTES_MARK, 1)
        self.notes = notes[0] if notes else ""
        current = None
        for line in head.splitlines():
            name = next((k for k, h in TABLE_HEADERS.items() if line.strip() == h), None)
            if name:
                current = name
            elif current and line.startswith("|"):
                if not line.startswith("|---"):
                    self.tables[current].append(split_row(line))
            else:
                current = None
        self.sources = {row[0]: tuple(row[1:]) for row in self.tables["sources"]}

    def rows(self, table, key_len):
        """{key (the first key_len cells): (cells, source)} of a table; source = the sources-table cells."""
        out = {}
        for cells in self.tables[table]:
            out[tuple(cells[:key_len])] = (cells[:-1], self.sources.get(cells[-1], ("not recorded",) * 4))
        return out


class Report:
    def __init__(self, args):
        self.args = args
        self.datasets = args.datasets.split(",")
        self.models = args.models.split(",")
        self.ranks = [int(r) for r in args.ranks.split(",")]
        self.precisions = args.precisions.split(",")
        self.seeds = list(range(args.first_seed, args.first_seed + args.seeds))
        self.previous = Previous(args.previous or args.out)
        self.keep = args.keep_other_rows and any(self.previous.tables.values())
        self.now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        self.source = self.this_source()
        self.pyg = self.load_pyg()

    # --- runs -------------------------------------------------------------------------------------
    def path(self, d, m, r, p, s):
        return os.path.join(self.args.runs, f"{d}-{RUN_KEY[m]}-r{r}-{p}-e{self.args.epochs}-s{s}.json")

    def load(self, d, m, r, p):
        """Summaries of one cell, one per seed that finished."""
        found = []
        for s in self.seeds:
            path = self.path(d, m, r, p, s)
            if os.path.exists(path):
                with open(path) as f:
                    found.append(json.load(f))
        return found

    def cells_run(self):
        return [(d, m, r, p) for d in self.datasets for m in self.models for r in self.ranks for p in self.precisions
                if not (r == 1 and p == "int8-halo") and not (m != "gat" and p.startswith("int8-attn"))]

    def this_source(self):
        """This invocation as a row of the sources table: command, date, machine, summaries."""
        paths = [self.path(*cell, s) for cell in self.cells_run() for s in self.seeds]
        times = sorted(os.path.getmtime(p) for p in paths if os.path.exists(p))
        summaries = f"{len(times)} ({self.args.executed} run by this command, {self.args.failed} failed"
        if self.args.stopped_at:
            summaries += f"; launches stopped at {self.args.stopped_at} UTC"
        summaries += ")"
        if times:
            fmt = lambda t: datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M")
            summaries += f", finished {fmt(times[0])} – {fmt(times[-1])} UTC"
        return (f"`{self.args.command}`", self.now, self.args.machine, summaries)

    def requested(self, d, m, r=None):
        return d in self.datasets and m in self.models and (r is None or r in self.ranks)

    @staticmethod
    def stats(runs):
        acc = [100.0 * r["test_acc"] for r in runs]
        return statistics.fmean(acc), statistics.stdev(acc) if len(acc) > 1 else None, len(acc)

    def cell(self, d, m, r, p):
        """(text, (mean, std, n) or None) of one precision's cell."""
        if r == 1 and p == "int8-halo":
            return "n/a (no halo)", None
        runs = self.load(d, m, r, p) if p in self.precisions else []
        if not runs:
            return "not run", None
        mean, std, n = self.stats(runs)
        return f"{mean:.2f}" + (f" ± {std:.2f}" if std is not None else "") + f" (n={n})", (mean, std, n)

    def delta(self, d, m, r, p):
        if r == 1 and p == "int8-halo":
            return "n/a"
        base, quant = self.cell(d, m, r, "fp32")[1], self.cell(d, m, r, p)[1]
        if base is None or quant is None:
            return "not run"
        diff = quant[0] - base[0]
        return f"{diff:+.2f}" + ("" if diff >= -0.5 else " **(> 0.5 pp below fp32)**")

    def order(self, with_ranks=True):
        datasets, models = (ALL_DATASETS, ALL_MODELS) if self.keep else (self.datasets, self.models)
        ranks = ALL_RANKS if self.keep else self.ranks
        return [(d, m, r) for d in datasets for m in models for r in (ranks if with_ranks else (None,))]

    # --- tables: each returns {key: (cells without source, source)} in display order ---------------
    def main_rows(self):
        carried = self.previous.rows("main", 3) if self.keep else {}
        rows = {}
        for d, m, r in self.order():
            key = (d, MODEL_LABEL[m], str(r))
            if self.requested(d, m, r):
                rows[key] = ([d, MODEL_LABEL[m], r, self.cell(d, m, r, "fp32")[0], self.cell(d, m, r, "int8")[0],
                              self.delta(d, m, r, "int8"), self.cell(d, m, r, "int8-halo")[0],
                              self.delta(d, m, r, "int8-halo")], self.source)
            elif key in carried:
                rows[key] = carried[key]
        return rows

    def attention_rows(self):
        carried = self.previous.rows("attention", 2) if self.keep else {}
        fresh = "gat" in self.models and any(p.startswith("int8-attn") for p in self.precisions)
        rows = {}
        for d, _, r in self.order():
            if _ != "gat":
                continue
            key = (d, str(r))
            if fresh and self.requested(d, "gat", r):
                cells = [d, r, self.cell(d, "gat", r, "fp32")[0]]
                for p in ATTENTION:
                    cells += [self.cell(d, "gat", r, p)[0], self.delta(d, "gat", r, p)]
                rows[key] = (cells, self.source)
            elif key in carried:
                rows[key] = carried[key]
        return rows

    def traffic_rows(self):
        """Halo bytes and epoch time of the 4-rank runs, mean over seeds; per dataset and model."""
        carried = {}
        if self.keep:
            for cells, source in self.previous.rows("traffic", 3).values():
                carried.setdefault((cells[0], cells[1]), []).append((cells, source))
        rows = []
        for d, m, _ in self.order(with_ranks=False):
            if not self.requested(d, m, 4):
                rows += carried.get((d, MODEL_LABEL[m]), [])
                continue
            for p in self.precisions:
                runs = [x for x in self.load(d, m, 4, p) if x.get("bytes_fp32")]
                if not runs:
                    continue
                sent = statistics.fmean(x["bytes_sent"] for x in runs) / 1e6
                fp32 = statistics.fmean(x["bytes_fp32"] for x in runs) / 1e6
                ms = statistics.fmean(x["epoch_ms_mean"] for x in runs)
                rows.append(([d, MODEL_LABEL[m], LABELS[p], f"{sent:.1f}", f"{fp32:.1f}",
                              f"{fp32 / sent if sent else float('inf'):.1f}x", f"{ms:.0f}"], self.source))
        return rows

    # --- PyTorch Geometric -------------------------------------------------------------------------
    def load_pyg(self):
        if not self.args.pyg_reference or not os.path.exists(self.args.pyg_reference):
            return None
        with open(self.args.pyg_reference) as f:
            return json.load(f)

    def versus_pyg(self, main, d, m):
        """(Tango cell, PyG entry, Δ, 2 SE of Δ or None, source) or None when either side is missing."""
        row = main.get((d, MODEL_LABEL[m], "1"))
        entry = next((e for e in (self.pyg or {}).get("entries", []) if (e["dataset"], e["model"]) == (d, m)), None)
        tango = parse_cell(row[0][3]) if row else None
        if tango is None or entry is None:
            return None
        n_p = len(entry["seeds"])
        two_se = (2 * math.sqrt(tango[1] ** 2 / tango[2] + entry["std"] ** 2 / n_p)
                  if tango[1] is not None and entry["std"] is not None else None)
        return tango, entry, tango[0] - entry["mean"], two_se, row[1]

    @staticmethod
    def pyg_text(entry):
        return (f"{entry['mean']:.2f}" + (f" ± {entry['std']:.2f}" if entry["std"] is not None else "")
                + f" (n={len(entry['seeds'])})")

    # --- rendering ---------------------------------------------------------------------------------
    def render(self):
        main, attention, traffic = self.main_rows(), self.attention_rows(), self.traffic_rows()
        ids = {}  # source cells -> "S1", "S2", ... in order of first use
        for _, source in list(main.values()) + list(attention.values()) + traffic:
            ids.setdefault(source, f"S{len(ids) + 1}")
        L = self.header(ids)
        L += ["", MAIN_HEADER, "|---" * 9 + "|"] + [join_row(c + [ids[s]]) for c, s in main.values()]
        if attention:
            L += ["", "GAT attention under `--precision int8` (`--gat-attention fp32 | per-tensor | per-row`; the "
                  "INT8 GEMMs are the same in all three):", "", ATTENTION_HEADER, "|---" * 10 + "|"]
            L += [join_row(c + [ids[s]]) for c, s in attention.values()]
        if traffic:
            L += ["", "Halo traffic and time of the 4-rank runs (whole run, mean over seeds; epoch times on a",
                  "shared machine are indicative only):", "", TRAFFIC_HEADER, "|---" * 8 + "|"]
            L += [join_row(c + [ids[s]]) for c, s in traffic]
        L += self.pyg_table(main, ids)
        L += self.targets(main, attention, ids)
        if self.previous.notes:
            L += ["", NOTES_MARK + self.previous.notes.rstrip("\n")]
        return "\n".join(L) + "\n"

    def header(self, ids):
        a = self.args
        seeds = f"- Seeds requested: {', '.join(map(str, self.seeds))}; epochs: {a.epochs}"
        if a.stopped_at:
            seeds += f"; launches stopped at {a.stopped_at} UTC"
        L = [
            "# Accuracy",
            "",
            "Test accuracy (%) at the best validation epoch (`test_acc` of each run's `--summary` JSON), mean ±",
            "sample standard deviation over seeds; `n` is the number of seeds that finished in that cell. Δ is the",
            "quantized column's mean minus the fp32 mean of the same row, in percentage points.",
            "Generated by `scripts/accuracy.sh` (`scripts/accuracy_report.py`); do not edit by hand. Reproduce:",
            "`scripts/accuracy.sh` runs every cell (seed-major, resumable; `--help`), `scripts/accuracy.sh",
            "--report-only` rewrites this file from the summaries in its work dir.",
            "",
            f"- Command: `{a.command}`",
            f"- Date: {self.now}",
            f"- Machine: {a.machine} (CPU ranks; 4 ranks oversubscribed through `launch/tango-run` when cores < 4)",
            seeds,
            "- Datasets: cora (public split, 140/500/1,000, `--normalize-features`), facebook (`random-60-20-20`).",
            "- GCN and SAGE: `--hidden 64 --dropout 0.5 --lr 0.01 --weight-decay 5e-4`; GAT: `--heads 8 --hidden 8",
            "  --activation elu --lr 0.005 --dropout 0.6 --attn-dropout 0.6 --weight-decay 5e-4` (8 heads x 8 per",
            "  head, concatenated; output 1 head); Adam, 2 layers. GAT int8 local keeps attention in FP32",
            "  (`--gat-attention fp32`, the default); the attention table below compares the scales.",
            "- 4 ranks: `tango-partition DATASET --parts 4` (METIS), then `launch/tango-run -np 4 -- tango-train",
            "  --parts DIR`. Halo column: `--precision int8 --halo-bits fwd=4,bwd=8` (one rank has no halo).",
            "",
            "Sources: the invocation whose summaries make each row (the `source` column); a row copied by",
            "`--keep-other-rows` keeps its source.",
            "",
            SOURCES_HEADER,
            "|---" * 5 + "|",
        ]
        L += [join_row([sid] + list(source)) for source, sid in ids.items()]
        return L

    def pyg_table(self, main, ids):
        if not self.pyg:
            return []
        ref = self.pyg
        first = ref["entries"][0] if ref.get("entries") else {"versions": {"torch": "?", "torch_geometric": "?"}}
        link = os.path.relpath(self.args.pyg_reference, os.path.dirname(os.path.abspath(self.args.previous
                                                                                          or self.args.out)))
        machine = f" on {ref['machine']}" if ref.get("machine") else ""
        L = ["", "## PyTorch Geometric with the same settings", "",
             f"PyG: [`{os.path.basename(self.args.pyg_reference)}`]({link}) (generated {ref.get('generated', '?')} "
             f"by `{ref.get('command', 'bench/compare_pyg.sh --phases accuracy')}`{machine}: `bench/pyg_train.py`, "
             f"torch {first['versions']['torch']}, torch_geometric {first['versions']['torch_geometric']}, one "
             "process, on the same HDF5 data, split and hyperparameters as the rows above; GCNConv / SAGEConv "
             "(mean, root weight) / GATConv with PyG's own weight init). Tango: the fp32 1-rank cell above (its "
             "source). Δ = Tango mean − PyG mean; 2 SE = 2 sqrt(s_T²/n_T + s_P²/n_P), the noise of that difference "
             "over seeds.", "", PYG_HEADER, "|---" * 7 + "|"]
        for d in ALL_DATASETS:
            for m in ALL_MODELS:
                v = self.versus_pyg(main, d, m)
                if v is None:
                    continue
                t, entry, delta, two_se, source = v
                L.append(join_row([d, MODEL_LABEL[m], self.pyg_text(entry),
                                   f"{t[0]:.2f}" + (f" ± {t[1]:.2f}" if t[1] is not None else "") + f" (n={t[2]})",
                                   f"{delta:+.2f}", f"{two_se:.2f}" if two_se is not None else "?", ids[source]]))
        return L

    def targets(self, main, attention, ids):
        L = ["", "## Targets (issue 5)", ""]
        for m, target in CORA_TARGETS:
            for r in ALL_RANKS if self.keep else self.ranks:
                row = main.get(("cora", MODEL_LABEL[m], str(r)))
                got = parse_cell(row[0][3]) if row else None
                head = f"- FP32 {MODEL_LABEL[m]} cora >= {target:.1f}, {r} rank{'s' if r > 1 else ''}: "
                if got is None:
                    L.append(head + "not run")
                    continue
                raw = self.cell("cora", m, r, "fp32")[1] if row[1] == self.source else None
                mean = (raw or got)[0]
                L.append(head + f"{got[0]:.2f} (n={got[2]}): " + ("met" if mean >= target else "**not met**")
                         + f" ({ids[row[1]]})")
        pairs = [(f"{c[0]} {c[1]} {c[2]} rank(s) {LABELS[p]}", c[col]) for c, _ in main.values()
                 for p, col in (("int8", 5), ("int8-halo", 7))]
        pairs += [(f"{c[0]} GAT {c[1]} rank(s) {LABELS['int8-attn-row']}", c[8]) for c, _ in attention.values()]
        checked, misses = 0, []
        for name, text in pairs:
            diff = parse_delta(text)
            if diff is None:
                continue
            checked += 1
            if diff < -0.5 or "**" in text:
                misses.append(f"{name}: {diff:+.2f} pp")
        L.append(f"- Quantized within 0.5 pp of fp32 in the mean (not more than 0.5 pp below): {checked} pairs "
                 "checked (every Δ of " + ", ".join(LABELS[p] for p in QUANTIZED_CHECKED) + " above), "
                 + ("all met" if not misses else f"{len(misses)} not met: " + "; ".join(misses)))
        for m in ALL_MODELS:
            v = self.versus_pyg(main, "facebook", m)
            head = (f"- facebook {MODEL_LABEL[m]} fp32, 1 rank, at least PyTorch Geometric's accuracy with the same "
                    "settings: ")
            if v is None:
                L.append(head + ("not run" if self.pyg else
                                 "PyG reference not recorded (bench/compare_pyg.sh --phases accuracy)"))
                continue
            t, entry, delta, two_se, source = v
            if delta >= 0:
                verdict = "met"
            elif two_se is not None and -delta <= two_se:
                verdict = f"mean {-delta:.2f} pp below, within the seed noise (2 SE = {two_se:.2f} pp): met within noise"
            else:
                verdict = "**not met**" + (f" (below by more than 2 SE = {two_se:.2f} pp)" if two_se is not None else "")
            L.append(head + f"{t[0]:.2f} (n={t[2]}) vs PyG {self.pyg_text(entry)}, Δ {delta:+.2f}: {verdict} "
                     f"({ids[source]})")
        return L


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--runs", required=True, help="the work dir's runs/ (one summary JSON per run)")
    ap.add_argument("--out", required=True, help="the markdown file to write")
    ap.add_argument("--previous", default="", help="the file whose rows and notes are kept (default: --out)")
    ap.add_argument("--datasets", default="cora,facebook")
    ap.add_argument("--models", default="gcn,sage,gat")
    ap.add_argument("--ranks", default="1,4")
    ap.add_argument("--precisions", default=",".join(PRECISIONS))
    ap.add_argument("--first-seed", type=int, default=1)
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--epochs", type=int, default=200)
    ap.add_argument("--command", default="scripts/accuracy_report.py", help="the command line for the header")
    ap.add_argument("--machine", default="?", help="CPU model and core count for the header")
    ap.add_argument("--executed", type=int, default=0, help="runs this invocation made")
    ap.add_argument("--failed", type=int, default=0, help="runs this invocation saw fail")
    ap.add_argument("--stopped-at", default="", help="HH:MM (UTC) when launches stopped early")
    ap.add_argument("--keep-other-rows", action="store_true")
    ap.add_argument("--pyg-reference", default="", help="docs/pyg_reference.json (bench/compare_pyg.sh)")
    args = ap.parse_args()
    text = Report(args).render()
    tmp = f"{args.out}.tmp.{os.getpid()}"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, args.out)


if __name__ == "__main__":
    main()
