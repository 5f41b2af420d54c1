#!/usr/bin/env bash
# bench/compare_pyg.sh's scripts parse, and its report path works on real runs without PyTorch:
# two real 1-rank tango-train runs (fp32, int8) on a small synthetic graph, under
# bench/cpu_epoch_probe.py, are collected with bench/bench_collect.py like compare_pyg.sh does, then bench/bench_report.py writes its section into a
# copy of a document twice: the hand-written text around it stays, the section is replaced (not
# duplicated), missing runs read "not run", and the results JSON holds the runs' figures; then a work dir
# with PyG accuracy runs only keeps the other tables with their provenance (from the results JSON), and
# --render-only rewrites the section from the results JSON alone.
#   test_bench_scripts.sh BUILD_DIR
set -euo pipefail
build=$1
src="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
work=$(mktemp -d "${TMPDIR:-/tmp}/tango-bench-scripts.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

for script in "$src"/bench/*.sh "$src"/tests/bench/*.sh; do bash -n "$script" || fail "bash -n $script"; done
for script in "$src"/bench/*.py "$src"/scripts/plot_bench.py "$src"/scripts/accuracy_report.py; do
  python3 -m py_compile "$script" || fail "py_compile $script"
done
"$src/bench/compare_pyg.sh" --help | grep -q "phases" || fail "compare_pyg.sh --help"
set +e
"$src/bench/compare_pyg.sh" --build "$build" --phases nonsense > /dev/null 2> "$work/bad.err"
rc=$?
set -e
[[ $rc -eq 2 ]] && grep -q "nonsense" "$work/bad.err" || fail "a bad --phases gave rc $rc: $(cat "$work/bad.err")"

mkdir -p "$work/runs"
# Big enough that an epoch costs several 10 ms CPU ticks (cpu_epoch_probe reads /proc in ticks: a tiny graph
# could record 0 ms for all timed epochs on a fast machine)
spec="synthetic:nodes=40000,avg_degree=8,classes=4,features=64,seed=2"
for precision in fp32 int8; do
  name="speed-tango-synth1m-r1-$precision" # the report's name for this cell; the graph is small here
  /usr/bin/time -v python3 "$src/bench/cpu_epoch_probe.py" "$work/$name.cpu.json" -- "$build/bin/tango-train" \
    --dataset "$spec" --precision "$precision" --epochs 6 --eval-every 6 --metrics "$work/$name.jsonl" \
    --summary "$work/$name.json" > "$work/$name.log" 2>&1 || { cat "$work/$name.log"; fail "tango-train $precision"; }
  python3 "$src/bench/bench_collect.py" tango "$name" synth1m "$work/$name.json" "$work/$name.log" \
    "$work/$name.jsonl" 1 "$work/$name.cpu.json" > "$work/runs/$name.json"
done

printf '# Benchmarks\n\nHand-written intro.\n\n## A hand-written section\nkept\n' > "$work/doc.md"
for round in 1 2; do
  python3 "$src/bench/bench_report.py" --runs "$work/runs" --doc "$work/doc.md" --results "$work/results.json" \
    --pyg-reference "$work/pyg.json" --command "test round $round" --machine test --load 0 > "$work/report.log" ||
    fail "bench_report.py round $round"
done
python3 - "$work/doc.md" "$work/results.json" "$work/pyg.json" <<'PY'
import json, os, sys
doc, results = open(sys.argv[1]).read(), json.load(open(sys.argv[2]))
assert doc.startswith("# Benchmarks\n\nHand-written intro.") and "## A hand-written section\nkept" in doc, doc[:300]
assert doc.count("generated section, do not edit") == 1 and doc.count("end of generated section") == 1
assert "test round 2" in doc and "test round 1" not in doc
assert "| synth1m | PyG (csr) | 1 | fp32 | not run |" in doc
speed = {(r["system"], r["ranks"], r["precision"]): r for r in results["speed"] if r["run"]}
assert set(speed) == {("Tango", 1, "fp32"), ("Tango", 1, "int8")}, speed.keys()
for r in speed.values():
    assert r["epoch_ms"] > 0 and r["cpu_ms"] > 0 and r["timed_epochs"] == 3 and 0 <= r["test_acc"] <= 1 and r["max_rss_bytes"] > 1e6
assert "int8 faster than fp32 (1 rank)" in doc
assert not os.path.exists(sys.argv[3]), "no PyG runs: no reference file"
print("report ok:", {k: round(v["epoch_ms"], 2) for k, v in speed.items()})
PY

# An accuracy-only work dir (compare_pyg.sh --phases accuracy): two PyG seeds, in pyg_train.py's output
# form (written here: no PyTorch in the tests), collected like compare_pyg.sh does. The report must keep
# the speed table of round 2 (its provenance named), write the PyG reference with the seeds' mean and std,
# and, run again, keep naming round 2 (not round 3) as the provenance of the kept table.
mkdir -p "$work/acc-runs"
cp "$work/results.json" "$work/results-round2.json"
for seed in 1 2; do
  name="acc-pyg-facebook-gcn-s$seed"
  python3 - "$work/$name.result.json" "$seed" <<'PY'
import json, sys
out, seed = sys.argv[1], int(sys.argv[2])
json.dump({"config": {"model": "gcn", "seed": seed, "hidden": 64}, "epochs": 200, "timed_epochs": 198, "threads": 1,
           "epoch_ms_median": 1.0, "epoch_ms": [1.0], "cpu_ms_median": 1.0, "cpu_ms": [1.0],
           "test_acc": 0.89 + 0.01 * seed, "best_valid_acc": 0.9, "best_epoch": 100,
           "torch": "t", "torch_geometric": "g"}, open(out, "w"))
PY
  echo "Maximum resident set size (kbytes): 1000" > "$work/$name.time.log"
  python3 "$src/bench/bench_collect.py" pyg "$name" facebook "$work/$name.result.json" "$work/$name.time.log" \
    > "$work/acc-runs/$name.json"
done
for round in 3 4; do
  python3 "$src/bench/bench_report.py" --runs "$work/acc-runs" --doc "$work/doc.md" --results "$work/results.json" \
    --pyg-reference "$work/pyg.json" --command "test round $round" --machine test --load 0 > "$work/report.log" ||
    fail "bench_report.py round $round"
done
python3 - "$work/doc.md" "$work/results.json" "$work/results-round2.json" "$work/pyg.json" <<'PY'
import json, sys
doc, results, before, ref = (open(sys.argv[1]).read(), json.load(open(sys.argv[2])), json.load(open(sys.argv[3])),
                             json.load(open(sys.argv[4])))
assert results["speed"] == before["speed"], "the speed table was not carried over unchanged"
assert results["provenance"]["speed"]["command"] == "test round 2", results["provenance"]
assert results["provenance"]["pyg_accuracy"]["command"] == "test round 4", results["provenance"]
assert "Measured with `test round 2` on test" in doc and "Measured with `test round 4` on test" in doc
assert "| synth1m | Tango | 1 | fp32 | " in doc and "| synth1m | Tango | 1 | fp32 | not run" not in doc
(entry,) = ref["entries"]
assert entry["seeds"] == [1, 2] and abs(entry["mean"] - 90.5) < 1e-9 and abs(entry["std"] - 0.7071) < 1e-3, entry
assert "| facebook | GCN | 90.50 ± 0.71 (n=2) |" in doc
print("carry-over ok")
PY
# --render-only rewrites the section from the results JSON alone: the same text the last report wrote.
cp "$work/doc.md" "$work/rendered.md"
python3 "$src/bench/bench_report.py" --render-only --results "$work/results.json" --doc "$work/rendered.md" \
  > "$work/report.log" || fail "bench_report.py --render-only"
cmp -s "$work/doc.md" "$work/rendered.md" || fail "--render-only wrote another section: $(diff "$work/doc.md" "$work/rendered.md")"
echo "test_bench_scripts: ok"
