#!/usr/bin/env bash
# Regenerates docs/ACCURACY.md: test accuracy at the best validation epoch (summary JSON `test_acc`)
# of GCN, GraphSAGE and GAT on cora (public split) and facebook (its given split), on 1 rank and on
# 4 ranks (tango-partition --parts 4, then launch/tango-run -np 4), for fp32, int8 local primitives,
# and int8 local + int4-forward / int8-backward halos; mean ± sample std over N seeds per cell, and
# each quantized column's difference to fp32 in percentage points. GAT also gets a table of its INT8
# attention (--gat-attention fp32 / per-tensor / per-row; precisions int8, int8-attn-tensor, int8-attn-row).
# Everything below the line "<!-- notes below are kept by scripts/accuracy.sh -->" in the existing output
# file is carried over unchanged (hand-written findings that the runs alone do not show).
#
#   scripts/accuracy.sh [--datasets cora,facebook] [--models gcn,sage,gat] [--ranks 1,4]
#                       [--precisions fp32,int8,int8-halo,int8-attn-tensor,int8-attn-row] [--seeds N] [--first-seed S] [--epochs E]
#                       [--stop-at HH:MM] [--build DIR] [--work DIR] [--out FILE] [--report-only]
#                       [--pyg-reference FILE]
#
#   --seeds N       seeds S .. S+N-1 per cell (default 5, first seed 1)
#   --epochs E      training epochs (default 200; the hyperparameters are otherwise fixed, below)
#   --stop-at HH:MM launch no run after this UTC time (today); the table is made from what finished
#   --work DIR      partitions, logs and one summary JSON per run (default build/accuracy); a run whose
#                   summary is already there is not repeated, so a stopped sweep can be continued
#   --report-only   run nothing: write the table from the summaries already in the work dir
#   --out FILE      the markdown file (default docs/ACCURACY.md), written atomically (temp + mv)
#   --keep-other-rows  rows (and traffic / target lines) of the datasets and models NOT requested now are
#                   copied verbatim from the existing FILE, so a sweep of one model updates only its rows
#   --pyg-reference FILE  PyTorch Geometric's accuracies with the same settings (default
#                   docs/pyg_reference.json, written by bench/compare_pyg.sh --phases accuracy): each fp32
#                   1-rank row is compared with them (the facebook target of issue 5); absent: "not recorded"
# Runs go seed-major (every cell's seed 1, then every cell's seed 2, ...), so a sweep stopped early
# still has an even seed count. Cells not run say "not run"; 1-rank halo cells say "n/a" (no halo).
# Environment: TANGO_DATA_DIR (folder with cora/ and facebook/; default ../shared/datasets beside the
# repository), OMP_WAIT_POLICY (default passive), TANGO_LOG_LEVEL (default warn).
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
command_line="scripts/accuracy.sh$(printf ' %q' "$@")"
[[ $# -gt 0 ]] || command_line="scripts/accuracy.sh"

datasets="cora,facebook"
models="gcn,sage,gat"
ranks_list="1,4"
precisions="fp32,int8,int8-halo,int8-attn-tensor,int8-attn-row"
seeds=5
first_seed=1
epochs=200
stop_at=""
build_dir="$repo_root/build"
work_dir=""
out_file="$repo_root/docs/ACCURACY.md"
pyg_reference="$repo_root/docs/pyg_reference.json"
report_only=0
keep_other_rows=0

# shellcheck source=scripts/cli_lib.sh
source "$repo_root/scripts/cli_lib.sh"  # die, usage, need_value

while [[ $# -gt 0 ]]; do
  case "$1" in
    -h | --help) usage; exit 0 ;;
    --datasets) need_value "$@"; datasets="$2"; shift 2 ;;
    --models) need_value "$@"; models="$2"; shift 2 ;;
    --ranks) need_value "$@"; ranks_list="$2"; shift 2 ;;
    --precisions) need_value "$@"; precisions="$2"; shift 2 ;;
    --seeds) need_value "$@"; seeds="$2"; shift 2 ;;
    --first-seed) need_value "$@"; first_seed="$2"; shift 2 ;;
    --epochs) need_value "$@"; epochs="$2"; shift 2 ;;
    --stop-at) need_value "$@"; stop_at="$2"; shift 2 ;;
    --build) need_value "$@"; build_dir="$2"; shift 2 ;;
    --work) need_value "$@"; work_dir="$2"; shift 2 ;;
    --out) need_value "$@"; out_file="$2"; shift 2 ;;
    --report-only) report_only=1; shift ;;
    --keep-other-rows) keep_other_rows=1; shift ;;
    --pyg-reference) need_value "$@"; pyg_reference="$2"; shift 2 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done

