# Shared by the tests of tests/cluster (sourced, not run): an emulated cluster of network-namespace
# hosts (netns_cluster.sh) with a name of its own, removed on exit whatever happens; checks counted
# as ok/FAIL lines and a final "N passed, N failed". Exit code 77 means "skipped" to ctest.
# shellcheck shell=bash

cluster_lib_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# check, skip_test, finish_checks
# shellcheck disable=SC1091
source "$cluster_lib_dir/../common/checks.sh"
repo_root="$(cd "$cluster_lib_dir/../.." && pwd)"
netns_cluster="$cluster_lib_dir/netns_cluster.sh"
cluster_dir=""
work_dir=""


cleanup_cluster_on_exit() {
  local rc=$?
  trap '' PIPE
  if [[ -n "$cluster_dir" ]]; then "$netns_cluster" stop "$cluster_dir" || true; fi
  if [[ -n "$work_dir" && -z "${TANGO_KEEP_TEST_DIR:-}" ]]; then rm -rf "$work_dir"; fi
  exit "$rc"
}

# make_work_dir: a temp dir for the test's files, removed on exit (kept with TANGO_KEEP_TEST_DIR=1).
make_work_dir() {
  work_dir="$(mktemp -d /tmp/tango-cluster-test.XXXXXX)"
  trap cleanup_cluster_on_exit EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

# start_test_cluster ARGS...: netns_cluster.sh start with a prefix of this test's own (tests may run
# in parallel), or skip when hosts cannot be made here. Sets cluster_dir, prefix and sources env.
start_test_cluster() {
  local reason
  reason="$("$netns_cluster" check)" || skip_test "emulated hosts unavailable: $reason"
  [[ -n "$work_dir" ]] || make_work_dir
  cluster_dir="$work_dir/cluster"
  prefix="tc$((RANDOM % 1000))n"
  "$netns_cluster" start "$cluster_dir" --prefix "$prefix" "$@" || {
    echo "FAIL - the emulated cluster did not start"
    exit 1
  }
  # shellcheck disable=SC1091
  source "$cluster_dir/env"
}
