#!/usr/bin/env bash
# Tango against PyTorch Geometric on the CPU, the scaling over CPU ranks, and a simulated cluster;
# writes the generated section of docs/BENCHMARKS.md, docs/benchmark_results.json,
# docs/pyg_reference.json and the plots under docs/img/ (scripts/plot_bench.py).
#
#   bench/compare_pyg.sh [--build DIR] [--phases accuracy,speed,scaling,cluster] [--seeds-cora N]
#                        [--seeds-facebook N] [--small-epochs E] [--large-epochs E] [--threads T]
#                        [--large-edge-index] [--datasets cora,facebook,synth1m] [--work DIR] [--force]
#                        [--report-only]
#
# Phases (each run's result is kept in WORK/runs/NAME.json and not repeated unless --force, so a
# stopped run continues where it stopped; --report-only runs nothing and only writes the outputs):
#   accuracy  PyG's test accuracy of GCN, SAGE and GAT on cora (seeds 1..N, default 5) and facebook
#             (default 5, as scripts/accuracy.sh) with docs/ACCURACY.md's settings, 200 epochs,
#             best-validation test accuracy (mean and sample std go to docs/pyg_reference.json);
#             and Tango's GCN on 2 cora ranks with 32/8/4/2-bit halos (seeds 1..3), accuracy vs bits.
#   speed     GCN (2 layers, hidden 64, dropout 0.5, Adam lr 0.01, wd 5e-4) on cora, facebook
#             (--small-epochs, default 30) and synth1m (1M nodes / 20M directed edges, --large-epochs,
#             default 10; PyG's edge_index variant only with --large-edge-index, ~5 GB a layer): PyG vs
#             Tango on 1 and 2 ranks, fp32 and int8 local primitives. Epoch time = forward + backward
#             + step, median after 2 warm-up epochs; PyG twice, with a torch.sparse CSR adj_t (SpMM) and
#             with edge_index (gather/scatter), the faster one is the baseline of the ratios (Tango: its metrics' epoch_ms without the final,
#             evaluating epoch); peak memory = max RSS of the largest process (/usr/bin/time -v).
#             Threads: --threads T per process (default 1) for both, torch.set_num_threads(T) and
#             OMP_NUM_THREADS=T for one Tango rank; K ranks run through launch/tango-run, which gives
#             each cores / K threads (at least 1) and oversubscribes past the cores.
#             Both wall time and CPU time per epoch are kept (PyG: time.process_time; Tango:
#             bench/cpu_epoch_probe.py); on a shared machine the CPU-time ratio is the one to read.
#   --datasets limits the accuracy and speed phases to some of the graphs.
#   scaling   synth1m on 4 ranks (1 and 2 come from `speed`), fp32 and int8.
#   cluster   synth1m cut into 8/16/64 METIS parts; tango-halo-traffic counts every rank's halo bytes
#             per epoch per codec from the parts' send lists (GCN and SAGE, hidden 64); an 8-rank tango-train run of 2 epochs
#             (halos int8 forward / int4 backward) cross-checks the count against real exchanges.
#
# PyTorch and PyG live in a venv under the build folder (BUILD/bench-venv, bench/pyg_venv.sh: created once
# from bench/pyg_requirements.txt; PyPI's default torch wheel, ~3.5 GB with its CUDA libraries, which it
# loads but does not use on a CPU-only machine), shared with bench/pyg_interop.sh. Neither is a dependency
# of the build.
# Every table keeps its provenance (command, machine, date) in docs/benchmark_results.json and in the
# document. A table none of whose runs is in WORK/runs (other phases, another work dir) is kept from
# docs/benchmark_results.json with its provenance (bench/bench_report.py), so one phase can be rerun
# alone; `bench/bench_report.py --render-only` rewrites the section from the JSON without runs.
# Environment: TANGO_DATA_DIR (cora/, facebook/; default ../shared/datasets beside the repository).
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="$repo_root/build"
phases="accuracy,speed,scaling,cluster"
seeds_cora=5
seeds_facebook=5
large_epochs=10
small_epochs=30
threads=1
large_edge_index=0
datasets="cora,facebook,synth1m"
work_dir=""
force=0
report_only=0