[[ "$seeds" =~ ^[1-9][0-9]*$ ]] || die "--seeds '$seeds' is not a positive integer"
[[ "$first_seed" =~ ^[0-9]+$ ]] || die "--first-seed '$first_seed' is not a non-negative integer"
[[ "$epochs" =~ ^[1-9][0-9]*$ ]] || die "--epochs '$epochs' is not a positive integer"
IFS=, read -r -a dataset_names <<< "$datasets"
IFS=, read -r -a model_names <<< "$models"
IFS=, read -r -a rank_counts <<< "$ranks_list"
IFS=, read -r -a precision_names <<< "$precisions"
for d in "${dataset_names[@]}"; do [[ "$d" == cora || "$d" == facebook ]] || die "--datasets: '$d' is not cora or facebook"; done
for m in "${model_names[@]}"; do [[ "$m" =~ ^(gcn|sage|gat)$ ]] || die "--models: '$m' is not gcn, sage or gat"; done
for r in "${rank_counts[@]}"; do [[ "$r" == 1 || "$r" == 4 ]] || die "--ranks: '$r' is not 1 or 4"; done
for p in "${precision_names[@]}"; do
  [[ "$p" =~ ^(fp32|int8|int8-halo|int8-attn-tensor|int8-attn-row)$ ]] ||
    die "--precisions: '$p' is not fp32, int8, int8-halo, int8-attn-tensor or int8-attn-row"
done
deadline=""
if [[ -n "$stop_at" ]]; then
  [[ "$stop_at" =~ ^[0-2][0-9]:[0-5][0-9]$ ]] || die "--stop-at '$stop_at' is not HH:MM (UTC)"
  deadline=$(date -u -d "today $stop_at" +%s) || die "--stop-at '$stop_at' is not a time of day"
fi

work_dir="${work_dir:-$build_dir/accuracy}"
data_dir="${TANGO_DATA_DIR:-$repo_root/../shared/datasets}"
partition_bin="$build_dir/bin/tango-partition"
train_bin="$build_dir/bin/tango-train"
tango_run="$repo_root/launch/tango-run"
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-passive}"
export TANGO_LOG_LEVEL="${TANGO_LOG_LEVEL:-warn}"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
mkdir -p "$work_dir/runs" "$work_dir/logs" "$work_dir/parts"

# Hyperparameters per model (issue 5; GAT as in trainer/README.md: 8 heads x 8 per head, the GAT paper's
# cora model, which is also what `--model gat` alone gives). cora also row-normalizes features.
model_args() {
  case "$1" in
    gcn | sage) echo "--model $1 --hidden 64 --dropout 0.5 --lr 0.01 --weight-decay 5e-4" ;;
    gat) echo "--model gat --heads 8 --hidden 8 --activation elu --lr 0.005 --dropout 0.6 --attn-dropout 0.6 --weight-decay 5e-4" ;;
  esac
}
dataset_args() { if [[ "$1" == cora ]]; then echo "--normalize-features"; fi; }
precision_args() {
  case "$1" in
    fp32) echo "--precision fp32" ;;
    int8) echo "--precision int8" ;;
    int8-halo) echo "--precision int8 --halo-bits fwd=4,bwd=8" ;;
    int8-attn-tensor) echo "--precision int8 --gat-attention per-tensor" ;;
    int8-attn-row) echo "--precision int8 --gat-attention per-row" ;;
  esac
}
# GAT runs are named gat8x8: runs named gat came from builds where --hidden 8 meant 8 heads of width 1.
run_key() { if [[ "$1" == gat ]]; then echo gat8x8; else echo "$1"; fi; }
run_name() { echo "$1-$(run_key "$2")-r$3-$4-e$epochs-s$5"; } # dataset model ranks precision seed

