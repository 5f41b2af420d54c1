# Shared by the Slurm tests (sourced, not run): bring up a private one-node cluster with
# slurm_cluster.sh (or one over emulated hosts of tests/cluster/netns_cluster.sh), read job states
# from scontrol (no accounting daemon), wait with a deadline, count checks, and always stop the
# daemons (and the hosts) on exit. Exit code 77 means "skipped" to ctest.
# shellcheck shell=bash

slurm_lib_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# check, skip_test, finish_checks
# shellcheck disable=SC1091
source "$slurm_lib_dir/../common/checks.sh"
netns_cluster="$(cd "$slurm_lib_dir/../cluster" && pwd)/netns_cluster.sh"
cluster_dir=""
# netns_cluster.sh's directory when the Slurm cluster runs on emulated hosts.
hosts_dir=""


# Stops the Slurm daemons, then the emulated hosts, and removes their directory (safe to call twice).
stop_test_cluster() {
  [[ -n "$cluster_dir" ]] || return 0
  "$slurm_lib_dir/slurm_cluster.sh" stop "$cluster_dir"
  if [[ -n "$hosts_dir" ]]; then "$netns_cluster" stop "$hosts_dir"; fi
  rm -rf "$cluster_dir"
  cluster_dir=""
  hosts_dir=""
}

stop_cluster_on_exit() {
  local rc=$?
  # A closed stdout (e.g. `| head`) must not kill the clean-up half-way.
  trap '' PIPE
  if [[ -n "$cluster_dir" ]]; then
    if [[ $rc -ne 0 && $rc -ne 77 ]]; then
      echo "--- slurmctld log (tail)"
      tail -n 20 "$cluster_dir/log/slurmctld.log" 2>/dev/null
      local log
      for log in "$cluster_dir"/log/slurmd*.log; do
        [[ -f "$log" ]] || continue
        echo "--- ${log##*/} (tail)"
        tail -n 20 "$log" 2>/dev/null
      done
    fi
    stop_test_cluster
  fi
  exit "$rc"
}

# Starts the cluster (installing slurm-wlm + munge when missing) or skips the test when impossible.
start_test_cluster() {
  [[ $(id -u) -eq 0 ]] || skip_test "a private Slurm cluster needs root (slurmd runs jobs as their user)"
  "$slurm_lib_dir/slurm_cluster.sh" install ||
    skip_test "slurm-wlm and munge are not installed and could not be installed (scripts/install-deps.sh --slurm)"
  cluster_dir="$(mktemp -d /tmp/tango-slurm.XXXXXX)"
  trap stop_cluster_on_exit EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  "$slurm_lib_dir/slurm_cluster.sh" start "$cluster_dir" || {
    echo "FAIL - the Slurm cluster did not start"
    exit 1
  }
  # shellcheck disable=SC1091
  source "$cluster_dir/env"
}

# start_test_cluster_on_hosts N PREFIX: N emulated hosts PREFIX1..PREFIXN (netns_cluster.sh, under
# $cluster_dir/hosts) and a Slurm cluster over them (slurm_cluster.sh --netns); skips the test when
# hosts or Slurm cannot be had here. After it, sbatch & co. are the cluster's wrappers (DIR/bin).
start_test_cluster_on_hosts() {
  local nodes="$1" prefix="$2" reason
  [[ $(id -u) -eq 0 ]] || skip_test "emulated hosts and a private Slurm cluster need root"
  reason="$("$netns_cluster" check 2>&1)" || skip_test "no emulated hosts here: $reason"
  "$slurm_lib_dir/slurm_cluster.sh" install ||
    skip_test "slurm-wlm and munge are not installed and could not be installed (scripts/install-deps.sh --slurm)"
  cluster_dir="$(mktemp -d /tmp/tango-slurm.XXXXXX)"
  hosts_dir="$cluster_dir/hosts"
  trap stop_cluster_on_exit EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  "$netns_cluster" start "$hosts_dir" --nodes "$nodes" --prefix "$prefix" || {
    echo "FAIL - the emulated hosts did not start"
    exit 1
  }
  "$slurm_lib_dir/slurm_cluster.sh" start "$cluster_dir" --netns "$hosts_dir" || {
    echo "FAIL - the Slurm cluster on the emulated hosts did not start"
    exit 1
  }
  # shellcheck disable=SC1091
  source "$cluster_dir/env"
}

# The state of a job as scontrol knows it (COMPLETED, FAILED, PENDING, RUNNING, ...).
job_state() {
  scontrol show job "$1" -o 2>/dev/null | grep -o 'JobState=[A-Z_]*' | cut -d= -f2
}

job_field() {
  scontrol show job "$1" -o 2>/dev/null | tr ' ' '\n' | grep "^$2=" | head -1 | cut -d= -f2-
}

# wait_job ID SECONDS: waits until the job has ended; prints its final state.
wait_job() {
  local id="$1" deadline=$((SECONDS + $2)) state=""
  while [[ $SECONDS -lt $deadline ]]; do
    state="$(job_state "$id")"
    case "$state" in
      COMPLETED | FAILED | CANCELLED | TIMEOUT | NODE_FAIL | OUT_OF_MEMORY | BOOT_FAIL | DEADLINE | PREEMPTED)
        echo "$state"
        return 0
        ;;
    esac
    sleep 1
  done
  echo "TIMEOUT_WAITING(${state:-unknown})"
}

# wait_until SECONDS COMMAND...: polls until the command succeeds.
wait_until() {
  local deadline=$((SECONDS + $1))
  shift
  while [[ $SECONDS -lt $deadline ]]; do
    if "$@"; then return 0; fi
    sleep 1
  done
  return 1
}
