#!/usr/bin/env bash
# tango-train across emulated hosts: 2 hosts x 2 ranks (TCP between the hosts, shared memory within
# one) must give the per-epoch losses of the same 4 ranks on one host, bit for bit, on cora and on a
# synthetic graph, in fp32 and with INT8 local math + 4/8-bit halos + overlap: the transport must
# not change the math. The summary must count 2 hosts.
#   tests/cluster/test_multihost_train.sh BUILD_DIR
set -uo pipefail
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
build_dir="$(cd "${1:?usage: $0 BUILD_DIR}" && pwd)"
source "$(dirname "$0")/cluster_test_lib.sh"
train="$build_dir/bin/tango-train"
partition="$build_dir/bin/tango-partition"
data_dir="${TANGO_DATA_DIR:-$repo_root/../shared/datasets}"
[[ -x "$train" && -x "$partition" ]] || skip_test "tango-train / tango-partition not built in $build_dir"

make_work_dir
start_test_cluster --nodes 2 --rate 1gbit
run="$repo_root/launch/tango-run"

# losses FILE: the per-epoch losses of a metrics file, one per line, as written (full precision).
losses() { python3 -c 'import json,sys; [print(repr(json.loads(l)["loss"])) for l in open(sys.argv[1]) if l.strip()]' "$1"; }
hosts_in() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["hosts"])' "$1"; }

datasets=("synthetic:nodes=6000,avg_degree=10,classes=5,features=32,homophily=0.7,seed=3")
if [[ -d "$data_dir/cora/raw" ]]; then datasets+=("$data_dir/cora"); else echo "note: no cora under $data_dir, synthetic graph only"; fi

i=0
for dataset in "${datasets[@]}"; do
  i=$((i + 1))
  label=synthetic
  [[ "$dataset" == synthetic:* ]] || label="$(basename "$dataset")"
  parts="$work_dir/parts$i"
  "$partition" "$dataset" --parts 4 --out "$parts" >"$work_dir/partition$i.log" 2>&1 ||
    { cat "$work_dir/partition$i.log"; echo "FAIL - tango-partition $dataset"; exit 1; }
  for mode in fp32 tango; do
    args=(--parts "$parts" --model gcn --layers 2 --hidden 32 --epochs 4 --eval-every 2 --seed 7)
    [[ "$mode" == tango ]] && args+=(--precision int8 --halo-bits fwd=4,bwd=8 --overlap)
    # One host: plain mpirun on this machine (the cluster's env is not used).
    (unset TANGO_MPIRUN TANGO_MPIRUN_ARGS
      "$run" -np 4 -- "$train" "${args[@]}" --metrics "$work_dir/one$i$mode.jsonl" \
        --summary "$work_dir/one$i$mode.json") >"$work_dir/one$i$mode.log" 2>&1
    check "$label $mode: 4 ranks on one host train" test $? -eq 0 || tail -20 "$work_dir/one$i$mode.log"
    "$run" -np 4 --hostfile "$cluster_dir/hostfile" -- "$train" "${args[@]}" \
      --metrics "$work_dir/two$i$mode.jsonl" --summary "$work_dir/two$i$mode.json" >"$work_dir/two$i$mode.log" 2>&1
    check "$label $mode: 2 hosts x 2 ranks train" test $? -eq 0 || tail -20 "$work_dir/two$i$mode.log"
    check "$label $mode: the summaries count 1 host and 2 hosts" \
      test "$(hosts_in "$work_dir/one$i$mode.json" 2>/dev/null) $(hosts_in "$work_dir/two$i$mode.json" 2>/dev/null)" = "1 2"
    check "$label $mode: 4 epochs of losses" test "$(losses "$work_dir/one$i$mode.jsonl" 2>/dev/null | wc -l)" -eq 4
    check "$label $mode: per-epoch losses bit-identical across the transports" \
      diff <(losses "$work_dir/one$i$mode.jsonl") <(losses "$work_dir/two$i$mode.jsonl")
  done
done
finish_checks