# ensure_parts DATASET: 4 METIS parts of DATASET in the work dir (made once, then reused).
parts_dir() { echo "$work_dir/parts/$1-4"; }
ensure_parts() {
  local dir
  dir=$(parts_dir "$1")
  if [[ ! -f "$dir/manifest.json" ]]; then
    echo "accuracy.sh: tango-partition $1 --parts 4" >&2
    "$partition_bin" "$data_dir/$1" --parts 4 --out "$dir" --force > "$work_dir/logs/partition-$1.log" 2>&1 ||
      die "tango-partition $data_dir/$1 failed; see $work_dir/logs/partition-$1.log"
  fi
}

executed=0
reused=0
failed=0
stopped_early=0
if [[ $report_only -eq 0 ]]; then
  [[ -x "$train_bin" && -x "$partition_bin" ]] ||
    die "tango-train / tango-partition not found in $build_dir/bin: build them (or pass --build DIR)"
  for d in "${dataset_names[@]}"; do
    [[ -d "$data_dir/$d/raw" ]] || die "dataset $d not found at $data_dir/$d: set TANGO_DATA_DIR"
    if [[ ",$ranks_list," == *,4,* ]]; then ensure_parts "$d"; fi
  done
  for ((seed = first_seed; seed < first_seed + seeds; seed++)); do
    for d in "${dataset_names[@]}"; do
      for m in "${model_names[@]}"; do
        for r in "${rank_counts[@]}"; do
          for p in "${precision_names[@]}"; do
            [[ "$r" == 1 && "$p" == int8-halo ]] && continue # one rank exchanges no halo
            [[ "$p" == int8-attn-* && "$m" != gat ]] && continue # attention scales are GAT's only
            name=$(run_name "$d" "$m" "$r" "$p" "$seed")
            summary="$work_dir/runs/$name.json"
            if [[ -s "$summary" ]]; then
              reused=$((reused + 1))
              continue
            fi
            if [[ -n "$deadline" && $(date -u +%s) -ge $deadline ]]; then
              stopped_early=1
              break 5
            fi
            # shellcheck disable=SC2207  # the *_args functions print plain space-separated flags
            args=($(model_args "$m") $(dataset_args "$d") $(precision_args "$p")
              --epochs "$epochs" --seed "$seed" --quiet --summary "$summary.tmp")
            if [[ "$r" == 1 ]]; then
              cmd=("$train_bin" --dataset "$data_dir/$d" "${args[@]}")
            else
              cmd=("$tango_run" -np "$r" -- "$train_bin" --parts "$(parts_dir "$d")" "${args[@]}")
            fi
            start=$(date +%s)
            if "${cmd[@]}" > "$work_dir/logs/$name.log" 2>&1 && [[ -s "$summary.tmp" ]]; then
              mv "$summary.tmp" "$summary"
              executed=$((executed + 1))
              echo "accuracy.sh: $name test_acc $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["test_acc"])' "$summary") ($(($(date +%s) - start)) s)" >&2
            else
              failed=$((failed + 1))
              rm -f "$summary.tmp"
              echo "accuracy.sh: $name FAILED; see $work_dir/logs/$name.log" >&2
            fi
          done
        done
      done
    done
  done
fi

# The table, from every summary in the work dir that belongs to a requested cell.
mkdir -p "$(dirname "$out_file")"
tmp_out="$out_file.tmp.$$"
trap 'rm -f "$tmp_out"' EXIT
machine="$(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -1), $(nproc) cores"
python3 - "$work_dir/runs" "$tmp_out" "$datasets" "$models" "$ranks_list" "$precisions" \
  "$first_seed" "$seeds" "$epochs" "$command_line" "$machine" "$executed" "$reused" "$failed" \
  "$stopped_early" "$stop_at" "$out_file" "$keep_other_rows" "$pyg_reference" <<'PY'
import datetime, json, math, os, re, statistics, sys

