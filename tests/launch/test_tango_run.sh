#!/usr/bin/env bash
# Tests launch/tango-run: the mpirun command it builds (--dry-run) for CPU ranks, GPU ranks, a
# hostfile and oversubscription; its usage errors (exit 2, one line); and a real 2-rank mpirun of
# launch_probe (an MPI program that checks MPI_COMM_WORLD and reports OMP_NUM_THREADS).
#   tests/launch/test_tango_run.sh TANGO_RUN LAUNCH_PROBE
set -uo pipefail

tango_run="${1:?usage: $0 TANGO_RUN LAUNCH_PROBE}"
probe="${2:?usage: $0 TANGO_RUN LAUNCH_PROBE}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

passed=0
failed=0
pass() {
  passed=$((passed + 1))
  echo "ok   - $1"
}
fail() {
  failed=$((failed + 1))
  echo "FAIL - $1"
  [[ -n "${2:-}" ]] && echo "       output: $2"
}

# Each case starts from an environment without the variables tango-run reads.
clean_env=(-u CUDA_VISIBLE_DEVICES -u OMP_PROC_BIND -u OMP_PLACES -u TANGO_MPIRUN_ARGS -u SLURM_CPUS_PER_TASK
  -u SLURM_CPUS_ON_NODE -u SLURM_JOB_NUM_NODES -u SLURM_NTASKS_PER_NODE)

# expect_dry NAME "ENV=.. ENV=.." "ARGS" NEEDLE...: dry-run succeeds and prints every needle.
expect_dry() {
  local name="$1" envs="$2" args="$3" out
  shift 3
  # shellcheck disable=SC2086  # envs and args are word lists on purpose
  out=$(env "${clean_env[@]}" $envs "$tango_run" $args 2>&1)
  local rc=$?
  if [[ $rc -ne 0 ]]; then
    fail "$name: exit $rc" "$out"
    return
  fi
  for needle in "$@"; do
    if [[ "$out" != *"$needle"* ]]; then
      fail "$name: missing '$needle'" "$out"
      return
    fi
  done
  pass "$name"
}

# expect_dry_absent NAME "ENV" "ARGS" NEEDLE: dry-run succeeds and does not print the needle.
expect_dry_absent() {
  local name="$1" envs="$2" args="$3" needle="$4" out
  # shellcheck disable=SC2086
  out=$(env "${clean_env[@]}" $envs "$tango_run" $args 2>&1)
  if [[ $? -eq 0 && "$out" != *"$needle"* ]]; then pass "$name"; else fail "$name" "$out"; fi
}

# expect_usage_error NAME "ENV" "ARGS" NEEDLE: exit 2 with a one-line message containing the needle.
expect_usage_error() {
  local name="$1" envs="$2" args="$3" needle="$4" out rc
  # shellcheck disable=SC2086
  out=$(env "${clean_env[@]}" $envs "$tango_run" $args 2>&1)
  rc=$?
  if [[ $rc -eq 2 && "$out" == *"$needle"* && $(wc -l <<<"$out") -eq 1 ]]; then
    pass "$name"
  else
    fail "$name: exit $rc (want 2 and one line with '$needle')" "$out"
  fi
}

root_flag=""
if [[ $(id -u) -eq 0 ]]; then root_flag="--allow-run-as-root"; fi

expect_dry "cpu ranks share the cores" "TANGO_RUN_NPROC=8" "-np 2 --dry-run -- hostname" \
  "mpirun -np 2" "--map-by slot:PE=4" "--bind-to core" "-x OMP_NUM_THREADS=4" "$root_flag" "hostname" \
  "-x OMP_PROC_BIND=close -x OMP_PLACES=cores"
expect_dry "the caller's OpenMP placement wins" "TANGO_RUN_NPROC=8 OMP_PROC_BIND=spread" \
  "-np 2 --dry-run -- hostname" "-x OMP_PROC_BIND=spread"
expect_dry_absent "unbound ranks get no OpenMP placement" "TANGO_RUN_NPROC=2" "-np 5 --dry-run -- hostname" \
  "OMP_PLACES"
expect_dry_absent "one box: PATH stays local" "TANGO_RUN_NPROC=2" "-np 2 --dry-run -- hostname" "-x PATH"
expect_dry "one rank gets every core" "TANGO_RUN_NPROC=6" "-np 1 --dry-run -- hostname" \
  "--map-by slot:PE=6" "-x OMP_NUM_THREADS=6"
