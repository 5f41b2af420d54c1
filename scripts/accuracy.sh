#!/usr/bin/env bash
# Regenerates docs/ACCURACY.md: test accuracy at the best validation epoch (summary JSON `test_acc`)
# of GCN, GraphSAGE and GAT on cora (public split) and facebook (its given split), on 1 rank and on
# 4 ranks (tango-partition --parts 4, then launch/tango-run -np 4), for fp32, int8 local primitives,
# and int8 local + int4-forward / int8-backward halos; mean ± sample std over N seeds per cell, and
# each quantized column's difference to fp32 in percentage points. GAT also gets a table of its INT8
# attention (--gat-attention fp32 / per-tensor / per-row; precisions int8, int8-attn-tensor, int8-attn-row).
# The file is written by scripts/accuracy_report.py: one header (this command, its date and machine),
# then the tables, each row ending with the source (invocation) that ran its seeds. Everything below the
# line "<!-- notes below are kept by scripts/accuracy.sh -->" in the existing output file is carried over
# unchanged (hand-written findings that the runs alone do not show).
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
#   --keep-other-rows  rows of the datasets, models and rank counts NOT requested now are copied from the
#                   existing FILE with their source, so a sweep of one model updates only its rows
#   --pyg-reference FILE  PyTorch Geometric's accuracies with the same settings (default
#                   docs/pyg_reference.json, written by bench/compare_pyg.sh --phases accuracy): each fp32
#                   1-rank row is compared with them (the facebook target of issue 5); absent: "not recorded"
# Runs go seed-major (every cell's seed 1, then every cell's seed 2, ...), so a sweep stopped early
# still has an even seed count. Cells not run say "not run"; 1-rank halo cells say "n/a" (no halo).
# Environment: TANGO_DATA_DIR (folder with cora/ and facebook/; default ../shared/datasets beside the
# repository), OMP_WAIT_POLICY (default passive), TANGO_LOG_LEVEL (default warn).
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

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
source "$repo_root/scripts/cli_lib.sh"  # die, usage, need_value, quote_command
command_line="$(quote_command scripts/accuracy.sh "$@")"

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

# The tables, from every summary in the work dir that belongs to a requested cell.
mkdir -p "$(dirname "$out_file")"
tmp_out="$out_file.tmp.$$"
trap 'rm -f "$tmp_out"' EXIT
machine="$(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -1), $(nproc) cores"
stop_args=()
[[ $stopped_early -eq 1 ]] && stop_args=(--stopped-at "$stop_at")
keep_args=()
[[ $keep_other_rows -eq 1 ]] && keep_args=(--keep-other-rows)
python3 "$repo_root/scripts/accuracy_report.py" --runs "$work_dir/runs" --out "$tmp_out" --previous "$out_file" \
  --datasets "$datasets" --models "$models" --ranks "$ranks_list" --precisions "$precisions" \
  --first-seed "$first_seed" --seeds "$seeds" --epochs "$epochs" --command "$command_line" --machine "$machine" \
  --executed "$executed" --failed "$failed" --pyg-reference "$pyg_reference" "${stop_args[@]}" "${keep_args[@]}"
mv "$tmp_out" "$out_file"
trap - EXIT
echo "accuracy.sh: wrote $out_file ($executed runs executed, $reused reused, $failed failed)" >&2
