#!/usr/bin/env bash
# Tests scripts/plot_metrics.py on tests/data/tiny_metrics.jsonl (6 epochs, evaluation every 2nd,
# a blank line): the headline figures it prints (best validation epoch 4 -> test 0.60; 1.5 MiB sent
# vs 6 MiB fp32 = 4x), a valid PNG of the expected size (3 panels, 1500 x 420), and that a malformed
# line is an input error naming the line. Skipped (77) when matplotlib cannot be installed (no
# network for pip): the plot is not a build dependency.
#   tests/launch/test_plot_metrics.sh WORK_DIR   (the venv is kept in WORK_DIR/plot-venv)
set -uo pipefail

work_dir="${1:?usage: $0 WORK_DIR}"
here="$(cd "$(dirname "$0")" && pwd)"
repo_root="$(cd "$here/../.." && pwd)"
plot="$repo_root/scripts/plot_metrics.py"
fixture="$repo_root/tests/data/tiny_metrics.jsonl"
export TANGO_PLOT_VENV="$work_dir/plot-venv"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

passed=0
failed=0
check() {
  local what="$1"
  shift
  if "$@"; then passed=$((passed + 1)); echo "ok   - $what"; else failed=$((failed + 1)); echo "FAIL - $what"; fi
}

# Bad input first: it fails before any venv work.
head -1 "$fixture" >"$tmp/bad.jsonl"
echo '{"epoch": 2, "loss": ' >>"$tmp/bad.jsonl"
message=$(python3 "$plot" "$tmp/bad.jsonl" --out "$tmp/bad.png" 2>&1)
check "malformed line: exit 2" test $? -eq 2
check "malformed line: the message names file:line ($message)" grep -q "bad.jsonl:2: not a JSON object" <<<"$message"
check "malformed line: no PNG written" test ! -e "$tmp/bad.png"
: >"$tmp/empty.jsonl"
python3 "$plot" "$tmp/empty.jsonl" >/dev/null 2>&1
check "empty file: exit 2" test $? -eq 2

headline=$(python3 "$plot" "$fixture" --out "$tmp/tiny.png" 2>"$tmp/stderr")
rc=$?
if [[ $rc -eq 3 ]]; then
  cat "$tmp/stderr"
  echo "SKIPPED: matplotlib could not be installed ($passed checks before it passed)"
  exit 77
fi
check "plot exit 0 (stderr: $(tail -1 "$tmp/stderr"))" test $rc -eq 0
expected="epochs 6, last loss 0.7000, best valid_acc 0.6200 at epoch 4 (test_acc 0.6000), bytes sent 1.50 MiB vs fp32 6.00 MiB (4.00x less)"
check "headline: $headline" test "$headline" = "$expected"
check "a PNG file" bash -c "head -c 8 '$tmp/tiny.png' | od -An -tx1 | tr -d ' \n' | grep -qx 89504e470d0a1a0a"
size=$(od -An -tu1 -j16 -N8 "$tmp/tiny.png" | awk '{ print $1*16777216 + $2*65536 + $3*256 + $4 "x" $5*16777216 + $6*65536 + $7*256 + $8 }')
check "PNG is 1500x420 ($size)" test "$size" = "1500x420"
check "no temp file left" test ! -e "$tmp/tiny.png.tmp.png"

# Quantization telemetry (tests/data/tiny_quant_metrics.jsonl: 2 layers measured at epochs 2 and 4): the
# headline names the worst operands of epoch 4, and three rows of per-layer panels follow (1500 x 4 * 420).
quant_fixture="$repo_root/tests/data/tiny_quant_metrics.jsonl"
headline=$(python3 "$plot" "$quant_fixture" --out "$tmp/quant.png" 2>"$tmp/stderr")
check "quant plot exit 0 (stderr: $(tail -1 "$tmp/stderr"))" test $? -eq 0
expected="epochs 4, last loss 1.1000, best valid_acc 0.5500 at epoch 4 (test_acc 0.5000), quant (epoch 4): largest rel_err l0.bwd.linear_dy_sr 0.25, largest zero_rows l1.bwd.linear_dy_sr 0.4"
check "quant headline: $headline" test "$headline" = "$expected"
size=$(od -An -tu1 -j16 -N8 "$tmp/quant.png" | awk '{ print $1*16777216 + $2*65536 + $3*256 + $4 "x" $5*16777216 + $6*65536 + $7*256 + $8 }')
check "quant PNG is 1500x1680 ($size)" test "$size" = "1500x1680"

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
