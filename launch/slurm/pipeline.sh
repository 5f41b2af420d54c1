#!/usr/bin/env bash
# Submits Tango's two Slurm jobs: partition (one CPU task) then training (nodes x ranks), the second
# with --dependency=afterok on the first. Prints both job ids.
#
#   launch/slurm/pipeline.sh --dataset SPEC --out DIR [--nodes N] [--gpus-per-node G]
#       [--ranks-per-node R] [--cpus-per-rank C] [--partition P] [--account A] [--time T]
#       [--partition-time T] [--partition-cpus C] [--mem-mb M] [--partition-only] [--skip-partition]
#       [--dry-run] [-- tango-train FLAGS...]
#
#   --dataset SPEC        OGB raw directory, .h5 file or synthetic:k=v,...        ($TANGO_DATASET)
#   --out DIR             DIR/parts (partition), DIR/run (metrics, summary, checkpoints), DIR/logs
#   --nodes N | MIN-MAX   training nodes (default 1)                             ($TANGO_NODES); a range
#                         lets the job start (and restart after losing a node) on any count in it:
#                         the partition job makes the parts for MAX nodes, and the training job
#                         trains on the ranks Slurm granted, partitioning for that count on demand
#                         (parts per K under DIR/run/parts/k<K>, train.sbatch --dataset)
#   --gpus-per-node G     GPUs per node: G ranks per node, --gpus-per-task=1 (default 0 = CPU ranks)
#   --ranks-per-node R    CPU ranks per node when G = 0 (default 1)            ($TANGO_RANKS_PER_NODE)
#   --cpus-per-rank C     CPU cores per rank (--cpus-per-task)                ($TANGO_CPUS_PER_RANK)
#   --partition P         Slurm partition for both jobs            ($TANGO_SLURM_PARTITION)
#   --train-partition P   Slurm partition for the training job only (e.g. the GPU one)
#   --account A           Slurm account                                ($TANGO_SLURM_ACCOUNT)
#   --time T              training time limit (default 04:00:00)
#   --partition-time T    partition time limit (default 02:00:00)
#   --partition-cpus C    cores for tango-partition (default 4)
#   --mem-mb M            memory of the partition job (default: launch/slurm/estimate-mem.sh DATASET)
#   --partition-only      submit only the partition job
#   --skip-partition      DIR/parts exists already: submit only training
#   --dry-run             print the sbatch commands, submit nothing
#   -- FLAGS              passed to tango-train (e.g. -- --model gcn --epochs 200 --precision int8)
# K (parts = training ranks) = nodes x ranks per node (with a range: MAX nodes x ranks per node for the
# partition job; the training job's K is what Slurm grants). Other knobs reach the jobs through the
# environment (sbatch exports it): TANGO_PARTITION_ARGS, TANGO_CHECKPOINT_EVERY, TANGO_LAUNCHER, the
# binaries (TANGO_PARTITION_BIN, TANGO_TRAIN_BIN; default: this tree's build/bin), NCCL_*.
# Writes DIR/jobs.env (PARTITION_JOB=..., TRAIN_JOB=...) for scripts that wait on the jobs.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
tango_home="${TANGO_HOME:-$(cd "$here/../.." && pwd)}"

die() {
  echo "pipeline: $*" >&2
  exit 2
}
usage() { awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; }

dataset="${TANGO_DATASET:-}"
out=""
nodes="${TANGO_NODES:-1}"
gpus_per_node="${TANGO_GPUS_PER_NODE:-0}"
ranks_per_node="${TANGO_RANKS_PER_NODE:-1}"
cpus_per_rank="${TANGO_CPUS_PER_RANK:-}"
slurm_partition="${TANGO_SLURM_PARTITION:-}"
train_partition=""
account="${TANGO_SLURM_ACCOUNT:-}"
train_time="04:00:00"
partition_time="02:00:00"
partition_cpus=4
mem_mb=""
partition_only=0
skip_partition=0
dry_run=0