(runs_dir, out, datasets, models, ranks, precisions, first_seed, seeds, epochs, command, machine,
 executed, reused, failed, stopped_early, stop_at, previous_out, keep_other_rows, pyg_reference) = sys.argv[1:]
datasets, models, precisions = datasets.split(","), models.split(","), precisions.split(",")
ranks = [int(r) for r in ranks.split(",")]
seed_list = list(range(int(first_seed), int(first_seed) + int(seeds)))
epochs = int(epochs)
labels = {"fp32": "fp32", "int8": "int8 local", "int8-halo": "int8 local + halo fwd=4,bwd=8",
          "int8-attn-tensor": "int8, per-tensor attention", "int8-attn-row": "int8, per-row attention"}
model_label = {"gcn": "GCN", "sage": "SAGE", "gat": "GAT"}
run_key = {"gcn": "gcn", "sage": "sage", "gat": "gat8x8"}
NOTES_MARK = "<!-- notes below are kept by scripts/accuracy.sh -->"
ALL_DATASETS, ALL_MODELS, ALL_RANKS = ("cora", "facebook"), ("gcn", "sage", "gat"), (1, 4)
previous = []
if os.path.exists(previous_out):
    with open(previous_out) as f:
        previous = f.read().split(NOTES_MARK, 1)[0].splitlines()
keep = keep_other_rows == "1" and bool(previous)


def requested(d, m, r=None):
    return d in datasets and m in models and (r is None or r in ranks)


def previous_lines(prefix):
    """Lines of the previous file that start with `prefix` (a carried-over row)."""
    return [line for line in previous if line.startswith(prefix)]


def is_traffic_row(line):
    """A row of the halo traffic table: 7 cells, the reduction ending in "x". The main table's rows (8
    cells) and the PyG table's (6) start with the same "| dataset | model |"."""
    cells = line.strip().split("|")[1:-1]
    return len(cells) == 7 and cells[5].strip().endswith("x")


def previous_header():
    """The previous file's Command / Date / Runs lines and its own carry-over note (with the header it
    quotes, indented), so rows carried twice still name the invocation that ran them."""
    out, in_carry = [], False
    for line in previous:
        if line.startswith(("- Command:", "- Date:", "- Runs in the table:", "- Carried over verbatim")):
            out.append(line)
            in_carry = line.startswith("- Carried over verbatim")
        elif in_carry and line.startswith("  "):
            out.append(line)
        else:
            in_carry = False
    return out


def load(d, m, r, p):
    """Summaries of one cell, one per seed that finished."""
    found = []
    for s in seed_list:
        path = os.path.join(runs_dir, f"{d}-{run_key[m]}-r{r}-{p}-e{epochs}-s{s}.json")
        if os.path.exists(path):
            with open(path) as f:
                found.append(json.load(f))
    return found


def total_runs():
    return sum(len(load(d, m, r, p)) for d in datasets for m in models for r in ranks for p in precisions
               if not (r == 1 and p == "int8-halo") and not (m != "gat" and p.startswith("int8-attn")))


def stats(runs):
    acc = [100.0 * r["test_acc"] for r in runs]
    mean = statistics.fmean(acc)
    std = statistics.stdev(acc) if len(acc) > 1 else float("nan")
    return mean, std, len(acc)


def cell_text(d, m, r, p):
    if r == 1 and p == "int8-halo":
        return "n/a (no halo)"
    if p not in precisions:
        return "not run"
    runs = load(d, m, r, p)
    if not runs:
        return "not run"
    mean, std, n = stats(runs)
    spread = f" ± {std:.2f}" if n > 1 else ""
    return f"{mean:.2f}{spread} (n={n})"


def delta_text(d, m, r, p):
    if r == 1 and p == "int8-halo":
        return "n/a"
    base, quant = load(d, m, r, "fp32"), load(d, m, r, p)
    if "fp32" not in precisions or p not in precisions or not base or not quant:
        return "not run"
    diff = stats(quant)[0] - stats(base)[0]
    mark = "" if diff >= -0.5 else " **(> 0.5 pp below fp32)**"
    return f"{diff:+.2f}{mark}"


