#!/usr/bin/env bash
# What the halo overlap hides, and AdaQP-style end-to-end ratios, of tango-train on K ranks of one synthetic
# partition. Every mode runs --runs times, in rounds (each round runs every model and mode once, so slow
# drift of the machine hits all modes alike); rank 0's per-epoch `time_ms` from --metrics, medians over the
# epochs after --warmup. bench/overlap_report.py prints two markdown tables:
#   hidden:  fp32 halo, --no-overlap vs --overlap: comm_wait forward / backward, allreduce, and the share
#            of comm_wait + allreduce that the overlap hid;
#   adaqp:   speed-up over plain distributed training (fp32 halo, no overlap) of: overlap; --halo-bits 8;
#            fwd=4,bwd=8; adaptive; --precision int8 with fwd=4,bwd=8 (all with overlap), epoch and comm,
#            with the halo bytes against fp32's.
#
#   bench/overlap_ratios.sh [--build DIR] [--work DIR] [--ranks K] [--nodes N] [--models gcn,gat]
#                           [--runs R] [--epochs E] [--warmup W] [--device cpu|cuda] [--gpus-per-node G]
#
#   --build DIR      build folder with bin/tango-train and bin/tango-partition (default: build)
#   --work DIR       partition, metrics and logs (default: BUILD/overlap-ratios); runs already there are kept
#   --ranks K        ranks = parts (default 4); launched with launch/tango-run (one rank per core or GPU)
#   --nodes N        synthetic graph: N nodes, average degree 20, 128 features, 8 classes (default 100000)
#   --models LIST    gcn (3 layers, hidden 256), sage (3 x 256), gat (3 layers, 8 heads x 8) (default gcn,gat)
#   --runs R         rounds (default 3);  --epochs E  epochs per run (default 10);  --warmup W  epochs left
#                    out of the medians (default 2)
#   --device D       tango-train --device (default cpu);  --gpus-per-node G  passed to tango-run (default 0)
# Exit codes: 2 for usage errors, otherwise the first failing run's.
set -euo pipefail

src="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$src/build"
work=""
ranks=4
nodes=100000
models="gcn,gat"
runs=3
epochs=10
warmup=2
device=cpu
gpus_per_node=0

usage() { awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; }
die_usage() {
  echo "overlap_ratios.sh: $*" >&2
  exit 2
}
positive() { [[ "$2" =~ ^[1-9][0-9]*$ ]] || die_usage "$1 '$2' is not a positive integer"; }

while [[ $# -gt 0 ]]; do
  [[ "$1" == -h || "$1" == --help ]] && { usage; exit 0; }
  [[ $# -ge 2 ]] || die_usage "$1 needs a value (see --help)"
  case "$1" in
    --build) build="$2" ;;
    --work) work="$2" ;;
    --ranks) positive "$1" "$2"; ranks="$2" ;;
    --nodes) positive "$1" "$2"; nodes="$2" ;;
    --models) models="$2" ;;
    --runs) positive "$1" "$2"; runs="$2" ;;
    --epochs) positive "$1" "$2"; epochs="$2" ;;
    --warmup) [[ "$2" =~ ^[0-9]+$ ]] || die_usage "--warmup '$2' is not a whole number"; warmup="$2" ;;
    --device) device="$2" ;;
    --gpus-per-node) gpus_per_node="$2" ;;
    *) die_usage "unknown option '$1' (see --help)" ;;
  esac
  shift 2
done
[[ $ranks -ge 2 ]] || die_usage "--ranks $ranks: the overlap needs at least 2 ranks"
[[ $warmup -lt $epochs ]] || die_usage "--warmup $warmup leaves no epoch of $epochs to measure"
IFS=, read -r -a model_list <<< "$models"
for m in "${model_list[@]}"; do [[ "$m" =~ ^(gcn|sage|gat)$ ]] || die_usage "--models: '$m' is not gcn, sage or gat"; done
train="$build/bin/tango-train"
partition="$build/bin/tango-partition"
[[ -x "$train" && -x "$partition" ]] || die_usage "tango-train / tango-partition not found in $build/bin: build them (or pass --build DIR)"
work="${work:-$build/overlap-ratios}"
mkdir -p "$work/runs" "$work/logs"

# mode name -> tango-train flags (the names are what overlap_report.py reads).
declare -A mode_flags=(
  [fp32-no-overlap]="--halo-bits 32 --no-overlap"
  [fp32-overlap]="--halo-bits 32 --overlap"
  [halo8-overlap]="--halo-bits 8 --overlap"
  [halo48-overlap]="--halo-bits fwd=4,bwd=8 --overlap"
  [adaptive-overlap]="--halo-bits adaptive --overlap"
  [int8-halo48-overlap]="--precision int8 --halo-bits fwd=4,bwd=8 --overlap"
)
modes=(fp32-no-overlap fp32-overlap halo8-overlap halo48-overlap adaptive-overlap int8-halo48-overlap)
model_flags() {
  case "$1" in
    gcn) echo "--model gcn --layers 3 --hidden 256" ;;
    sage) echo "--model sage --layers 3 --hidden 256" ;;
    gat) echo "--model gat --layers 3" ;;
  esac
}

spec="synthetic:nodes=$nodes,avg_degree=20,classes=8,features=128,homophily=0.8,seed=1"
parts="$work/parts-$nodes-$ranks"
if [[ ! -f "$parts/manifest.json" ]]; then
  echo "overlap_ratios.sh: tango-partition $spec --parts $ranks" >&2
  "$partition" "$spec" --parts "$ranks" --out "$parts" --force > "$work/logs/partition.log" 2>&1 ||
    { cat "$work/logs/partition.log" >&2; exit 1; }
fi

for round in $(seq 1 "$runs"); do
  for model in "${model_list[@]}"; do
    for mode in "${modes[@]}"; do
      name="$model-$mode-n$nodes-k$ranks-e$epochs-r$round"
      [[ -f "$work/runs/$name.jsonl" ]] && continue
      # shellcheck disable=SC2046  # the flag strings are meant to split into words
      "$src/launch/tango-run" -np "$ranks" --gpus-per-node "$gpus_per_node" -- "$train" --parts "$parts" \
        $(model_flags "$model") ${mode_flags[$mode]} --dropout 0 --epochs "$epochs" --eval-every 1000000 \
        --device "$device" --quiet --metrics "$work/runs/$name.jsonl.tmp" > "$work/logs/$name.log" 2>&1 ||
        { echo "overlap_ratios.sh: $name failed:" >&2; tail -5 "$work/logs/$name.log" >&2; exit 1; }
      mv "$work/runs/$name.jsonl.tmp" "$work/runs/$name.jsonl"
      echo "overlap_ratios.sh: $name done" >&2
    done
  done
done

python3 "$src/bench/overlap_report.py" --runs "$work/runs" --nodes "$nodes" --ranks "$ranks" --epochs "$epochs" \
  --warmup "$warmup" --models "$models"
