#!/usr/bin/env bash
# End-to-end benchmark of tango-partition on the synthetic generator (issue 10's target: 1M nodes,
# 20M directed edges, 128 features into 8 parts in < 60 s and < 4 GiB peak RSS on 2 cores).
# For each size it runs METIS and the random baseline in the same session and reports wall time,
# peak RSS (/usr/bin/time -v), every phase from the manifest, and the edge cut of METIS vs random.
#   bench/partition_bench.sh [BUILD_DIR] [NODES...]     (default: build 250000 1000000 2000000)
set -euo pipefail
build=${1:-build}
shift || true
sizes=("$@")
[[ ${#sizes[@]} -eq 0 ]] && sizes=(250000 1000000 2000000)
bin="$build/bin/tango-partition"
[[ -x "$bin" ]] || { echo "partition_bench: $bin not found: build first (cmake --build $build)" >&2; exit 2; }
work=$(mktemp -d "${TMPDIR:-/tmp}/tango-partition-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

printf '%-9s %-7s %8s %9s %9s %10s  %s\n' nodes method wall_s peak_GiB cut_% cut_edges phases_s
for nodes in "${sizes[@]}"; do
  spec="synthetic:nodes=$nodes,avg_degree=20,classes=8,features=128,seed=1"
  for method in metis random; do
    out="$work/$method-$nodes"
    /usr/bin/time -v -o "$work/time.txt" "$bin" "$spec" --parts 8 --out "$out" --method "$method" \
      >"$work/stdout.txt" 2>"$work/stderr.txt" || { cat "$work/stderr.txt" >&2; exit 1; }
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,t,":"); s=0; for(i=1;i<=n;i++) s=s*60+t[i]; print s}' "$work/time.txt")
    rss_kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/time.txt")
    python3 - "$out/manifest.json" "$nodes" "$method" "$wall" "$rss_kb" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
phases = " ".join(f"{p['phase']}={p['seconds']:.2f}" for p in m["phase_seconds"])
print(f"{sys.argv[2]:<9} {sys.argv[3]:<7} {float(sys.argv[4]):8.2f} {int(sys.argv[5])/2**20:9.2f} "
      f"{m['edge_cut']['percent']:9.2f} {m['edge_cut']['edges']:10d}  {phases}  "
      f"(edges {m['dataset']['num_edges']}, replication {m['replication_factor']:.2f}, "
      f"node balance {m['balance_max_over_avg']['nodes']:.3f})")
PY
    rm -rf "$out"
  done
done
