#!/usr/bin/env bash
# Tango where the network is the bottleneck: tango-train on emulated hosts (tests/cluster/netns_cluster.sh)
# joined by tc-shaped links, every technique alone and all together, against plain distributed training
# (vanilla: fp32 local math, fp32 halo, no overlap) at each link rate, in one script run.
#
#   bench/link_bound.sh [--build DIR] [--work DIR] [--rates LIST] [--layouts LIST] [--models LIST]
#                       [--modes LIST] [--rounds R] [--epochs E] [--warmup W] [--nodes N] [--report-only]
#
#   --build DIR     build folder with bin/tango-train and bin/tango-partition (default: build)
#   --work DIR      partition, metrics, logs, report (default: BUILD/link-bound); finished runs are kept
#                   and not run again, so an interrupted benchmark continues where it stopped
#   --rates LIST    link rates, tc syntax (default 200mbit,500mbit,1gbit,2gbit)
#   --layouts LIST  HOSTSxRANKS_PER_HOST, 4 ranks in all (default 2x2; 4x1 puts every rank on its own host);
#                   each host counts as this machine's cores / HOSTS cores (TANGO_RUN_NPROC for tango-run)
#   --models LIST   gcn (3 layers x 256), sage (3 x 256), gat (3 layers, 4 heads x 64) (default gcn,sage,gat)
#   --modes LIST    (default all) vanilla; int8 (INT8 local math); halo8 (--halo-bits 8); halo48
#                   (--halo-bits fwd=4,bwd=8); adaptive (--halo-bits adaptive); overlap (--overlap);
#                   halo48-overlap (fwd=4,bwd=8 + overlap, fp32 local math); tango-no-overlap (int8 +
#                   fwd=4,bwd=8); tango (int8 + fwd=4,bwd=8 + overlap); tango-nearest (tango with
#                   --nearest-rounding: halo messages rounded to nearest, not stochastically)
#   --rounds R      rounds (default 2): each round runs every model and mode once at a rate, so drift of
#                   the machine hits all modes alike
#   --epochs E      epochs per run (default 5);  --warmup W  epochs left out of the medians (default 2);
#                   the last epoch also evaluates (a forward pass more) and is left out too
#   --nodes N       synthetic graph: N nodes, average degree 20, 128 features, 8 classes, homophily 0.6,
#                   METIS into 4 parts (default 100000)
#   --report-only   print the report of the runs already in --work
#   --prefix P      the emulated hosts' names, P1..PN (default tlb)
# Output: markdown tables on stdout (also WORK/report.md) and WORK/speedup.png (speed-up against link
# rate per model; needs matplotlib, from a venv made on first use like scripts/plot_metrics.py).
# Needs root and network namespaces (netns_cluster.sh check). Exit 2 for usage errors.
set -euo pipefail

src="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$src/build"
work=""
rates="200mbit,500mbit,1gbit,2gbit"
layouts="2x2"
models="gcn,sage,gat"
all_modes="vanilla,int8,halo8,halo48,adaptive,overlap,halo48-overlap,tango-no-overlap,tango,tango-nearest"
modes="$all_modes"
rounds=2
epochs=5
warmup=2
nodes=100000
report_only=0
prefix=tlb

usage() { awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; }
die_usage() {
  echo "link_bound.sh: $*" >&2
  exit 2
}
positive() { [[ "$2" =~ ^[1-9][0-9]*$ ]] || die_usage "$1 '$2' is not a positive integer"; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    -h | --help) usage; exit 0 ;;
    --report-only) report_only=1; shift; continue ;;
  esac
  [[ $# -ge 2 ]] || die_usage "$1 needs a value (see --help)"
  case "$1" in
    --build) build="$2" ;;
    --work) work="$2" ;;
    --rates) rates="$2" ;;
    --layouts) layouts="$2" ;;
    --models) models="$2" ;;
    --modes) modes="$2" ;;
    --rounds) positive "$1" "$2"; rounds="$2" ;;
    --epochs) positive "$1" "$2"; epochs="$2" ;;
    --warmup) [[ "$2" =~ ^[0-9]+$ ]] || die_usage "--warmup '$2' is not a whole number"; warmup="$2" ;;
    --nodes) positive "$1" "$2"; nodes="$2" ;;
    --prefix) prefix="$2" ;;
    *) die_usage "unknown option '$1' (see --help)" ;;
  esac
  shift 2