# shellcheck source=scripts/cli_lib.sh
source "$repo_root/scripts/cli_lib.sh"  # die, usage, need_value, quote_command
command_line="$(quote_command bench/compare_pyg.sh "$@")"
while [[ $# -gt 0 ]]; do
  case "$1" in
    -h | --help) usage; exit 0 ;;
    --build) need_value "$@"; build_dir="$2"; shift 2 ;;
    --phases) need_value "$@"; phases="$2"; shift 2 ;;
    --seeds-cora) need_value "$@"; seeds_cora="$2"; shift 2 ;;
    --seeds-facebook) need_value "$@"; seeds_facebook="$2"; shift 2 ;;
    --large-epochs) need_value "$@"; large_epochs="$2"; shift 2 ;;
    --small-epochs) need_value "$@"; small_epochs="$2"; shift 2 ;;
    --threads) need_value "$@"; threads="$2"; shift 2 ;;
    --large-edge-index) large_edge_index=1; shift ;;
    --datasets) need_value "$@"; datasets="$2"; shift 2 ;;
    --work) need_value "$@"; work_dir="$2"; shift 2 ;;
    --force) force=1; shift ;;
    --report-only) report_only=1; shift ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done
for n in "$seeds_cora" "$seeds_facebook" "$large_epochs" "$small_epochs" "$threads"; do
  [[ "$n" =~ ^[1-9][0-9]*$ ]] || die "'$n' is not a positive integer"
done
[[ $large_epochs -ge 4 && $small_epochs -ge 4 ]] ||
  die "--large-epochs and --small-epochs must be at least 4 (2 warm-up, the last one evaluates)"
IFS=, read -r -a phase_list <<< "$phases"
for p in "${phase_list[@]}"; do
  [[ "$p" =~ ^(accuracy|speed|scaling|cluster)$ ]] || die "--phases: '$p' is not accuracy, speed, scaling or cluster"
done
has_phase() { [[ ",$phases," == *",$1,"* ]]; }
IFS=, read -r -a dataset_list <<< "$datasets"
for d in "${dataset_list[@]}"; do
  [[ "$d" =~ ^(cora|facebook|synth1m)$ ]] || die "--datasets: '$d' is not cora, facebook or synth1m"
done
has_dataset() { [[ ",$datasets," == *",$1,"* ]]; }

build_dir="$(cd "$build_dir" 2> /dev/null && pwd)" || die "build directory not found (pass --build DIR)"
work_dir="${work_dir:-$build_dir/bench-pyg}"
venv="$build_dir/bench-venv"
data_dir="${TANGO_DATA_DIR:-$repo_root/../shared/datasets}"
bin="$build_dir/bin"
traffic_bin="$build_dir/bench/tango-halo-traffic"
cores=$(nproc)
synth_spec="synthetic:nodes=1000000,avg_degree=20,classes=8,features=128,homophily=0.8,seed=1"
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-passive}" TANGO_LOG_LEVEL="${TANGO_LOG_LEVEL:-warn}"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
mkdir -p "$work_dir"/{runs,logs,data,parts,tmp}
log() { echo "compare_pyg.sh: $*" >&2; }

# --- the PyG venv -------------------------------------------------------------------------------
# shellcheck source=bench/pyg_venv.sh
source "$repo_root/bench/pyg_venv.sh" # ensure_pyg_venv, shared with bench/pyg_interop.sh
ensure_venv() { ensure_pyg_venv "$venv" || die "no PyTorch Geometric venv at $venv (see above)"; }