expect_dry "more ranks than cores oversubscribe" "TANGO_RUN_NPROC=2" "-np 5 --dry-run -- hostname" \
  "--oversubscribe" "--bind-to none" "-x OMP_NUM_THREADS=1"
expect_dry_absent "enough cores: no oversubscription" "TANGO_RUN_NPROC=4" "-np 4 --dry-run -- hostname" \
  "--oversubscribe"
expect_dry "gpu ranks per node bound to numa" "CUDA_VISIBLE_DEVICES=0,1,2,3 TANGO_RUN_NPROC=64" \
  "-np 4 --gpus-per-node 4 --dry-run -- hostname" "--map-by ppr:4:node" "--bind-to numa" \
  "-x OMP_NUM_THREADS=16"
expect_dry "--bind core overrides numa" "CUDA_VISIBLE_DEVICES=0,1 TANGO_RUN_NPROC=8" \
  "-np 2 --gpus-per-node 2 --bind core --dry-run -- hostname" "--bind-to core" "-x OMP_NUM_THREADS=4"

printf 'node-a slots=4\nnode-b slots=4\n# a comment\n\n' >"$tmp/hosts"
expect_dry "hostfile spreads gpu ranks over its nodes" "CUDA_VISIBLE_DEVICES=0,1,2,3 TANGO_RUN_NPROC=32" \
  "-np 8 --gpus-per-node 4 --hostfile $tmp/hosts --dry-run -- hostname" "--hostfile $tmp/hosts" \
  "--map-by ppr:4:node" "-x OMP_NUM_THREADS=8" "-x PATH"
expect_dry "hostfile cpu ranks: cores per node / ranks per node" "TANGO_RUN_NPROC=16" \
  "-np 8 --hostfile $tmp/hosts --dry-run -- hostname" "--map-by slot:PE=4" "-x OMP_NUM_THREADS=4"
expect_dry "NCCL_* and TANGO_* pass through" "NCCL_DEBUG=INFO TANGO_LOG_LEVEL=warn TANGO_RUN_NPROC=2" \
  "-np 2 --dry-run -- hostname" "-x NCCL_DEBUG" "-x TANGO_LOG_LEVEL"
expect_dry_absent "other variables stay out" "UNRELATED_VAR=1 TANGO_RUN_NPROC=2" \
  "-np 2 --dry-run -- hostname" "UNRELATED_VAR"
expect_dry "program arguments are kept in order" "TANGO_RUN_NPROC=2" \
  "-np 2 --dry-run -- hostname --parts dir --epochs 3" "hostname --parts dir --epochs 3"
expect_dry "extra mpirun arguments" "TANGO_RUN_NPROC=2 TANGO_MPIRUN_ARGS=--report-bindings" \
  "-np 2 --mpi-arg=--tag-output --dry-run -- hostname" "--report-bindings" "--tag-output"

expect_usage_error "-np 0 is rejected" "" "-np 0 -- hostname" "not a positive integer"
expect_usage_error "-np abc is rejected" "" "-np abc -- hostname" "not a positive integer"
expect_usage_error "missing -np" "" "-- hostname" "missing -np"
expect_usage_error "missing program" "" "-np 2 --" "missing the program"
expect_usage_error "program not on PATH" "" "-np 2 -- tango-no-such-program" "not found on PATH"
expect_usage_error "program path not executable" "" "-np 2 -- $tmp/hosts" "not executable"
expect_usage_error "missing mpirun" "TANGO_MPIRUN=/nonexistent/mpirun" "-np 2 -- hostname" "mpirun not found"
expect_usage_error "missing hostfile" "" "-np 2 --hostfile $tmp/none -- hostname" "hostfile"
expect_usage_error "no GPUs for GPU ranks" "CUDA_VISIBLE_DEVICES=" "-np 2 --gpus-per-node 2 -- hostname" \
  "has 0 GPUs"
expect_usage_error "fewer GPUs than ranks per node" "CUDA_VISIBLE_DEVICES=0" \
  "-np 2 --gpus-per-node 2 -- hostname" "has 1 GPUs"
expect_usage_error "more GPU ranks than one node holds" "CUDA_VISIBLE_DEVICES=0,1" \
  "-np 4 --gpus-per-node 2 -- hostname" "needs 2 nodes"
expect_usage_error "unknown option" "" "-np 2 --frobnicate -- hostname" "unknown option"

