#!/usr/bin/env bash
# Tests launch/slurm/train.sbatch on a real one-node Slurm cluster, with launch_probe (an MPI
# program that accepts tango-train's flags) in tango-train's place, so that it runs whether or not
# the trainer is built:
#   1. launched by srun --mpi=pmix (auto-detected): 2 ranks in one MPI_COMM_WORLD; USR1 (what
#      --signal=B:USR1@120 sends before the time limit) makes the job requeue itself, and its second
#      start passes --resume because a checkpoint exists; the job ends COMPLETED after a restart;
#   2. TANGO_LAUNCHER=mpirun: the same through launch/tango-run inside the allocation;
#   scancel (TERM) ends a job for good (the script must not requeue it);
#   3. a job whose task count differs from the part count fails with a clear message;
#   4. a step that ends with 0 but wrote no summary (nothing trained) fails.
# The partition directory is a stand-in with a manifest and two part files (the script only counts
# them). Skips (77) without root or when slurm-wlm cannot be installed.
#   tests/launch/test_slurm_train_job.sh LAUNCH_PROBE
set -uo pipefail

probe="$(readlink -f "${1:?usage: $0 LAUNCH_PROBE}")"
here="$(cd "$(dirname "$0")" && pwd)"
repo_root="$(cd "$here/../.." && pwd)"
# shellcheck source=tests/launch/slurm_test_lib.sh
source "$here/slurm_test_lib.sh"
start_test_cluster

work="$cluster_dir/work"
mkdir -p "$work/parts"
echo '{"parts": 2}' >"$work/parts/manifest.json"
touch "$work/parts/part-00000.h5" "$work/parts/part-00001.h5"
export TANGO_TRAIN_BIN="$probe" TANGO_HOME="$repo_root" TANGO_RUN_BIN="$repo_root/launch/tango-run"
export TANGO_CHECKPOINT_EVERY=1
submit() { sbatch --parsable --chdir="$work" --mem=256M "$@" | cut -d';' -f1; }

# 1. srun + requeue on USR1 + resume.
job=$(TANGO_LAUNCHER=auto submit --ntasks-per-node=2 --cpus-per-task=1 --output="$work/srun-%j.out" \
  "$repo_root/launch/slurm/train.sbatch" "$work/parts" "$work/run-srun" -- --hold-seconds 120)
echo "submitted train job $job (srun, held until signalled)"
check "job $job starts and writes its checkpoint" \
  wait_until 60 test -f "$work/run-srun/checkpoints/probe.ckpt"
scancel --batch --signal=USR1 "$job"
# Slurm holds a requeued job for about two minutes (Reason=BeginTime); release it at once.
requeued() { [[ "$(job_field "$job" Restarts)" -ge 1 && "$(job_state "$job")" == PENDING ]]; }
check "USR1 requeues job $job (PENDING again)" wait_until 60 requeued
# (Slurm's hold also lets the old steps finish: wait for that before releasing the job, or the new
# start's step can collide with the old one being torn down.)
old_steps_gone() { ! pgrep -f "slurmstepd: \[$job\." >/dev/null; }
check "the first start's steps are gone" wait_until 60 old_steps_gone
scontrol update JobId="$job" StartTime=now
state=$(wait_job "$job" 90)
check "job $job ends COMPLETED after USR1 (state $state)" test "$state" = COMPLETED
restarts=$(job_field "$job" Restarts)
check "job $job was requeued once (Restarts=$restarts)" test "${restarts:-0}" -ge 1
log="$work/srun-$job.out"
check "launcher detected: srun --mpi=pmix" grep -q "via srun" "$log"
check "the USR1 handler requeued the job" grep -q "received USR1 (time limit near): requeueing" "$log"
check "the second start resumes from the checkpoint" grep -q "checkpoint found" "$log"
metrics="$work/run-srun/metrics.jsonl"
grep -q '"resumed":true' "$metrics" || cat "$metrics" "$log"
check "first start: 2 ranks, no --resume" \
  grep -q '^{"ranks":2,"allreduce":2,"resumed":false,"omp_num_threads":"1"}$' "$metrics"
check "second start: 2 ranks with --resume" \
  grep -q '^{"ranks":2,"allreduce":2,"resumed":true,"omp_num_threads":"1"}$' "$metrics"

# scancel (TERM) ends a job for good: it must not requeue itself.
job=$(submit --ntasks-per-node=2 --cpus-per-task=1 --output="$work/cancel-%j.out" \
  "$repo_root/launch/slurm/train.sbatch" "$work/parts" "$work/run-cancel" -- --hold-seconds 120)
check "job $job to cancel starts" wait_until 60 test -f "$work/run-cancel/checkpoints/probe.ckpt"
scancel "$job"
state=$(wait_job "$job" 60)
sleep 2
check "scancel'ed job $job stays CANCELLED (state $state, now $(job_state "$job"), Restarts=$(job_field "$job" Restarts))" \
  bash -c "[[ '$state' == CANCELLED && \$(scontrol show job $job -o | grep -o 'JobState=[A-Z]*') == JobState=CANCELLED ]]"

# 2. mpirun (tango-run) inside the allocation.
job=$(TANGO_LAUNCHER=mpirun submit --ntasks-per-node=2 --cpus-per-task=1 --output="$work/mpirun-%j.out" \
  "$repo_root/launch/slurm/train.sbatch" "$work/parts" "$work/run-mpirun")
state=$(wait_job "$job" 90)
check "mpirun job $job COMPLETED (state $state)" test "$state" = COMPLETED
check "launched through tango-run" grep -q "tango-run: OMP_NUM_THREADS=1 mpirun -np 2" "$work/mpirun-$job.out"
check "mpirun job: 2 ranks in one world" \
  grep -q '"ranks":2,"allreduce":2,"resumed":false' "$work/run-mpirun/metrics.jsonl"

# 3. Rank count != part count.
job=$(submit --ntasks-per-node=1 --output="$work/mismatch-%j.out" \
  "$repo_root/launch/slurm/train.sbatch" "$work/parts" "$work/run-mismatch")
state=$(wait_job "$job" 60)
check "mismatched job $job FAILED (state $state)" test "$state" = FAILED
check "it says why" grep -q "has 2 parts but the job has 1 tasks" "$work/mismatch-$job.out"

# 4. A step that exits 0 without training (no new summary) is a failure, not a success.
job=$(TANGO_TRAIN_BIN="$(type -P true)" submit --ntasks-per-node=2 --output="$work/noop-%j.out" \
  "$repo_root/launch/slurm/train.sbatch" "$work/parts" "$work/run-noop")
state=$(wait_job "$job" 60)
check "a step that wrote no summary: job $job FAILED (state $state)" test "$state" = FAILED
check "it says why" grep -q "exited with 0 but wrote no" "$work/noop-$job.out" || cat "$work/noop-$job.out"

check "jobcomp records the completed jobs" grep -q "JobState=COMPLETED" "$cluster_dir/jobcomp.txt"
finish_checks