need_value() { [[ $# -ge 2 && -n "$2" ]] || die "$1 needs a value (see --help)"; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    -h | --help) usage; exit 0 ;;
    --dataset) need_value "$@"; dataset="$2"; shift 2 ;;
    --out) need_value "$@"; out="$2"; shift 2 ;;
    --nodes) need_value "$@"; nodes="$2"; shift 2 ;;
    --gpus-per-node) need_value "$@"; gpus_per_node="$2"; shift 2 ;;
    --ranks-per-node) need_value "$@"; ranks_per_node="$2"; shift 2 ;;
    --cpus-per-rank) need_value "$@"; cpus_per_rank="$2"; shift 2 ;;
    --partition) need_value "$@"; slurm_partition="$2"; shift 2 ;;
    --train-partition) need_value "$@"; train_partition="$2"; shift 2 ;;
    --account) need_value "$@"; account="$2"; shift 2 ;;
    --time) need_value "$@"; train_time="$2"; shift 2 ;;
    --partition-time) need_value "$@"; partition_time="$2"; shift 2 ;;
    --partition-cpus) need_value "$@"; partition_cpus="$2"; shift 2 ;;
    --mem-mb) need_value "$@"; mem_mb="$2"; shift 2 ;;
    --partition-only) partition_only=1; shift ;;
    --skip-partition) skip_partition=1; shift ;;
    --dry-run) dry_run=1; shift ;;
    --) shift; break ;;
    *) die "unknown option '$1' (tango-train flags go after '--'; see --help)" ;;
  esac
done
train_args=("$@")

[[ -n "$dataset" || "$skip_partition" -eq 1 ]] || die "missing --dataset SPEC"
[[ -n "$out" ]] || die "missing --out DIR"
# --nodes MIN-MAX: a node range (train.sbatch --dataset takes the count Slurm grants).
min_nodes="$nodes"
max_nodes="$nodes"
if [[ "$nodes" =~ ^([0-9]+)-([0-9]+)$ ]]; then
  min_nodes="${BASH_REMATCH[1]}"
  max_nodes="${BASH_REMATCH[2]}"
  [[ "$min_nodes" -ge 1 && "$max_nodes" -ge "$min_nodes" ]] ||
    die "--nodes '$nodes': a range MIN-MAX needs 1 <= MIN <= MAX"
  [[ -n "$dataset" ]] || die "--nodes $nodes needs --dataset SPEC: the training job partitions for the nodes it gets"
  nodes=0 # checked as a range above
fi
for pair in "nodes=$nodes" "gpus-per-node=$gpus_per_node" "ranks-per-node=$ranks_per_node" \
  "partition-cpus=$partition_cpus" "cpus-per-rank=${cpus_per_rank:-1}" "mem-mb=${mem_mb:-1}"; do
  [[ "${pair#*=}" =~ ^[0-9]+$ ]] || die "--${pair%%=*} '${pair#*=}' is not a whole number"
done
[[ "$min_nodes" -ge 1 ]] || die "--nodes must be at least 1"
node_range=0
if [[ "$min_nodes" != "$max_nodes" || "$nodes" -eq 0 ]]; then node_range=1; fi
[[ "$partition_only" -eq 0 || "$skip_partition" -eq 0 ]] || die "--partition-only and --skip-partition exclude each other"
command -v sbatch >/dev/null 2>&1 || [[ "$dry_run" -eq 1 ]] || die "sbatch not found: run this on a Slurm login node"

if [[ "$gpus_per_node" -gt 0 ]]; then ranks_per_node="$gpus_per_node"; fi
[[ "$ranks_per_node" -ge 1 ]] || die "--ranks-per-node must be at least 1"
parts=$((max_nodes * ranks_per_node))

if [[ "$dry_run" -eq 0 ]]; then mkdir -p "$out/logs"; fi
out="$(readlink -m "$out")"
parts_dir="$out/parts"
run_dir="$out/run"
# With a node range the parts live in the training job's cache, one folder per K.
if [[ "$node_range" -eq 1 ]]; then parts_dir="$run_dir/parts/k$parts"; fi
if [[ "$skip_partition" -eq 1 && "$node_range" -eq 0 ]]; then
  [[ -f "$parts_dir/manifest.json" ]] || die "--skip-partition but $parts_dir/manifest.json does not exist"
fi

