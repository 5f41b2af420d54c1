#!/usr/bin/env bash
# End-to-end test of launch/slurm/pipeline.sh on a real one-node Slurm cluster: a synthetic graph is
# partitioned into 2 parts by a Slurm job running tango-partition, then (when tango-train is built) a
# 2-rank CPU training job that depends on it (afterok) trains on the parts. Asserts both jobs end
# COMPLETED (from scontrol), the dependency was honoured, and the outputs exist and verify; then a
# training-only resubmission with 2 more epochs resumes from the checkpoints and continues the run.
#   tests/launch/test_slurm_pipeline.sh BUILD_DIR
# Binaries: BUILD_DIR/bin/tango-partition and BUILD_DIR/bin/tango-train (or TANGO_PARTITION_BIN,
# TANGO_TRAIN_BIN). Exit 77 (skipped) without root, without slurm-wlm (and no way to install it),
# without tango-partition, or, after the partition job passed, when tango-train is not built yet.
set -uo pipefail

build_dir="${1:?usage: $0 BUILD_DIR}"
here="$(cd "$(dirname "$0")" && pwd)"
repo_root="$(cd "$here/../.." && pwd)"
# shellcheck source=tests/launch/slurm_test_lib.sh
source "$here/slurm_test_lib.sh"

export TANGO_PARTITION_BIN="${TANGO_PARTITION_BIN:-$build_dir/bin/tango-partition}"
export TANGO_TRAIN_BIN="${TANGO_TRAIN_BIN:-$build_dir/bin/tango-train}"
[[ -x "$TANGO_PARTITION_BIN" ]] || skip_test "tango-partition is not built ($TANGO_PARTITION_BIN)"
have_train=0
if [[ -x "$TANGO_TRAIN_BIN" ]]; then have_train=1; fi

start_test_cluster
out="$cluster_dir/pipeline"
dataset="synthetic:nodes=2000,avg_degree=10,classes=4,features=16,seed=3"
epochs=3
pipeline_args=(--dataset "$dataset" --out "$out" --nodes 1 --ranks-per-node 2 --cpus-per-rank 1
  --partition-cpus 1 --time 00:10:00 --partition-time 00:10:00)
if [[ $have_train -eq 0 ]]; then pipeline_args+=(--partition-only); fi

submitted=$("$repo_root/launch/slurm/pipeline.sh" "${pipeline_args[@]}" -- --model gcn --epochs "$epochs" \
  --hidden 16 --checkpoint-every 1 2>&1)
echo "$submitted"
partition_job=$(sed -n 's/^partition job: \([0-9]*\).*/\1/p' <<<"$submitted")
train_job=$(sed -n 's/^train job: \([0-9]*\).*/\1/p' <<<"$submitted")
check "pipeline.sh printed the partition job id" test -n "$partition_job"
check "jobs.env names the partition job" grep -q "^PARTITION_JOB=$partition_job$" "$out/jobs.env"
[[ -n "$partition_job" ]] || finish_checks || exit 1

if [[ $have_train -eq 1 ]]; then
  check "pipeline.sh printed the train job id" test -n "$train_job"
  check "the train job depends on the partition job" \
    bash -c "scontrol show job '$train_job' -o | grep -q 'Dependency=afterok:${partition_job}'"
fi

state=$(wait_job "$partition_job" 180)
check "partition job $partition_job COMPLETED (state $state)" test "$state" = COMPLETED
if [[ "$state" != COMPLETED ]]; then cat "$out/logs/tango-partition-$partition_job.out"; fi
# scontrol prints memory as 1024M or 1G.
to_mib() { awk '{ v = $1 + 0; if ($1 ~ /G$/) v *= 1024; if ($1 ~ /T$/) v *= 1048576; print v }' <<<"$1"; }
requested=$(to_mib "$(job_field "$partition_job" MinMemoryNode)")
estimated=$("$repo_root/launch/slurm/estimate-mem.sh" "$dataset")
check "the partition job asked for the estimated memory ($requested MiB, estimate $estimated)" \
  test "$requested" = "$estimated"
check "manifest.json written" test -s "$out/parts/manifest.json"
check "two part files written" test "$(find "$out/parts" -maxdepth 1 -name 'part-*.h5' | wc -l)" -eq 2
check "the partition verifies" "$TANGO_PARTITION_BIN" --verify "$out/parts"

if [[ $have_train -eq 0 ]]; then
  echo "train step SKIPPED: tango-train is not built ($TANGO_TRAIN_BIN); the partition job ran for real"
  finish_checks || exit 1
  exit 77
fi

state=$(wait_job "$train_job" 240)
check "train job $train_job COMPLETED (state $state)" test "$state" = COMPLETED
if [[ "$state" != COMPLETED ]]; then
  cat "$out/logs/tango-train-$train_job.out"
else
  tail -n 6 "$out/logs/tango-train-$train_job.out"
fi
start_train=$(job_field "$train_job" StartTime)
end_partition=$(job_field "$partition_job" EndTime)
check "training started after partitioning ended" test "$(date -d "$start_train" +%s)" -ge "$(date -d "$end_partition" +%s)"
check "summary.json written with 2 ranks" grep -q '"ranks": *2' "$out/run/summary.json"
check "summary.json has test_acc" grep -q '"test_acc"' "$out/run/summary.json"
check "metrics.jsonl has one line per epoch" test "$(wc -l <"$out/run/metrics.jsonl")" -eq "$epochs"
check "checkpoints written" test -n "$(find "$out/run/checkpoints" -mindepth 1 -print -quit)"

# Continue the run with more epochs: a training-only submission finds the checkpoints and resumes
# (what a requeued job does after preemption).
more=$((epochs + 2))
resubmitted=$("$repo_root/launch/slurm/pipeline.sh" --skip-partition --out "$out" --nodes 1 --ranks-per-node 2 \
  --cpus-per-rank 1 --time 00:10:00 -- --model gcn --epochs "$more" --hidden 16 --checkpoint-every 1 2>&1)
resume_job=$(sed -n 's/^train job: \([0-9]*\).*/\1/p' <<<"$resubmitted")
check "--skip-partition submits one train job ($resume_job)" test -n "$resume_job"
state=$(wait_job "$resume_job" 240)
check "resumed train job $resume_job COMPLETED (state $state)" test "$state" = COMPLETED
check "it passed --resume" grep -q "checkpoint found" "$out/logs/tango-train-$resume_job.out"
check "the summary counts $more epochs" grep -q "\"epochs\": *$more" "$out/run/summary.json"
last_epoch=$(tail -1 "$out/run/metrics.jsonl" | grep -o '"epoch": *[0-9]*' | grep -o '[0-9]*$')
check "metrics.jsonl continues to epoch $more (last line: epoch $last_epoch)" test "$last_epoch" = "$more"
finish_checks