done
[[ $warmup -lt $epochs ]] || die_usage "--warmup $warmup leaves no epoch of $epochs to measure"
IFS=, read -r -a rate_list <<<"$rates"
IFS=, read -r -a layout_list <<<"$layouts"
IFS=, read -r -a model_list <<<"$models"
IFS=, read -r -a mode_list <<<"$modes"
for r in "${rate_list[@]}"; do [[ "$r" =~ ^[0-9]+[kmg]bit$ ]] || die_usage "--rates: '$r' is not a rate such as 200mbit or 1gbit"; done
max_hosts=1
for l in "${layout_list[@]}"; do
  [[ "$l" =~ ^([1-9][0-9]*)x([1-9][0-9]*)$ ]] || die_usage "--layouts: '$l' is not HOSTSxRANKS, e.g. 2x2"
  [[ $((BASH_REMATCH[1] * BASH_REMATCH[2])) -eq 4 ]] || die_usage "--layouts: '$l' is not 4 ranks in all"
  [[ ${BASH_REMATCH[1]} -ge 2 ]] || die_usage "--layouts: '$l' has one host: nothing crosses a link"
  [[ ${BASH_REMATCH[1]} -le $max_hosts ]] || max_hosts=${BASH_REMATCH[1]}
done
for m in "${model_list[@]}"; do [[ "$m" =~ ^(gcn|sage|gat)$ ]] || die_usage "--models: '$m' is not gcn, sage or gat"; done
for m in "${mode_list[@]}"; do [[ ",$all_modes," == *",$m,"* ]] || die_usage "--modes: '$m' is not one of $all_modes"; done
train="$build/bin/tango-train"
partition="$build/bin/tango-partition"
[[ -x "$train" && -x "$partition" ]] || die_usage "tango-train / tango-partition not found in $build/bin: build them (or pass --build DIR)"
work="${work:-$build/link-bound}"
mkdir -p "$work/runs" "$work/logs"
work="$(cd "$work" && pwd)"

# The tables, and the plot when matplotlib can be had (its venv needs PyPI; exit 3 when it cannot).
report() {
  local args=(--runs "$work/runs" --warmup "$warmup" --nodes "$nodes")
  local rc=0
  python3 "$src/bench/link_bound_report.py" "${args[@]}" --plot "$work/speedup.png" >"$work/report.md" || rc=$?
  if [[ $rc -eq 3 ]]; then
    echo "link_bound.sh: no matplotlib for the plot; tables only" >&2
    python3 "$src/bench/link_bound_report.py" "${args[@]}" >"$work/report.md"
  elif [[ $rc -ne 0 ]]; then
    return "$rc"
  fi
  cat "$work/report.md"
}
if [[ $report_only -eq 1 ]]; then
  report
  exit 0
fi

netns_cluster="$src/tests/cluster/netns_cluster.sh"
reason="$("$netns_cluster" check)" || die_usage "emulated hosts unavailable here: $reason"