# Binaries and helpers the jobs use (sbatch exports this environment to them).
export TANGO_HOME="$tango_home"
export TANGO_PARTITION_BIN="${TANGO_PARTITION_BIN:-$(command -v tango-partition || echo "$tango_home/build/bin/tango-partition")}"
export TANGO_TRAIN_BIN="${TANGO_TRAIN_BIN:-$(command -v tango-train || echo "$tango_home/build/bin/tango-train")}"
export TANGO_RUN_BIN="${TANGO_RUN_BIN:-$tango_home/launch/tango-run}"
# The jobs run in DIR: relative paths would point elsewhere there.
TANGO_PARTITION_BIN="$(readlink -m "$TANGO_PARTITION_BIN")"
TANGO_TRAIN_BIN="$(readlink -m "$TANGO_TRAIN_BIN")"
TANGO_RUN_BIN="$(readlink -m "$TANGO_RUN_BIN")"
if [[ -n "$dataset" && "$dataset" != synthetic:* && -e "$dataset" ]]; then dataset="$(readlink -m "$dataset")"; fi

common=(--parsable --kill-on-invalid-dep=yes --chdir="$out")
if [[ -n "$account" ]]; then common+=(--account="$account"); fi

run_sbatch() {
  if [[ "$dry_run" -eq 1 ]]; then
    printf '%q ' sbatch "$@" >&2
    echo >&2
    echo "DRYRUN"
  else
    sbatch "$@" | cut -d';' -f1
  fi
}

partition_job=""
# A range whose largest job has one rank needs no parts: one rank reads the dataset itself.
if [[ "$node_range" -eq 1 && "$parts" -eq 1 ]]; then skip_partition=1; fi
if [[ "$skip_partition" -eq 0 ]]; then
  [[ -n "$mem_mb" ]] || mem_mb=$("$here/estimate-mem.sh" "$dataset")
  part_opts=("${common[@]}" --job-name=tango-partition --nodes=1 --ntasks=1
    --cpus-per-task="$partition_cpus" --mem="${mem_mb}M" --time="$partition_time"
    --output="$out/logs/%x-%j.out")
  if [[ -n "$slurm_partition" ]]; then part_opts+=(--partition="$slurm_partition"); fi
  partition_job=$(run_sbatch "${part_opts[@]}" "$here/partition.sbatch" "$dataset" "$parts" "$parts_dir")
  echo "partition job: $partition_job (K=$parts, mem ${mem_mb} MiB, log $out/logs/tango-partition-$partition_job.out)"
fi

train_job=""
if [[ "$partition_only" -eq 0 ]]; then
  train_opts=("${common[@]}" --job-name=tango-train)
  if [[ "$node_range" -eq 0 ]]; then
    node_count="$max_nodes"
    train_opts+=(--nodes="$node_count" --ntasks-per-node="$ranks_per_node")
  else
    # A task count would make Slurm grant the range's minimum (it sizes the job by MIN x tasks per
    # node): ask for nodes with room for the ranks instead, and tell train.sbatch how many per node.
    node_count="$min_nodes-$max_nodes"
    train_opts+=(--nodes="$node_count" --mincpus=$((ranks_per_node * ${cpus_per_rank:-1}))
      --export="ALL,TANGO_RANKS_PER_NODE=$ranks_per_node")
  fi
  train_opts+=(--time="$train_time" --requeue --signal=B:USR1@120 --open-mode=append
    --output="$out/logs/%x-%j.out")
  if [[ "$gpus_per_node" -gt 0 && "$node_range" -eq 0 ]]; then train_opts+=(--gpus-per-task=1); fi
  if [[ "$gpus_per_node" -gt 0 && "$node_range" -eq 1 ]]; then train_opts+=(--gpus-per-node="$gpus_per_node"); fi
  if [[ -n "$cpus_per_rank" ]]; then train_opts+=(--cpus-per-task="$cpus_per_rank"); fi
  if [[ -n "${train_partition:-$slurm_partition}" ]]; then
    train_opts+=(--partition="${train_partition:-$slurm_partition}")
  fi
  if [[ -n "$partition_job" ]]; then train_opts+=(--dependency="afterok:$partition_job"); fi
  train_input=("$parts_dir")
  if [[ "$node_range" -eq 1 ]]; then train_input=(--dataset "$dataset"); fi
  train_job=$(run_sbatch "${train_opts[@]}" "$here/train.sbatch" "${train_input[@]}" "$run_dir" -- "${train_args[@]}")
  echo "train job: $train_job ($node_count node(s) x $ranks_per_node ranks, run dir $run_dir)"
fi

if [[ "$dry_run" -eq 0 ]]; then
  printf 'PARTITION_JOB=%s\nTRAIN_JOB=%s\nPARTS_DIR=%s\nRUN_DIR=%s\n' "$partition_job" "$train_job" \
    "$parts_dir" "$run_dir" >"$out/jobs.env"
fi
