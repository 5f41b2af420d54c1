#!/usr/bin/env bash
# expect_job_failure.sh SECONDS PATTERN COMMAND...: passes when COMMAND (an mpiexec job) exits
# non-zero by itself within SECONDS and its output contains PATTERN; fails on success, on a hang
# (killed at SECONDS) or when no line names the failure.
set -u
limit=$1 pattern=$2
shift 2
output=$(timeout --kill-after=5 "$limit" "$@" 2>&1)
code=$?
echo "$output" | tail -n 30
if [[ $code -eq 0 ]]; then echo "expect_job_failure: the job succeeded but should have failed"; exit 1; fi
if [[ $code -eq 124 || $code -eq 137 ]]; then echo "expect_job_failure: the job hung past ${limit} s"; exit 1; fi
if ! grep -q -- "$pattern" <<<"$output"; then echo "expect_job_failure: no line contains '$pattern'"; exit 1; fi
echo "expect_job_failure: exit code $code with '$pattern' reported: ok"
