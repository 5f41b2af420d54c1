#!/usr/bin/env bash
# Convergence of quantized training against fp32 at scale: tango-train's loss and test-accuracy curves
# per epoch for each graph, model and cell, every cell with the same seed, model flags and epochs; then
# bench/convergence_report.py writes a markdown table (final test accuracy per cell, delta against the
# fp32 cell of the same rank count in pp, within 0.5 pp or not, epochs, command) and a PNG of the curves.
#
#   bench/convergence.sh [--graphs LIST] [--models LIST] [--cells LIST] [--layers L] [--epochs E]
#                        [--facebook-epochs E] [--eval-every N] [--seed S] [--train-args "FLAGS"]
#                        [--synthetic-args "FLAGS"]
#                        [--build DIR] [--work DIR] [--publish | --doc FILE.md --doc-png FILE.png]
#                        [--report-only] [--no-plot]
#
#   --graphs LIST     comma-separated: facebook (from $TANGO_DATA_DIR/facebook, default ../shared/datasets
#                     beside the repository) and power-law synthetic graphs named by their node count,
#                     100k, 300k, 1m or any N[k|m] (default 100k,300k,1m,facebook), each optionally
#                     NAME:EPOCHS to train that graph's cells for EPOCHS instead of --epochs /
#                     --facebook-epochs (e.g. 100k:120). Synthetic spec:
#                     synthetic:nodes=N,avg_degree=20,classes=16,features=128,homophily=0.6,hub_exponent=0.6,seed=1
#   --models LIST     gcn, sage, gat (default gcn,sage,gat); tango-train's defaults for each model
#                     (GCN / SAGE: --hidden 64 --dropout 0.5 --lr 0.01; GAT: 8 heads x 8, the GAT paper's)
#   --cells LIST      PRECISION[-haloBITS]-RANKS, PRECISION fp32|int8, BITS 8 (--halo-bits 8), 4
#                     (--halo-bits 4) or 48 (--halo-bits fwd=4,bwd=8), halo cells on 2 or more ranks
#                     (default fp32-1,int8-1,fp32-4,int8-halo8-4,int8-halo4-4). Cells without a halo
#                     suffix exchange fp32 halos. Each cell is compared with fp32-RANKS (fp32-1 if absent).
#   --layers L        layers of every model (default 3)
#   --epochs E        epochs on the synthetic graphs (default 30);  --facebook-epochs E  on facebook (200)
#   --eval-every N    evaluate train / valid / test accuracy every N epochs and after the last (default 5)
#   --seed S          tango-train --seed of every run (default 1)
#   --train-args F    extra tango-train flags for every run (e.g. "--hidden 16"); part of the run names
#   --synthetic-args F  extra flags for the synthetic graphs' runs only, after --train-args (3-layer SAGE
#                     and GAT with tango-train's defaults stay at chance on them for tens of epochs:
#                     "--dropout 0.2" trains them); part of those runs' names
#   --build DIR       build folder with bin/tango-train, bin/tango-partition, bin/tango-dataset (default build)
#   --work DIR        converted graphs, partitions, metrics, logs, the report (default BUILD/convergence);
#                     graphs, partitions and runs already there are reused
#   --publish         also write the report into docs/ACCURACY.md (section "Convergence at scale", between
#                     its markers) and the plot to docs/img/convergence.png
#   --doc F, --doc-png P  the same into another markdown file and PNG
#   --report-only     no runs: the report from the runs in the work dir (missing ones say "not run")
#   --no-plot         markdown only (the PNG needs matplotlib: scripts/mpl_venv.py makes a venv with it)
# Output: WORK/convergence.md, WORK/convergence.png; the planned budget (one epoch's time per graph and model,
# measured first) on stderr. Environment: TANGO_DATA_DIR, OMP_NUM_THREADS (default 1 per rank).
# Exit codes: 2 for usage errors, otherwise the first failing step's.
set -euo pipefail

src="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/cli_lib.sh
source "$src/scripts/cli_lib.sh" # die, usage, need_value, quote_command
command_line="$(quote_command bench/convergence.sh "$@")"

