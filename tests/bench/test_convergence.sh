#!/usr/bin/env bash
# bench/convergence.sh on real ranks, tiny: a 2,000-node synthetic graph, GCN and SAGE (hidden 16), 3
# epochs, fp32 / int8 on 1 rank and fp32 / int8 + halo 8 / int8 + halo 4 on 2 ranks. The report must hold
# every cell with numbers (accuracies in [0, 100], a signed Δ against fp32 of the same rank count, a
# verdict), halo cells sending fewer bytes than fp32 and 4 bits fewer than 8; a second call reuses the runs
# and gives the same table; --doc splices the section into a markdown file once, however often it runs;
# --synthetic-args gives the synthetic graphs' runs their own flags and names; bad cells are usage errors
# (exit 2). The PNG is checked where matplotlib is at hand (no install here).
#   test_convergence.sh BUILD_DIR
set -euo pipefail
build=$1
src="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
work=$(mktemp -d "${TMPDIR:-/tmp}/tango-convergence.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

plot=(--no-plot)
venv_python="${TANGO_PLOT_VENV:-$HOME/.cache/tango/plot-venv}/bin/python3"
if python3 -c 'import matplotlib' 2> /dev/null || { [[ -x "$venv_python" ]] && "$venv_python" -c 'import matplotlib' 2> /dev/null; }; then
  plot=()
fi
cells=fp32-1,int8-1,fp32-2,int8-halo8-2,int8-halo4-2
args=(--build "$build" --work "$work/w" --graphs 2000 --models "gcn,sage" --cells "$cells" --epochs 3
  --eval-every 2 --train-args "--hidden 16")
printf '# Doc\n\ntext above\n' > "$work/doc.md"
"$src/bench/convergence.sh" "${args[@]}" "${plot[@]}" --doc "$work/doc.md" --doc-png "$work/conv.png" \
  > "$work/out.md" 2> "$work/err.log" || { cat "$work/err.log"; fail "convergence.sh"; }
grep -q "budget 2000 gcn: [0-9]* ms per epoch" "$work/err.log" || fail "no budget line: $(cat "$work/err.log")"
python3 - "$work/w/convergence.md" <<'PY'
import sys
text = open(sys.argv[1]).read()
assert text.startswith("## Convergence at scale"), text[:200]
for key in ("- Runs: `bench/convergence.sh", "; report: `bench/convergence.sh", "- Date: ", "- Machine: "):
    assert key in text, key
rows = [[c.strip() for c in line.split("|")[1:-1]] for line in text.splitlines() if line.startswith("| 2000 |")]
assert len(rows) == 10, len(rows)
cells = {(r[1], r[2]): r for r in rows}
for model in ("GCN", "SAGE"):
    for cell in ("fp32-1", "int8-1", "fp32-2", "int8-halo8-2", "int8-halo4-2"):
        r = cells[(model, cell)]
        final, best, loss, epochs = float(r[3]), float(r[7]), float(r[8]), int(r[9])
        assert 0 <= final <= 100 and 0 <= best <= 100 and loss > 0 and epochs == 3, r
        if cell.startswith("fp32"):
            assert r[4] == "(baseline)" and r[5] == "" and r[6] == "", r
        else:
            base = "fp32-1" if cell.endswith("-1") else "fp32-2"
            base_acc = float(cells[(model, base)][3])
            assert r[4] == f"{base} {base_acc:.2f}", r
            assert abs(float(r[5]) - (final - base_acc)) < 0.011, r
            assert r[6] in ("yes", "no (above)", "**no**"), r
            assert (r[6] == "yes") == (abs(float(r[5])) <= 0.5), r
    sent = {c: [float(x) for x in cells[(model, c)][11].split(" / ")] for c in ("fp32-2", "int8-halo8-2", "int8-halo4-2")}
    assert sent["fp32-2"][0] == sent["fp32-2"][1] > 0, sent
    assert sent["int8-halo4-2"][0] < sent["int8-halo8-2"][0] < 0.35 * sent["fp32-2"][0], sent
    assert cells[(model, "fp32-1")][11] == "(1 rank)", cells[(model, "fp32-1")]
assert "Target (|Δ| <= 0.5 pp after the same epochs): 6 cells compared" in text, text
print("report ok")
PY
grep -c "done" "$work/err.log" | grep -qx 10 || fail "expected 10 runs: $(cat "$work/err.log")"
if [[ ${#plot[@]} -eq 0 ]]; then
  [[ -s "$work/w/convergence.png" && -s "$work/conv.png" ]] || fail "no PNG"
fi
grep -q "text above" "$work/doc.md" && grep -q "^## Convergence at scale" "$work/doc.md" || fail "doc not spliced"

"$src/bench/convergence.sh" "${args[@]}" --no-plot --doc "$work/doc.md" --doc-png "$work/conv.png" \
  > /dev/null 2> "$work/again.log" || { cat "$work/again.log"; fail "second call"; }
if grep -q " done" "$work/again.log"; then fail "the second call ran again instead of reusing the runs"; fi
[[ $(grep -c "^## Convergence at scale" "$work/doc.md") -eq 1 ]] || fail "the section is in the doc twice"
diff <(grep "^| 2000" "$work/out.md") <(grep "^| 2000" "$work/w/convergence.md") || fail "reused runs gave another table"

# --report-only on a work dir without runs says "not run" for each cell and compares none.
"$src/bench/convergence.sh" --work "$work/empty" --graphs 2000 --models gcn --cells fp32-1,int8-1 --epochs 3 \
  --report-only --no-plot > /dev/null 2>&1 || fail "--report-only on an empty work dir"
[[ $(grep -c "| not run |" "$work/empty/convergence.md") -eq 2 ]] || fail "missing runs not reported: $(cat "$work/empty/convergence.md")"

# --synthetic-args: the synthetic graph's runs get those flags after --train-args, under another run name
# (so a run of other flags is not reused), and the report's graph line names them.
"$src/bench/convergence.sh" --build "$build" --work "$work/w" --graphs 2000 --models gcn --cells fp32-1 \
  --epochs 3 --eval-every 2 --train-args "--hidden 16" --synthetic-args "--dropout 0.1" --no-plot \
  > /dev/null 2> "$work/syn.log" || { cat "$work/syn.log"; fail "--synthetic-args"; }
grep -q "2000-gcn-l3-fp32-1-e3-s1-x[0-9]* done" "$work/syn.log" || fail "--synthetic-args reused a run of other flags"
grep -qF -- '- 2000: `synthetic:nodes=2000,' "$work/w/convergence.md" &&
  grep -qF -- '3 epochs, `--hidden 16 --dropout 0.1`' "$work/w/convergence.md" ||
  fail "the graph line does not name its flags: $(grep -- '- 2000' "$work/w/convergence.md")"

# NAME:EPOCHS: that graph's cells train for its own epochs (run name, report row and graph line say so).
"$src/bench/convergence.sh" --build "$build" --work "$work/w" --graphs 2000:4 --models gcn --cells fp32-1 \
  --epochs 3 --eval-every 2 --train-args "--hidden 16" --no-plot > /dev/null 2> "$work/ep.log" ||
  { cat "$work/ep.log"; fail "--graphs 2000:4"; }
grep -q "2000-gcn-l3-fp32-1-e4-s1-x[0-9]* done" "$work/ep.log" || fail "--graphs 2000:4 did not run 4 epochs: $(cat "$work/ep.log")"
grep -q "^| 2000 | GCN | fp32-1 | [0-9.]* | (baseline) |.*| 4 | [0-9]* | (1 rank) |$" "$work/w/convergence.md" &&
  grep -qF -- '- 2000: `synthetic:nodes=2000,' "$work/w/convergence.md" && grep -qF -- ', 4 epochs, ' "$work/w/convergence.md" ||
  fail "the report does not hold the 4-epoch run: $(cat "$work/w/convergence.md")"

for bad in "--cells int8-halo8-1" "--cells int16-1" "--models gin" "--graphs 12x" "--graphs 2000:0" "--graphs 2000:x"; do
  set +e
  # shellcheck disable=SC2086  # the option and its value are two words
  "$src/bench/convergence.sh" --build "$build" --work "$work/bad" $bad > /dev/null 2> "$work/bad.log"
  rc=$?
  set -e
  [[ $rc -eq 2 ]] && [[ $(wc -l < "$work/bad.log") -eq 1 ]] || fail "$bad gave rc $rc: $(cat "$work/bad.log")"
done
echo "convergence ok"
