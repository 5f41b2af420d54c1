#!/usr/bin/env bash
# bench/overlap_ratios.sh on real ranks, small: 2 ranks, a 3,000-node synthetic graph, GCN and GAT, every
# mode once for 4 epochs. Its tables must hold every model and mode, the baseline at 1.00x, and halo bytes
# that match the codecs (8-bit rows: 0.2-0.3 of fp32; forward 4 / backward 8 below that; fp32 modes 1.000).
# A second call reuses the runs; a bad option is a usage error (exit 2).
#   test_overlap_ratios.sh BUILD_DIR
set -euo pipefail
build=$1
src="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
work=$(mktemp -d "${TMPDIR:-/tmp}/tango-overlap-ratios.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

args=(--build "$build" --work "$work" --ranks 2 --nodes 3000 --models gcn,gat --runs 1 --epochs 4 --warmup 1)
"$src/bench/overlap_ratios.sh" "${args[@]}" > "$work/out.md" 2> "$work/err.log" ||
  { cat "$work/err.log"; fail "overlap_ratios.sh"; }
cat "$work/out.md"
python3 - "$work/out.md" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
assert "Hidden by the overlap" in text and "AdaQP-style ratios" in text, text
rows = [line.split("|")[1:-1] for line in text.splitlines() if line.startswith("| GCN") or line.startswith("| GAT")]
rows = [[c.strip() for c in r] for r in rows]
adaqp = [r for r in rows if len(r) == 8]
hidden = [r for r in rows if len(r) == 9]
assert len(hidden) == 4 and len(adaqp) == 12, (len(hidden), len(adaqp))
for model in ("GCN", "GAT"):
    mine = {r[1]: r for r in adaqp if r[0].startswith(model)}
    base = mine["fp32 halo, `--no-overlap`"]
    assert base[3] == "1.00x", base
    ratio = lambda label: float(mine[label][7])
    assert ratio("fp32 halo, `--no-overlap`") == 1.0 and ratio("fp32 halo, `--overlap`") == 1.0
    assert 0.2 < ratio("`--halo-bits 8`, overlap") < 0.3, mine
    assert 0.1 < ratio("`--halo-bits fwd=4,bwd=8`, overlap") < ratio("`--halo-bits 8`, overlap"), mine
    assert ratio("`--precision int8 --halo-bits fwd=4,bwd=8`, overlap") == ratio("`--halo-bits fwd=4,bwd=8`, overlap")
    for r in mine.values():
        assert float(r[2]) > 0 and float(r[6]) > 0, r
print("tables ok")
PY
grep -q "done" "$work/err.log" || fail "no run was made"
"$src/bench/overlap_ratios.sh" "${args[@]}" > "$work/again.md" 2> "$work/again.log" || fail "second call"
if grep -q "done" "$work/again.log"; then fail "the second call ran again instead of reusing the runs"; fi
cmp -s "$work/out.md" "$work/again.md" || fail "the reused runs gave other tables"
set +e
"$src/bench/overlap_ratios.sh" --build "$build" --ranks 1 > /dev/null 2> "$work/bad.log"
rc=$?
set -e
[[ $rc -eq 2 ]] && grep -q "at least 2 ranks" "$work/bad.log" || fail "--ranks 1 gave rc $rc: $(cat "$work/bad.log")"
echo "overlap_ratios ok"