mode_flags() {
  case "$1" in
    vanilla) echo "--halo-bits 32 --no-overlap" ;;
    int8) echo "--precision int8 --halo-bits 32 --no-overlap" ;;
    halo8) echo "--halo-bits 8 --no-overlap" ;;
    halo48) echo "--halo-bits fwd=4,bwd=8 --no-overlap" ;;
    adaptive) echo "--halo-bits adaptive --no-overlap" ;;
    overlap) echo "--halo-bits 32 --overlap" ;;
    halo48-overlap) echo "--halo-bits fwd=4,bwd=8 --overlap" ;;
    tango-no-overlap) echo "--precision int8 --halo-bits fwd=4,bwd=8 --no-overlap" ;;
    tango) echo "--precision int8 --halo-bits fwd=4,bwd=8 --overlap" ;;
    tango-nearest) echo "--precision int8 --halo-bits fwd=4,bwd=8 --overlap --nearest-rounding" ;;
  esac
}
model_flags() {
  case "$1" in
    gcn) echo "--model gcn --layers 3 --hidden 256" ;;
    sage) echo "--model sage --layers 3 --hidden 256" ;;
    gat) echo "--model gat --layers 3 --heads 4 --hidden 64" ;;
  esac
}

spec="synthetic:nodes=$nodes,avg_degree=20,classes=8,features=128,homophily=0.6,seed=5"
parts="$work/parts-$nodes"
if [[ ! -f "$parts/manifest.json" ]]; then
  echo "link_bound.sh: tango-partition $spec --parts 4" >&2
  "$partition" "$spec" --parts 4 --out "$parts" --force >"$work/logs/partition.log" 2>&1 ||
    { cat "$work/logs/partition.log" >&2; exit 1; }
fi

# One emulated cluster for the whole run (the largest layout's hosts), removed on exit.
cluster="$work/cluster"
"$netns_cluster" stop "$cluster" 2>/dev/null || true
trap '"$netns_cluster" stop "$cluster" || true' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
"$netns_cluster" start "$cluster" --nodes "$max_hosts" --rate "${rate_list[0]}" --prefix "$prefix" >&2
# shellcheck disable=SC1091
source "$cluster/env"
for l in "${layout_list[@]}"; do
  hosts="${l%x*}"
  per_host="${l#*x}"
  for k in $(seq 1 "$hosts"); do echo "$prefix$k slots=$per_host"; done >"$work/hostfile-$l"
done

for rate in "${rate_list[@]}"; do
  for k in $(seq 1 "$max_hosts"); do "$netns_cluster" shape "$cluster" "$k" "$rate"; done
  for round in $(seq 1 "$rounds"); do
    for layout in "${layout_list[@]}"; do
      for model in "${model_list[@]}"; do
        for mode in "${mode_list[@]}"; do
          name="$model-$mode-$layout-$rate-n$nodes-e$epochs-r$round"
          [[ -f "$work/runs/$name.jsonl" ]] && continue
          start=$SECONDS
          # The emulated hosts share this machine's cores: each gets its share, so tango-run gives
          # every rank one OpenMP thread per core it really has (4 hosts on 2 cores: 1, not 2).
          hosts="${layout%x*}"
          host_cores=$(($(nproc) / hosts))
          [[ $host_cores -ge 1 ]] || host_cores=1
          # Every host binds its ranks from core 0 up: with one rank per host that would put all of them
          # on core 0, so those layouts leave placement to the OS.
          bind=()
          [[ "${layout#*x}" != 1 ]] || bind=(--bind none)
          # shellcheck disable=SC2046  # the flag strings are meant to split into words
          TANGO_RUN_NPROC=$host_cores "$src/launch/tango-run" -np 4 "${bind[@]}" --hostfile "$work/hostfile-$layout" -- "$train" --parts "$parts" \
            $(model_flags "$model") $(mode_flags "$mode") --dropout 0 --epochs "$epochs" --eval-every 1000000 \
            --quiet --metrics "$work/runs/$name.jsonl.tmp" >"$work/logs/$name.log" 2>&1 ||
            { echo "link_bound.sh: $name failed:" >&2; tail -5 "$work/logs/$name.log" >&2; exit 1; }
          mv "$work/runs/$name.jsonl.tmp" "$work/runs/$name.jsonl"
          echo "link_bound.sh: $name done ($((SECONDS - start)) s)" >&2
        done
      done
    done
  done
done
report
