#!/usr/bin/env bash
# Tests launch/slurm/pipeline.sh --dry-run (no Slurm needed): the two sbatch commands it would submit
# for a 2-node x 4-GPU job, for a CPU job and for node ranges, and its usage errors. The real submission is tested
# by test_slurm_pipeline.sh on a private Slurm cluster; this covers the GPU options it cannot run.
#   tests/launch/test_pipeline_dry_run.sh
set -uo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
pipeline="$here/../../launch/slurm/pipeline.sh"
estimate="$here/../../launch/slurm/estimate-mem.sh"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0
check() {
  local what="$1"
  shift
  if "$@"; then passed=$((passed + 1)); echo "ok   - $what"; else failed=$((failed + 1)); echo "FAIL - $what"; fi
}
has() { grep -q -- "$2" <<<"$1"; }

dataset="synthetic:nodes=1000000,avg_degree=20,features=128"
gpu=$("$pipeline" --dataset "$dataset" --out "$tmp/gpu" --nodes 2 --gpus-per-node 4 --cpus-per-rank 16 \
  --partition cpu --train-partition gpu --account proj --time 01:00:00 --dry-run -- --model gat --epochs 5 2>&1)
check "dry run exits 0" test $? -eq 0
partition_cmd=$(grep "partition.sbatch" <<<"$gpu")
train_cmd=$(grep "train.sbatch" <<<"$gpu")
check "partition job: one task with the estimated memory" \
  has "$partition_cmd" "--ntasks=1 --cpus-per-task=4 --mem=$("$estimate" "$dataset")M"
check "partition job: on the cpu partition, with the account" has "$partition_cmd" "--account=proj.*--partition=cpu"
check "partition job: dataset, K = 8, parts dir" has "$partition_cmd" "partition.sbatch synthetic:nodes=1000000.* 8 $tmp/gpu/parts"
check "train job: 2 nodes x 4 tasks, one GPU and 16 cores each" \
  has "$train_cmd" "--nodes=2 --ntasks-per-node=4 .*--gpus-per-task=1 --cpus-per-task=16"
check "train job: requeue, USR1 120 s before the limit" has "$train_cmd" "--requeue --signal=B:USR1@120"
check "train job: on the gpu partition" has "$train_cmd" "--partition=gpu"
check "train job: after the partition job" has "$train_cmd" "--dependency=afterok:"
check "train job: cancelled if the partition job fails" has "$train_cmd" "--kill-on-invalid-dep=yes"
check "train job: parts, run dir and tango-train flags" has "$train_cmd" "train.sbatch $tmp/gpu/parts $tmp/gpu/run -- --model gat --epochs 5"
check "dry run writes nothing" test ! -e "$tmp/gpu"

cpu=$("$pipeline" --dataset "$dataset" --out "$tmp/cpu" --nodes 3 --ranks-per-node 2 --mem-mb 5000 --dry-run 2>&1)
check "cpu job: K = nodes x ranks per node = 6" has "$cpu" "partition.sbatch .* 6 $tmp/cpu/parts"
check "cpu job: --mem-mb overrides the estimate" has "$cpu" "--mem=5000M"
check "cpu job: no GPUs asked for" bash -c "! grep -q -- --gpus-per-task <<<'$cpu'"
range=$("$pipeline" --dataset "$dataset" --out "$tmp/range" --nodes 1-3 --ranks-per-node 2 --dry-run -- --epochs 5 2>&1)
check "node range: dry run exits 0" test $? -eq 0
check "node range: partition job for MAX nodes (K = 6) into the run's cache" \
  has "$(grep partition.sbatch <<<"$range")" "partition.sbatch synthetic:nodes=1000000.* 6 $tmp/range/run/parts/k6"
check "node range: train job asks for 1-3 nodes with room for 2 ranks each, no task count" \
  has "$(grep train.sbatch <<<"$range")" "--nodes=1-3 --mincpus=2 --export=ALL.,TANGO_RANKS_PER_NODE=2 --time"
gpu_range=$("$pipeline" --dataset "$dataset" --out "$tmp/gr" --nodes 2-4 --gpus-per-node 4 --cpus-per-rank 8 --dry-run 2>&1)
check "node range on GPUs: 4 GPUs and 4 x 8 cores per node" \
  has "$(grep train.sbatch <<<"$gpu_range")" "--nodes=2-4 --mincpus=32 --export=ALL.,TANGO_RANKS_PER_NODE=4 .*--gpus-per-node=4 --cpus-per-task=8"
check "node range: train job gets the dataset, run dir and flags" \
  has "$(grep train.sbatch <<<"$range")" "train.sbatch --dataset synthetic:nodes=1000000.* $tmp/range/run -- --epochs 5"
one=$("$pipeline" --dataset "$dataset" --out "$tmp/one" --nodes 1-1 --dry-run 2>&1)
check "node range of one rank: no partition job (one rank reads the dataset)" \
  test "$(grep -c sbatch <<<"$one")" -eq 1
only=$("$pipeline" --dataset "$dataset" --out "$tmp/p" --partition-only --dry-run 2>&1)
check "--partition-only submits one job" test "$(grep -c sbatch <<<"$only")" -eq 1

expect_error() {
  local what="$1" needle="$2" out rc
  shift 2
  out=$("$pipeline" "$@" 2>&1)
  rc=$?
  check "$what (exit $rc: $out)" bash -c "[[ $rc -eq 2 ]] && grep -q -- '$needle' <<<'$out'"
}
expect_error "missing --dataset" "missing --dataset" --out "$tmp/x" --dry-run
expect_error "missing --out" "missing --out" --dataset "$dataset" --dry-run
expect_error "bad --nodes" "not a whole number" --dataset "$dataset" --out "$tmp/x" --nodes two --dry-run
expect_error "unknown option" "unknown option" --dataset "$dataset" --out "$tmp/x" --frobnicate
expect_error "bad node range" "1 <= MIN <= MAX" --dataset "$dataset" --out "$tmp/x" --nodes 3-2 --dry-run
expect_error "node range without a dataset" "needs --dataset" --out "$tmp/x" --nodes 1-2 --skip-partition --dry-run
expect_error "--skip-partition needs a partition" "does not exist" --out "$tmp/none" --skip-partition --dry-run
expect_error "unreadable dataset" "neither synthetic" --dataset "$tmp/nothing" --out "$tmp/x" --dry-run

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
