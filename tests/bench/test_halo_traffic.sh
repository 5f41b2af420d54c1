#!/usr/bin/env bash
# tango-halo-traffic counts exactly the halo bytes a real run sends: a synthetic graph cut into 3 METIS
# parts, then for GCN (3 layers: one aggregate-first and one GEMM-first exchange), SAGE and GAT (3
# layers) a real 3-rank tango-train run of 2 epochs with mixed halo codecs, whose epoch-1 metrics (per
# layer and direction: bytes sent and fp32-equivalent bytes, summed over ranks) must equal the count,
# exchange by exchange (bench/bench_collect.py crosscheck, the same code compare_pyg.sh uses).
#   test_halo_traffic.sh BUILD_DIR
set -euo pipefail
build=$1
src="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
work=$(mktemp -d "${TMPDIR:-/tmp}/tango-halo-traffic.XXXXXX")
trap 'rm -rf "$work"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMP_NUM_THREADS=1 TANGO_LOG_LEVEL=warn

"$build/bin/tango-partition" "synthetic:nodes=3000,avg_degree=8,classes=5,features=24,seed=3" --parts 3 \
  --out "$work/parts" > "$work/partition.log" 2>&1 || { cat "$work/partition.log"; exit 1; }

check() { # NAME EXPECTED_EXCHANGES HALO_BITS MODEL_ARGS...
  local name=$1 expected=$2 bits=$3
  shift 3
  mpiexec -n 3 --oversubscribe --bind-to none "$build/bin/tango-train" --parts "$work/parts" "$@" --epochs 2 \
    --eval-every 2 --halo-bits "$bits" --quiet --metrics "$work/$name.jsonl" > "$work/$name.log" 2>&1 ||
    { cat "$work/$name.log"; echo "FAIL: $name: tango-train failed"; exit 1; }
  "$build/bench/tango-halo-traffic" --parts "$work/parts" "$@" --codecs fp32,bf16,int8,int4,int2 > "$work/$name.traffic.json"
  python3 "$src/bench/bench_collect.py" crosscheck "$name" synthetic "$work/$name.jsonl" "$work/$name.traffic.json" \
    > "$work/$name.check.json"
  python3 - "$work/$name.check.json" "$expected" "$name" <<'PY'
import json, sys
check, expected, name = json.load(open(sys.argv[1])), int(sys.argv[2]), sys.argv[3]
rows = check["exchanges"]
for r in rows:
    print(f"{name}: {r}")
assert len(rows) == expected, f"{name}: {len(rows)} exchanges, expected {expected}"
assert all(r.get("real_bytes", 0) > 0 for r in rows), f"{name}: an exchange sent nothing: the test graph is too easy"
assert check["all_match"], f"{name}: counted bytes differ from the real run's"
PY
}

# GCN 3 layers (24 -> 16 -> 16 -> 5): layer 1 exchanges 16 columns, layer 2 exchanges Z (5 columns).
check gcn 4 fwd=8,bwd=4 --model gcn --layers 3 --hidden 16
check sage 2 fwd=2,bwd=16 --model sage --layers 2 --hidden 16
check gat 4 fwd=4,bwd=8 --model gat --layers 3 --hidden 16 --heads 4
# A codec the tool cannot parse is an input error (exit 2) naming it.
set +e
"$build/bench/tango-halo-traffic" --parts "$work/parts" --codecs int3 > /dev/null 2> "$work/bad.err"
rc=$?
set -e
[[ $rc -eq 2 ]] && grep -q int3 "$work/bad.err" || { cat "$work/bad.err"; echo "FAIL: bad codec gave rc $rc"; exit 1; }
echo "test_halo_traffic: ok"