lines = []
now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
lines += [
    "# Accuracy",
    "",
    "Test accuracy (%) at the best validation epoch (`test_acc` of each run's `--summary` JSON), mean ±",
    "sample standard deviation over seeds; `n` is the number of seeds that finished in that cell. Δ is the",
    "quantized column's mean minus the fp32 mean of the same row, in percentage points.",
    "Generated by `scripts/accuracy.sh`; do not edit by hand.",
    "",
    f"- Command: `{command}`",
    f"- Date: {now}",
    f"- Machine: {machine} (CPU ranks; 4 ranks oversubscribed through `launch/tango-run` when cores < 4)",
    f"- Seeds requested: {', '.join(map(str, seed_list))}; epochs: {epochs}"
    + (f"; launches stopped at {stop_at} UTC" if stopped_early == "1" else ""),
    f"- Runs in the table: {total_runs()} summaries (this invocation: {executed} executed, {failed} failed; the "
    "rest from earlier invocations with the same work dir and epochs)",
    "- Datasets: cora (public split, 140/500/1,000, `--normalize-features`), facebook (`random-60-20-20`).",
    "- GCN and SAGE: `--hidden 64 --dropout 0.5 --lr 0.01 --weight-decay 5e-4`; GAT: `--heads 8 --hidden 8",
    "  --activation elu --lr 0.005 --dropout 0.6 --attn-dropout 0.6 --weight-decay 5e-4` (8 heads x 8 per",
    "  head, concatenated; output 1 head); Adam, 2 layers. GAT int8 local keeps attention in FP32",
    "  (`--gat-attention fp32`, the default); the attention table below compares the scales.",
    "- 4 ranks: `tango-partition DATASET --parts 4` (METIS), then `launch/tango-run -np 4 -- tango-train",
    "  --parts DIR`. Halo column: `--precision int8 --halo-bits fwd=4,bwd=8` (one rank has no halo).",
    "",
    "| dataset | model | ranks | fp32 | int8 local | Δ int8 | int8 + halo 4/8 | Δ int8 + halo |",
    "|---|---|---|---|---|---|---|---|",
]
if keep:
    carried = [f"{d} {model_label[m]}" + ("" if not requested(d, m) else f" {r} rank{'s' if r > 1 else ''}")
               for d in ALL_DATASETS for m in ALL_MODELS for r in ALL_RANKS
               if not requested(d, m, r) and (requested(d, m) or r == ALL_RANKS[0])]
    lines[-3:-3] = [
        f"- Carried over verbatim (`--keep-other-rows`) from the previous file for {', '.join(carried)}: "
        "those runs are not in this work dir. The previous file's header:"] + [
        "  " + line for line in previous_header()]
for d in ALL_DATASETS if keep else datasets:
    for m in ALL_MODELS if keep else models:
        for r in ALL_RANKS if keep else ranks:
            if not requested(d, m, r):
                lines += previous_lines(f"| {d} | {model_label[m]} | {r} |")
                continue
            lines.append(
                f"| {d} | {model_label[m]} | {r} | {cell_text(d, m, r, 'fp32')} | "
                f"{cell_text(d, m, r, 'int8')} | {delta_text(d, m, r, 'int8')} | "
                f"{cell_text(d, m, r, 'int8-halo')} | {delta_text(d, m, r, 'int8-halo')} |"
            )

# GAT's INT8 attention: fp32 vs int8 with FP32 / per-tensor / per-row attention scales.
attention = [p for p in ("int8", "int8-attn-tensor", "int8-attn-row") if p in precisions]
if "gat" in models and any(p.startswith("int8-attn") for p in attention):
    lines += ["", "GAT attention under `--precision int8` (`--gat-attention fp32 | per-tensor | per-row`; the INT8",
              "GEMMs are the same in all three):", "",
              "| dataset | ranks | fp32 | int8, fp32 attention | Δ | int8, per-tensor attention | Δ | "
              "int8, per-row attention | Δ |",
              "|---|---|---|---|---|---|---|---|---|"]
    for d in datasets:
        for r in ranks:
            cells = [cell_text(d, "gat", r, "fp32")]
            for p in ("int8", "int8-attn-tensor", "int8-attn-row"):
                cells += [cell_text(d, "gat", r, p), delta_text(d, "gat", r, p)]
            lines.append(f"| {d} | {r} | " + " | ".join(cells) + " |")

