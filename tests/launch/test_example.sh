#!/usr/bin/env bash
# Smoke test of one example script (examples/NAME.sh --smoke): it must run what can run with the
# binaries built so far. Asserts that every partition it wrote verifies, and, when tango-train is
# built, that each run left a metrics JSONL with one line per epoch (3 in smoke mode) and a summary
# with test_acc. Exit 77 (skipped) when tango-partition or the example's dataset is missing, or
# when the example skipped its training step because tango-train is not built yet.
#   tests/launch/test_example.sh BUILD_DIR NAME
set -uo pipefail

build_dir="${1:?usage: $0 BUILD_DIR NAME}"
name="${2:?usage: $0 BUILD_DIR NAME}"
here="$(cd "$(dirname "$0")" && pwd)"
repo_root="$(cd "$here/../.." && pwd)"
partition_bin="${TANGO_PARTITION_BIN:-$build_dir/bin/tango-partition}"
data_dir="${TANGO_DATA_DIR:-$repo_root/../shared/datasets}"

[[ -x "$partition_bin" ]] || { echo "SKIPPED: tango-partition is not built ($partition_bin)"; exit 77; }
case "$name" in
  cora | use_trained_model) [[ -d "$data_dir/cora/raw" ]] || { echo "SKIPPED: no cora under $data_dir"; exit 77; } ;;
  facebook_int4_halo) [[ -d "$data_dir/facebook/raw" ]] || { echo "SKIPPED: no facebook under $data_dir"; exit 77; } ;;
esac

out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
TANGO_BUILD="$build_dir" TANGO_DATA_DIR="$data_dir" TANGO_EXAMPLE_OUT="$out" \
  "$repo_root/examples/$name.sh" --smoke
rc=$?
if [[ $rc -ne 0 && $rc -ne 77 ]]; then
  echo "FAIL - examples/$name.sh --smoke exited $rc"
  exit 1
fi

passed=0
failed=0
check() {
  local what="$1"
  shift
  if "$@"; then passed=$((passed + 1)); echo "ok   - $what"; else failed=$((failed + 1)); echo "FAIL - $what"; fi
}
manifests=$(find "$out" -name manifest.json | sort)
check "the example wrote a partition" test -n "$manifests"
for manifest in $manifests; do
  check "$(dirname "$manifest") verifies" "$partition_bin" --verify "$(dirname "$manifest")"
done
if [[ $rc -eq 0 ]]; then
  metrics=$(find "$out" -name '*.jsonl' | sort)
  check "the example wrote metrics" test -n "$metrics"
  for file in $metrics; do
    check "$(basename "$file") has 3 epochs" test "$(wc -l <"$file")" -eq 3
  done
  check "a summary has test_acc" bash -c "grep -l '\"test_acc\"' '$out'/*.json >/dev/null"
fi
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]] || exit 1
exit "$rc"