# --- data -----------------------------------------------------------------------------------------
dataset_spec() {
  case "$1" in
    cora | facebook) echo "$data_dir/$1" ;;
    synth1m) echo "$synth_spec" ;;
  esac
}
ensure_h5() { # DATASET -> WORK/data/DATASET.h5 (tango-dataset convert, once)
  local out="$work_dir/data/$1.h5"
  if [[ ! -s "$out" ]]; then
    log "tango-dataset convert $(dataset_spec "$1") -> $out"
    "$bin/tango-dataset" convert "$(dataset_spec "$1")" --out "$out" > "$work_dir/logs/convert-$1.log" 2>&1 ||
      die "tango-dataset convert failed; see $work_dir/logs/convert-$1.log"
  fi
  echo "$out"
}
ensure_parts() { # DATASET K [--no-halo-features] -> WORK/parts/DATASET-K (METIS, once)
  local dir="$work_dir/parts/$1-$2${3:+-nohalo}"
  if [[ ! -f "$dir/manifest.json" ]]; then
    log "tango-partition $1 --parts $2 ${3:-}"
    /usr/bin/time -v "$bin/tango-partition" "$(ensure_h5 "$1")" --parts "$2" --out "$dir" --force ${3:-} \
      > "$work_dir/logs/partition-$1-$2.log" 2>&1 || die "tango-partition failed; see $work_dir/logs/partition-$1-$2.log"
  fi
  echo "$dir"
}

# --- runs -----------------------------------------------------------------------------------------
have_run() { [[ $force -eq 0 && -s "$work_dir/runs/$1.json" ]]; }

# run_pyg NAME DATASET EPOCHS WARMUP EVAL_EVERY SEED MODEL_ARGS...
run_pyg() {
  local name=$1 dataset=$2 epochs=$3 warmup=$4 eval_every=$5 seed=$6
  shift 6
  have_run "$name" && return 0
  local h5 tmp="$work_dir/tmp/$name"
  h5=$(ensure_h5 "$dataset")
  log "pyg $name"
  if /usr/bin/time -v "$venv/bin/python" "$repo_root/bench/pyg_train.py" --data "$h5" --epochs "$epochs" \
    --warmup "$warmup" --eval-every "$eval_every" --seed "$seed" --threads "$threads" "$@" --out "$tmp.json" \
    > "$work_dir/logs/$name.log" 2>&1; then
    python3 "$repo_root/bench/bench_collect.py" pyg "$name" "$dataset" "$tmp.json" "$work_dir/logs/$name.log" \
      > "$work_dir/runs/$name.json.tmp" && mv "$work_dir/runs/$name.json.tmp" "$work_dir/runs/$name.json"
  else
    log "$name FAILED; see $work_dir/logs/$name.log"
  fi
}

# run_tango NAME DATASET RANKS PRECISION EPOCHS TRAIN_ARGS...
run_tango() {
  local name=$1 dataset=$2 ranks=$3 precision=$4 epochs=$5
  shift 5
  have_run "$name" && return 0
  local tmp="$work_dir/tmp/$name" cmd
  rm -f "$tmp.jsonl" "$tmp.json"
  # Timing runs evaluate only at the last epoch, unless the caller passes its own --eval-every.
  local eval_args=(--eval-every "$epochs")
  [[ " $* " == *" --eval-every "* ]] && eval_args=()
  # No --quiet: cpu_epoch_probe.py reads the per-epoch progress lines.
  local args=(--precision "$precision" --epochs "$epochs" "${eval_args[@]}"
    --metrics "$tmp.jsonl" --summary "$tmp.json" "$@")
  if [[ $ranks -eq 1 ]]; then
    cmd=(env OMP_NUM_THREADS="$threads" "$bin/tango-train" --dataset "$(ensure_h5 "$dataset")" "${args[@]}")
  else
    cmd=("$repo_root/launch/tango-run" -np "$ranks" -- "$bin/tango-train" --parts "$(ensure_parts "$dataset" "$ranks")"
      "${args[@]}")
  fi
  log "tango $name"
  if /usr/bin/time -v python3 "$repo_root/bench/cpu_epoch_probe.py" "$tmp.cpu.json" -- "${cmd[@]}" \
    > "$work_dir/logs/$name.log" 2>&1; then
    python3 "$repo_root/bench/bench_collect.py" tango "$name" "$dataset" "$tmp.json" "$work_dir/logs/$name.log" \
      "$tmp.jsonl" "$ranks" "$tmp.cpu.json" > "$work_dir/runs/$name.json.tmp" &&
      mv "$work_dir/runs/$name.json.tmp" "$work_dir/runs/$name.json"
  else
    log "$name FAILED; see $work_dir/logs/$name.log"
  fi
}