graphs="100k,300k,1m,facebook"
models="gcn,sage,gat"
cells="fp32-1,int8-1,fp32-4,int8-halo8-4,int8-halo4-4"
layers=3
epochs=30
facebook_epochs=200
eval_every=5
seed=1
train_args=""
synthetic_args=""
build="$src/build"
work=""
doc=""
doc_png=""
report_only=0
no_plot=0
positive() { [[ "$2" =~ ^[1-9][0-9]*$ ]] || die "$1 '$2' is not a positive integer"; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    -h | --help) usage; exit 0 ;;
    --publish) doc="$src/docs/ACCURACY.md"; doc_png="$src/docs/img/convergence.png"; shift; continue ;;
    --no-plot) no_plot=1; shift; continue ;;
    --report-only) report_only=1; shift; continue ;;
  esac
  need_value "$@"
  case "$1" in
    --graphs) graphs="$2" ;;
    --models) models="$2" ;;
    --cells) cells="$2" ;;
    --layers) positive "$1" "$2"; layers="$2" ;;
    --epochs) positive "$1" "$2"; epochs="$2" ;;
    --facebook-epochs) positive "$1" "$2"; facebook_epochs="$2" ;;
    --eval-every) positive "$1" "$2"; eval_every="$2" ;;
    --seed) [[ "$2" =~ ^[0-9]+$ ]] || die "--seed '$2' is not a whole number"; seed="$2" ;;
    --train-args) train_args="$2" ;;
    --synthetic-args) synthetic_args="$2" ;;
    --build) build="$2" ;;
    --work) work="$2" ;;
    --doc) doc="$2" ;;
    --doc-png) doc_png="$2" ;;
    *) die "unknown option '$1' (see --help)" ;;
  esac
  shift 2
done

IFS=, read -r -a graph_items <<< "$graphs"
# NAME[:EPOCHS] -> graph_list (names) and graph_epochs_of (the graphs with their own epochs).
graph_list=()
declare -A graph_epochs_of=()
for item in "${graph_items[@]}"; do
  if [[ "$item" == *:* ]]; then
    [[ "${item#*:}" =~ ^[1-9][0-9]*$ ]] || die "--graphs: '$item' is not NAME or NAME:EPOCHS (a positive integer)"
    graph_epochs_of["${item%%:*}"]="${item#*:}"
  fi
  graph_list+=("${item%%:*}")
done
IFS=, read -r -a model_list <<< "$models"
IFS=, read -r -a cell_list <<< "$cells"
[[ -z "$doc" && -z "$doc_png" ]] || [[ -n "$doc" && -n "$doc_png" ]] || die "--doc and --doc-png go together"
[[ -z "$doc" || -f "$doc" ]] || die "--doc $doc: no such file"
[[ ${#graph_list[@]} -gt 0 && ${#model_list[@]} -gt 0 && ${#cell_list[@]} -gt 0 ]] || die "empty --graphs, --models or --cells"
for m in "${model_list[@]}"; do [[ "$m" =~ ^(gcn|sage|gat)$ ]] || die "--models: '$m' is not gcn, sage or gat"; done

# graph name -> node count ("" for facebook).
graph_nodes() {
  local g="$1"
  [[ "$g" == facebook ]] && { echo ""; return; }
  [[ "$g" =~ ^([1-9][0-9]*)([km]?)$ ]] || die "--graphs: '$g' is not facebook or a node count like 100k, 1m, 2000"
  case "${BASH_REMATCH[2]}" in
    k) echo $((BASH_REMATCH[1] * 1000)) ;;
    m) echo $((BASH_REMATCH[1] * 1000000)) ;;
    *) echo "${BASH_REMATCH[1]}" ;;
  esac
}
graph_spec() {
  local nodes
  nodes="$(graph_nodes "$1")"
  if [[ -z "$nodes" ]]; then
    echo "${TANGO_DATA_DIR:-$src/../shared/datasets}/facebook"
  else
    echo "synthetic:nodes=$nodes,avg_degree=20,classes=16,features=128,homophily=0.6,hub_exponent=0.6,seed=1"
  fi
}
graph_epochs() {
  if [[ -n "${graph_epochs_of[$1]:-}" ]]; then
    echo "${graph_epochs_of[$1]}"
  elif [[ "$1" == facebook ]]; then
    echo "$facebook_epochs"
  else
    echo "$epochs"
  fi
}
for g in "${graph_list[@]}"; do graph_nodes "$g" > /dev/null; done
if [[ " ${graph_list[*]} " == *" facebook "* && $report_only -eq 0 ]]; then
  [[ -d "$(graph_spec facebook)" ]] || die "facebook not found at $(graph_spec facebook): set TANGO_DATA_DIR"
