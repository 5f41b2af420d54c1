#!/usr/bin/env bash
# bench/link_bound.sh on emulated hosts, small: 2 hosts x 2 ranks at 1 Gbit/s, a 3,000-node synthetic
# graph, GCN, five modes once for 3 epochs (full Tango both with stochastic and with nearest rounding).
# The report must hold the GCN row with vanilla's epoch and communication share, every mode's speed-up,
# full Tango's bytes against fp32 (forward 4 / backward 8 bits on 256 columns: 0.1-0.2) and the share its
# overlap hid, and the where-the-time-goes row; the plot is written when matplotlib can be had.
# --report-only reuses the runs; a bad rate is a usage error (exit 2); no emulated host is left.
# Skipped (77) where hosts cannot be made (no root or netns).
#   test_link_bound.sh BUILD_DIR
set -euo pipefail
build=$1
src="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
reason="$("$src/tests/cluster/netns_cluster.sh" check)" || { echo "SKIPPED: emulated hosts unavailable: $reason"; exit 77; }
work=$(mktemp -d "${TMPDIR:-/tmp}/tango-link-bound.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export TANGO_PLOT_VENV="$build/plot-venv"
prefix="tb$((RANDOM % 1000))n"

args=(--build "$build" --work "$work" --rates 1gbit --layouts 2x2 --models gcn
  --modes vanilla,halo48,tango-no-overlap,tango,tango-nearest --rounds 1 --epochs 3 --warmup 1 --nodes 3000 --prefix "$prefix")
"$src/bench/link_bound.sh" "${args[@]}" >"$work/out.md" 2>"$work/err.log" ||
  { cat "$work/err.log"; fail "link_bound.sh"; }
cat "$work/out.md"
python3 - "$work/out.md" <<'PY'
import sys
text = open(sys.argv[1]).read()
assert "### 2 hosts x 2 ranks each" in text, text
assert "| Tango, nearest rounding |" in text, text
rows = [[c.strip() for c in line.split("|")[1:-1]] for line in text.splitlines() if line.startswith("| GCN")]
speed = [r for r in rows if len(r) == 12 and r[3].endswith("%")]
assert len(speed) == 1, rows
r = speed[0]
assert r[1] == "1 Gbit/s", r
assert float(r[2]) > 0 and 0 < float(r[3][:-1]) < 100, r
for cell in r[4:8]:
    assert cell.endswith("x") and float(cell[:-1]) > 0, r
vanilla_mb, tango_mb = (float(x) for x in r[8].split(" -> "))
assert 0 < tango_mb < vanilla_mb, r        # halo MB per epoch
assert 0.1 < float(r[9]) < 0.2, r          # Tango's bytes vs fp32
assert r[10].endswith("%") and r[11].endswith("%"), r
timing = [x for x in rows if len(x) == 10]
assert len(timing) == 1 and float(timing[0][2]) > 0, rows
print("report checks: ok")
PY
if grep -q "no matplotlib" "$work/err.log"; then
  echo "note: matplotlib could not be installed, no plot to check"
else
  python3 -c 'import sys; d = open(sys.argv[1], "rb").read(8); sys.exit(d != b"\x89PNG\r\n\x1a\n")' "$work/speedup.png" ||
    fail "speedup.png is not a PNG"
fi
"$src/bench/link_bound.sh" "${args[@]}" --report-only >"$work/again.md" 2>"$work/again.err" || { cat "$work/again.err"; fail "--report-only"; }
cmp -s "$work/out.md" "$work/again.md" || fail "--report-only printed another report"
rc=0
"$src/bench/link_bound.sh" --build "$build" --rates fast >/dev/null 2>&1 || rc=$?
[[ $rc -eq 2 ]] || fail "a bad rate exited $rc, not 2"
! ip netns list | grep -q "^$prefix" || fail "emulated hosts left behind: $(ip netns list | grep "^$prefix")"
echo "test_link_bound: ok"
