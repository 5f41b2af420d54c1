# Check counting for the shell tests (sourced, not run): `check NAME COMMAND...` prints "ok   - NAME"
# or "FAIL - NAME" by the command's exit code; `skip_test WHY` exits 77 (ctest's SKIP_RETURN_CODE)
# saying why; `finish_checks` prints "N passed, N failed" and returns non-zero on any failure.
# shellcheck shell=bash

checks_passed=0
checks_failed=0

check() {
  local name="$1"
  shift
  if "$@"; then
    checks_passed=$((checks_passed + 1))
    echo "ok   - $name"
  else
    checks_failed=$((checks_failed + 1))
    echo "FAIL - $name"
  fi
}

skip_test() {
  echo "SKIPPED: $*"
  exit 77
}

finish_checks() {
  echo "$checks_passed passed, $checks_failed failed"
  [[ $checks_failed -eq 0 ]]
}