# Halo traffic of the 4-rank runs (mean over seeds).
traffic = []
for d in ALL_DATASETS if keep else datasets:
    for m in ALL_MODELS if keep else models:
        if not requested(d, m) or (keep and 4 not in ranks):  # kept 4-rank rows keep their traffic lines
            traffic += [line for line in previous_lines(f"| {d} | {model_label[m]} | ")
                        if is_traffic_row(line)]
            continue
        for p in precisions:
            runs = [x for x in load(d, m, 4, p) if x.get("bytes_fp32")]
            if 4 in ranks and runs:
                sent = statistics.fmean(x["bytes_sent"] for x in runs) / 1e6
                fp32 = statistics.fmean(x["bytes_fp32"] for x in runs) / 1e6
                ms = statistics.fmean(x["epoch_ms_mean"] for x in runs)
                traffic.append(f"| {d} | {model_label[m]} | {labels[p]} | {sent:.1f} | {fp32:.1f} | "
                               f"{fp32 / sent if sent else float('inf'):.1f}x | {ms:.0f} |")
if traffic:
    lines += ["", "Halo traffic and time of the 4-rank runs (whole run, mean over seeds; epoch times on a",
              "shared machine are indicative only):", "",
              "| dataset | model | precision | MB sent | MB fp32-equivalent | reduction | epoch ms |",
              "|---|---|---|---|---|---|---|"] + traffic

# Targets of issue 5.
def mean_of(d, m, r, p):
    runs = load(d, m, r, p) if p in precisions and r in ranks and d in datasets and m in models else []
    return stats(runs) if runs else None

# PyTorch Geometric with the same settings, against the fp32 1-rank rows (fresh or carried over).
def parse_cell(text):
    """(mean, std or None, n) of a table cell "82.30 ± 0.33 (n=5)" / "82.30 (n=1)"; None if not run."""
    m = re.match(r"\s*([0-9.]+)(?: ± ([0-9.]+))? \(n=(\d+)\)", text)
    return (float(m.group(1)), float(m.group(2)) if m.group(2) else None, int(m.group(3))) if m else None


def tango_fp32(d, m):
    row = next((line for line in lines if line.startswith(f"| {d} | {model_label[m]} | 1 |")), None)
    return parse_cell(row.split("|")[4]) if row else None


pyg = {}
if os.path.exists(pyg_reference):
    with open(pyg_reference) as f:
        reference = json.load(f)
    pyg = {(e["dataset"], e["model"]): e for e in reference["entries"]}


def versus_pyg(d, m):
    """(Tango, PyG entry, Δ, 2 SE of Δ or None) or None when either side is missing."""
    t, p = tango_fp32(d, m), pyg.get((d, m))
    if t is None or p is None:
        return None
    n_p = len(p["seeds"])
    two_se = (2 * math.sqrt(t[1] ** 2 / t[2] + p["std"] ** 2 / n_p)
              if t[1] is not None and p["std"] is not None else None)
    return t, p, t[0] - p["mean"], two_se


def pyg_text(p):
    n = len(p["seeds"])
    return f"{p['mean']:.2f}" + (f" ± {p['std']:.2f}" if p["std"] is not None else "") + f" (n={n})"