gcn_args=(--model gcn --layers 2 --hidden 64 --dropout 0.5 --lr 0.01 --weight-decay 5e-4)
sage_args=(--model sage --layers 2 --hidden 64 --dropout 0.5 --lr 0.01 --weight-decay 5e-4)
gat_args=(--model gat --layers 2 --heads 8 --hidden 8 --activation elu --dropout 0.6 --attn-dropout 0.6
  --lr 0.005 --weight-decay 5e-4)
epochs_of() { if [[ $1 == synth1m ]]; then echo "$large_epochs"; else echo "$small_epochs"; fi; }
norm_of() { if [[ $1 == cora ]]; then echo --normalize-features; fi; }

if [[ $report_only -eq 0 ]]; then
  [[ -x "$bin/tango-train" && -x "$bin/tango-partition" && -x "$bin/tango-dataset" ]] ||
    die "tango-train / tango-partition / tango-dataset not found in $bin: build them (or pass --build DIR)"
  [[ -x /usr/bin/time ]] || die "/usr/bin/time not found (apt-get install time)"
  if has_phase accuracy || has_phase speed; then ensure_venv; fi
  log "machine: $(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -1), $cores cores; load: $(uptime)"

  if has_phase accuracy; then
    for dataset in cora facebook; do
      has_dataset "$dataset" || continue
      [[ -d "$data_dir/$dataset/raw" ]] || die "dataset $dataset not found at $data_dir/$dataset: set TANGO_DATA_DIR"
      seeds=$seeds_cora
      [[ $dataset == facebook ]] && seeds=$seeds_facebook
      for ((seed = 1; seed <= seeds; seed++)); do
        for model in gcn sage gat; do
          declare -n margs="${model}_args"
          # shellcheck disable=SC2046  # norm_of prints one flag or nothing
          run_pyg "acc-pyg-$dataset-$model-s$seed" "$dataset" 200 2 1 "$seed" "${margs[@]}" $(norm_of "$dataset")
          unset -n margs
        done
      done
    done
    # Accuracy against halo bits: Tango GCN on 2 cora ranks, fp32 local math, halos of B bits both ways.
    for ((seed = 1; seed <= (seeds_cora < 3 ? seeds_cora : 3); seed++)); do
      has_dataset cora || break
      for bits in 32 8 4 2; do
        run_tango "bits-tango-cora-r2-b$bits-s$seed" cora 2 fp32 200 "${gcn_args[@]}" --normalize-features \
          --halo-bits "$bits" --seed "$seed" --eval-every 1
      done
    done
  fi

  if has_phase speed; then
    for dataset in synth1m facebook cora; do
      has_dataset "$dataset" || continue
      epochs=$(epochs_of "$dataset")
      adjacencies=(csr edge_index) # PyG's two inputs: SpMM on a CSR adj_t, gather/scatter messages
      # edge_index materializes E x F messages: ~5 GB per layer on synth1m, past this box's budget.
      [[ $dataset == synth1m && $large_edge_index -eq 0 ]] && adjacencies=(csr)
      for adjacency in "${adjacencies[@]}"; do
        # shellcheck disable=SC2046
        run_pyg "speed-pyg-$dataset-$adjacency" "$dataset" "$epochs" 2 "$epochs" 1 "${gcn_args[@]}" \
          --adjacency "$adjacency" $(norm_of "$dataset")
      done
      for ranks in 1 2; do
        for precision in fp32 int8; do
          # shellcheck disable=SC2046
          run_tango "speed-tango-$dataset-r$ranks-$precision" "$dataset" "$ranks" "$precision" "$epochs" \
            "${gcn_args[@]}" $(norm_of "$dataset")
        done
      done
    done
  fi

  if has_phase scaling; then
    for precision in fp32 int8; do
      run_tango "speed-tango-synth1m-r4-$precision" synth1m 4 "$precision" "$large_epochs" "${gcn_args[@]}"
    done
  fi

  if has_phase cluster; then
    [[ -x "$traffic_bin" ]] || die "$traffic_bin not built (TANGO_ENABLE_BENCH=ON)"
    # GCN and SAGE both exchange an 8-column Z (the class count) at layer 1: each transforms first.
    for model in gcn sage; do
      for parts in 8 16 64; do
        name="traffic-synth1m-p$parts"
        [[ $model == gcn ]] || name="traffic-$model-synth1m-p$parts"
        have_run "$name" && continue
        flag=""
        [[ $parts -gt 8 ]] && flag=--no-halo-features # the 8-part run trains; the others are counted only
        dir=$(ensure_parts synth1m "$parts" $flag)
        log "tango-halo-traffic $dir ($model)"
        "$traffic_bin" --parts "$dir" --model "$model" --layers 2 --hidden 64 --codecs fp32,int8,int4,int2 \
          > "$work_dir/runs/$name.json.tmp" && mv "$work_dir/runs/$name.json.tmp" "$work_dir/runs/$name.json"
      done
    done
    # Cross-check: real bytes of an 8-rank run (epoch 1: no evaluation) against the count.
    name="crosscheck-synth1m-r8"
    if ! have_run "$name"; then
      tmp="$work_dir/tmp/$name"
      rm -f "$tmp.jsonl"
      log "tango $name (8 ranks, 2 epochs)"
      "$repo_root/launch/tango-run" -np 8 -- "$bin/tango-train" --parts "$(ensure_parts synth1m 8)" "${gcn_args[@]}" \
        --precision fp32 --halo-bits fwd=8,bwd=4 --epochs 2 --eval-every 2 --quiet --metrics "$tmp.jsonl" \
        > "$work_dir/logs/$name.log" 2>&1 || die "8-rank cross-check run failed; see $work_dir/logs/$name.log"
      cp "$tmp.jsonl" "$work_dir/runs/$name.jsonl"
      python3 "$repo_root/bench/bench_collect.py" crosscheck "$name" synth1m "$tmp.jsonl" \
        "$work_dir/runs/traffic-synth1m-p8.json" > "$work_dir/runs/$name.json.tmp" &&
        mv "$work_dir/runs/$name.json.tmp" "$work_dir/runs/$name.json"
    fi
  fi
fi

machine="$(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -1), $cores cores, $(free -g | awk '/^Mem:/ {print $2}') GiB"
python3 "$repo_root/bench/bench_report.py" --runs "$work_dir/runs" --doc "$repo_root/docs/BENCHMARKS.md" \
  --results "$repo_root/docs/benchmark_results.json" --pyg-reference "$repo_root/docs/pyg_reference.json" \
  --command "$command_line" --machine "$machine" --load "$(uptime | sed 's/.*load average: //')" --threads "$threads"
if [[ -x "$venv/bin/python" ]] && "$venv/bin/python" -c 'import matplotlib' 2> /dev/null; then
  "$venv/bin/python" "$repo_root/scripts/plot_bench.py" "$repo_root/docs/benchmark_results.json" --out "$repo_root/docs/img"
else
  log "no matplotlib in $venv: plots not redrawn (scripts/plot_bench.py docs/benchmark_results.json)"
fi