help=$("$tango_run" --help 2>&1)
if [[ $? -eq 0 && "$help" == *"tango-run -np N"* ]]; then pass "--help prints usage"; else fail "--help" "$help"; fi

# A real 2-rank run: two ranks in one MPI_COMM_WORLD, each with its share of the cores.
cores=$(nproc)
want_threads=$((cores / 2))
if [[ $want_threads -lt 1 ]]; then want_threads=1; fi
out=$(env -u TANGO_RUN_NPROC "$tango_run" -np 2 -- "$probe" --metrics "$tmp/metrics.jsonl" 2>&1)
rc=$?
if [[ $rc -eq 0 && $(grep -c "launch_probe: rank [01] of 2, allreduce 2, OMP_NUM_THREADS=$want_threads" <<<"$out") -eq 2 ]] &&
  grep -q "\"ranks\":2,\"allreduce\":2" "$tmp/metrics.jsonl" && [[ "$out" == *"tango-run: "*"mpirun -np 2"* ]]; then
  pass "real 2-rank run through mpirun"
else
  fail "real 2-rank run (exit $rc)" "$out"
fi

# The GPU placement (ppr:G:node, NUMA binding) and a hostfile are accepted by the real mpirun too
# (GPUs announced through CUDA_VISIBLE_DEVICES; the probe does not touch them).
out=$(CUDA_VISIBLE_DEVICES=0,1 "$tango_run" -np 2 --gpus-per-node 2 -- "$probe" 2>&1)
if [[ $? -eq 0 && $(grep -c "launch_probe: rank [01] of 2, allreduce 2" <<<"$out") -eq 2 &&
  "$out" == *"--map-by ppr:2:node"* ]]; then
  pass "real 2-rank run with GPU placement"
else
  fail "real 2-rank run with GPU placement" "$out"
fi
echo "localhost slots=2" >"$tmp/localhost"
out=$("$tango_run" -np 2 --hostfile "$tmp/localhost" -- "$probe" 2>&1)
if [[ $? -eq 0 && $(grep -c "launch_probe: rank [01] of 2, allreduce 2" <<<"$out") -eq 2 ]]; then
  pass "real 2-rank run from a hostfile"
else
  fail "real 2-rank run from a hostfile" "$out"
fi

# The teardown watchdog: an mpirun that reports an abort but never ends (what OpenMPI does when a host's
# link is down) is killed TANGO_RUN_TEARDOWN_S after the abort began, and tango-run exits with the
# ranks' MPI_Abort code; an mpirun that ends by itself keeps its exit code and output.
cat >"$tmp/stuck-mpirun" <<'EOF'
#!/usr/bin/env bash
echo "tango: rank 0 aborting the job: halo exchange (forward) timed out" >&2
printf 'MPI_ABORT was invoked on rank 0 in communicator MPI_COMM_WORLD\nwith errorcode 7.\n' >&2
sleep 60
EOF
chmod +x "$tmp/stuck-mpirun"
start=$SECONDS
out=$(TANGO_MPIRUN="$tmp/stuck-mpirun" TANGO_RUN_TEARDOWN_S=2 "$tango_run" -np 2 -- "$probe" 2>&1)
rc=$?
took=$((SECONDS - start))
if [[ $rc -eq 7 && $took -le 10 && "$out" == *"mpirun did not end within 2 s after the job began to abort"* &&
  "$out" == *"aborting the job: halo exchange"* ]]; then
  pass "watchdog: a stuck mpirun is killed 2 s after the abort, exit 7 (took ${took} s)"
else
  fail "watchdog: exit $rc after ${took} s" "$out"
fi
cat >"$tmp/failing-mpirun" <<'EOF'
#!/usr/bin/env bash
echo "ran: $*"
echo "mpirun noticed that process rank 1 exited on signal 9" >&2
exit 5
EOF
chmod +x "$tmp/failing-mpirun"
out=$(TANGO_MPIRUN="$tmp/failing-mpirun" TANGO_RUN_TEARDOWN_S=2 "$tango_run" -np 2 -- "$probe" 2>&1)
rc=$?
if [[ $rc -eq 5 && "$out" == *"ran: -np 2"* && "$out" == *"mpirun noticed that process rank 1"* &&
  "$out" != *"did not end"* ]]; then
  pass "watchdog: an mpirun that ends by itself keeps its exit code (5) and output"
else
  fail "watchdog: exit $rc" "$out"
fi

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