fi

# cell -> "precision halo-flags ranks"
cell_parts() {
  [[ "$1" =~ ^(fp32|int8)(-halo(8|4|48))?-([1-9][0-9]*)$ ]] ||
    die "--cells: '$1' is not PRECISION[-haloBITS]-RANKS (e.g. fp32-1, int8-halo8-4)"
  local precision="${BASH_REMATCH[1]}" bits="${BASH_REMATCH[3]}" ranks="${BASH_REMATCH[4]}" halo="32"
  case "$bits" in
    8) halo="8" ;;
    4) halo="4" ;;
    48) halo="fwd=4,bwd=8" ;;
  esac
  [[ -z "$bits" || $ranks -ge 2 ]] || die "--cells: '$1' has a halo but 1 rank (1 rank exchanges nothing)"
  echo "$precision $halo $ranks"
}
for c in "${cell_list[@]}"; do cell_parts "$c" > /dev/null; done

model_flags() {
  case "$1" in
    gcn) echo "--model gcn --layers $layers" ;;
    sage) echo "--model sage --layers $layers" ;;
    gat) echo "--model gat --layers $layers" ;;
  esac
}
# The extra tango-train flags of a graph's runs: --train-args, then --synthetic-args on synthetic graphs.
graph_args() {
  local args="$train_args"
  [[ "$1" != facebook && -n "$synthetic_args" ]] && args="${args:+$args }$synthetic_args"
  printf '%s' "$args"
}
# A run's name holds everything that changes its numbers (the extra flags as a short hash).
graph_tag() {
  local args
  args="$(graph_args "$1")"
  [[ -z "$args" ]] || echo "-x$(printf '%s' "$args" | cksum | cut -d' ' -f1)"
}
run_name() { echo "$1-$2-l$layers-$3-e$4-s$seed$(graph_tag "$1")"; }

train="$build/bin/tango-train"
partition="$build/bin/tango-partition"
dataset_tool="$build/bin/tango-dataset"
work="${work:-$build/convergence}"
mkdir -p "$work/graphs" "$work/runs" "$work/logs"
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}" TANGO_LOG_LEVEL="${TANGO_LOG_LEVEL:-warn}"

# One tango-train run (graph, model, cell, epochs) -> runs/NAME.jsonl (+ .config.json) and NAME.summary.json;
# the summary is renamed into place last, so a run counts as done (and is kept) only when it finished.
run_cell() {
  local g="$1" model="$2" cell="$3" e="$4" name precision halo ranks h5 target
  name="$(run_name "$g" "$model" "$cell" "$e")"
  [[ -f "$work/runs/$name.summary.json" ]] && return 0
  rm -f "$work/runs/$name.jsonl"
  read -r precision halo ranks <<< "$(cell_parts "$cell")"
  h5="$work/graphs/$g.h5"
  if [[ $ranks -eq 1 ]]; then
    target=("$train" --dataset "$h5")
  else
    target=("$src/launch/tango-run" -np "$ranks" -- "$train" --parts "$work/graphs/$g-parts$ranks")
  fi
  # shellcheck disable=SC2046,SC2086  # the flag strings are meant to split into words
  "${target[@]}" $(model_flags "$model") $(graph_args "$g") --precision "$precision" --halo-bits "$halo" \
    --epochs "$e" --eval-every "$eval_every" --seed "$seed" --quiet \
    --metrics "$work/runs/$name.jsonl" --summary "$work/runs/$name.summary.json.tmp" > "$work/logs/$name.log" 2>&1 ||
    { echo "convergence.sh: $name failed:" >&2; tail -5 "$work/logs/$name.log" >&2; return 1; }
  mv "$work/runs/$name.summary.json.tmp" "$work/runs/$name.summary.json"
  echo "$name $(cat /proc/loadavg)" >> "$work/load.log"
  echo "convergence.sh: $name done" >&2
}