if pyg:
    first = next(iter(pyg.values()))
    lines += ["", "## PyTorch Geometric with the same settings", "",
              f"PyG: [`{os.path.basename(pyg_reference)}`]"
              f"({os.path.relpath(pyg_reference, os.path.dirname(os.path.abspath(previous_out)))}) (generated "
              f"{reference.get('generated', '?')} by `bench/compare_pyg.sh --phases accuracy`: `bench/pyg_train.py`, "
              f"torch {first['versions']['torch']}, torch_geometric {first['versions']['torch_geometric']}, one "
              "process, on the same HDF5 data, split and hyperparameters as the rows above; GCNConv / SAGEConv "
              "(mean, root weight) / GATConv with PyG's own weight init). Tango: the fp32 1-rank cell above. "
              "Δ = Tango mean − PyG mean; 2 SE = 2 sqrt(s_T²/n_T + s_P²/n_P), the noise of that difference "
              "over seeds.", "",
              "| dataset | model | PyG | Tango fp32, 1 rank | Δ | 2 SE |", "|---|---|---|---|---|---|"]
    for d in ALL_DATASETS:
        for m in ALL_MODELS:
            v = versus_pyg(d, m)
            if v is None:
                continue
            t, p, delta, two_se = v
            lines.append(f"| {d} | {model_label[m]} | {pyg_text(p)} | "
                         f"{t[0]:.2f}{f' ± {t[1]:.2f}' if t[1] is not None else ''} (n={t[2]}) | {delta:+.2f} | "
                         f"{f'{two_se:.2f}' if two_se is not None else '?'} |")

lines += ["", "## Targets (issue 5)", ""]
for m, target in (("gcn", 81.0), ("gat", 82.0), ("sage", 79.5)):
    for r in ALL_RANKS if keep else ranks:
        if keep and not requested("cora", m, r):
            lines += previous_lines(f"- FP32 {model_label[m]} cora >= {target:.1f}, {r} rank")
            continue
        got = mean_of("cora", m, r, "fp32")
        if got is None:
            verdict = "not run"
        else:
            verdict = f"{got[0]:.2f} (n={got[2]}): " + ("met" if got[0] >= target else "**not met**")
        lines.append(f"- FP32 {model_label[m]} cora >= {target:.1f}, {r} rank{'s' if r > 1 else ''}: {verdict}")
misses, checked = [], 0
for d in datasets:
    for m in models:
        for r in ranks:
            base = mean_of(d, m, r, "fp32")
            for p in ("int8", "int8-halo", "int8-attn-row"):  # per-tensor attention: Tango's rule, shown above
                if (r == 1 and p == "int8-halo") or (m != "gat" and p.startswith("int8-attn")):
                    continue
                q = mean_of(d, m, r, p)
                if base is None or q is None:
                    continue
                checked += 1
                if q[0] - base[0] < -0.5:
                    misses.append(f"{d} {model_label[m]} {r} rank(s) {labels[p]}: {q[0] - base[0]:+.2f} pp")
lines.append(f"- Quantized within 0.5 pp of fp32 in the mean (not more than 0.5 pp below): {checked} pairs "
             f"checked{' (this invocation; carried-over rows show theirs in their Δ columns)' if keep else ''}, " + ("all met" if not misses else f"{len(misses)} not met: " + "; ".join(misses)))
for m in ALL_MODELS:
    v = versus_pyg("facebook", m)
    head = f"- facebook {model_label[m]} fp32, 1 rank, at least PyTorch Geometric's accuracy with the same settings: "
    if v is None:
        lines.append(head + ("not run" if pyg else "PyG reference not recorded (bench/compare_pyg.sh --phases accuracy)"))
        continue
    t, p, delta, two_se = v
    if delta >= 0:
        verdict = "met"
    elif two_se is not None and -delta <= two_se:
        verdict = f"mean {-delta:.2f} pp below, within the seed noise (2 SE = {two_se:.2f} pp): met within noise"
    else:
        verdict = "**not met**" + (f" (below by more than 2 SE = {two_se:.2f} pp)" if two_se is not None else "")
    lines.append(head + f"{t[0]:.2f} (n={t[2]}) vs PyG {pyg_text(p)}, Δ {delta:+.2f}: {verdict}")
notes = []
if os.path.exists(previous_out):
    with open(previous_out) as f:
        kept = f.read().split(NOTES_MARK, 1)
    if len(kept) == 2:
        notes = ["", NOTES_MARK + kept[1].rstrip("\n")]
lines += notes
lines.append("")
with open(out, "w") as f:
    f.write("\n".join(lines))
PY
mv "$tmp_out" "$out_file"
trap - EXIT
echo "accuracy.sh: wrote $out_file ($executed runs executed, $reused reused, $failed failed)" >&2