if [[ $report_only -eq 0 ]]; then
  [[ -x "$train" && -x "$partition" && -x "$dataset_tool" ]] ||
    die "tango-train / tango-partition / tango-dataset not found in $build/bin: build them (or pass --build DIR)"
  printf '%s\n' "$command_line" > "$work/command.txt" # the report's provenance of the runs
  # Each graph once in Tango's HDF5 layout, and once partitioned per rank count (METIS).
  for g in "${graph_list[@]}"; do
    if [[ ! -f "$work/graphs/$g.h5" ]]; then
      "$dataset_tool" convert "$(graph_spec "$g")" --out "$work/graphs/$g.h5.tmp" > "$work/logs/convert-$g.log" 2>&1 ||
        { cat "$work/logs/convert-$g.log" >&2; exit 1; }
      mv "$work/graphs/$g.h5.tmp" "$work/graphs/$g.h5"
    fi
    for c in "${cell_list[@]}"; do
      read -r _ _ ranks <<< "$(cell_parts "$c")"
      parts="$work/graphs/$g-parts$ranks"
      [[ $ranks -eq 1 || -f "$parts/manifest.json" ]] && continue
      echo "convergence.sh: tango-partition $g --parts $ranks" >&2
      "$partition" "$work/graphs/$g.h5" --parts "$ranks" --out "$parts" --force > "$work/logs/partition-$g-$ranks.log" 2>&1 ||
        { cat "$work/logs/partition-$g-$ranks.log" >&2; exit 1; }
    done
  done
  # The budget: the first cell of every graph and model runs first; its epoch time (rank 0's epoch_ms,
  # median) times the epochs of every cell is the plan, printed before the rest runs.
  total=0
  for g in "${graph_list[@]}"; do
    e="$(graph_epochs "$g")"
    for model in "${model_list[@]}"; do
      run_cell "$g" "$model" "${cell_list[0]}" "$e"
      ms="$(python3 -c 'import json,sys,statistics as s; print(int(s.median(json.loads(l)["epoch_ms"] for l in open(sys.argv[1]) if l.strip())))' \
        "$work/runs/$(run_name "$g" "$model" "${cell_list[0]}" "$e").jsonl")"
      plan=$((ms * e * ${#cell_list[@]} / 1000))
      total=$((total + plan))
      echo "convergence.sh: budget $g $model: ${ms} ms per epoch (${cell_list[0]}) x $e epochs x ${#cell_list[@]} cells ~ ${plan} s" >&2
    done
  done
  echo "convergence.sh: budget in all ~ ${total} s (wall, at this machine's load; multi-rank cells differ)" >&2
  for g in "${graph_list[@]}"; do
    e="$(graph_epochs "$g")"
    for model in "${model_list[@]}"; do
      for c in "${cell_list[@]}"; do
        run_cell "$g" "$model" "$c" "$e"
      done
    done
  done
fi

specs=()
graph_extras=()
for g in "${graph_list[@]}"; do
  specs+=("$g=$(graph_epochs "$g")=$(graph_spec "$g")")
  graph_extras+=("$g=$(graph_tag "$g")=$(graph_args "$g")")
done
report_args=()
[[ -n "$doc" ]] && report_args+=(--doc "$doc" --doc-png "$doc_png")
[[ $no_plot -eq 1 ]] && report_args+=(--no-plot)
runs_command="$(cat "$work/command.txt" 2> /dev/null || echo "not recorded")"
machine="$(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -1), $(getconf _NPROCESSORS_ONLN) cores"
python3 "$src/bench/convergence_report.py" --runs "$work/runs" --graph "${specs[@]}" --models "$models" \
  --cells "$cells" --layers "$layers" --seed "$seed" --eval-every "$eval_every" \
  --graph-extras "${graph_extras[@]}" --command "$command_line" --runs-command "$runs_command" --machine "$machine" \
  --out "$work/convergence.md" --png "$work/convergence.png" "${report_args[@]}"
