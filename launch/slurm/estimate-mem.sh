#!/usr/bin/env bash
# Estimates the memory (MiB) that `tango-partition DATASET --parts K` needs, for `sbatch --mem`.
#
#   launch/slurm/estimate-mem.sh [--explain] DATASET
#
# DATASET is a Tango dataset spec: an OGB raw directory, a .h5 file, or synthetic:k=v,...
# Counts come from the dataset without loading it: the synthetic spec's keys (defaults of
# io/synthetic.h), an OGB directory's raw/num-node-list.csv.gz, raw/num-edge-list.csv.gz and the
# first line of raw/node-feat.csv.gz, or for an .h5 file its size (h5 holds features + CSR).
#
# The rule (n nodes, m undirected edges, f features; bytes):
#   features  = 2 * n * f * 4        the dataset's float32 features + the parts' owned and halo rows
#   graph     = 12 * (2*m + n) * 8   edge list, symmetric CSR, METIS copy and workspace, part CSRs
#   base      = 256 MiB              program, HDF5 and METIS buffers
#   request   = 1.25 * (features + graph) + base, rounded up to 256 MiB, at least 1024 MiB
# For an .h5 file of S bytes: request = 1.25 * 3 * S + base (features dominate and are held ~twice,
# the CSR's indices once more inside METIS). Override the result with TANGO_PARTITION_MEM_MB.
# Prints one integer (MiB); with --explain also a breakdown on stderr.
set -euo pipefail

explain=0
if [[ "${1:-}" == "--explain" ]]; then
  explain=1
  shift
fi
[[ $# -eq 1 ]] || {
  echo "usage: $0 [--explain] DATASET" >&2
  exit 2
}
spec="$1"

if [[ -n "${TANGO_PARTITION_MEM_MB:-}" ]]; then
  [[ "$TANGO_PARTITION_MEM_MB" =~ ^[1-9][0-9]*$ ]] || {
    echo "estimate-mem: TANGO_PARTITION_MEM_MB='$TANGO_PARTITION_MEM_MB' is not a positive integer" >&2
    exit 2
  }
  echo "$TANGO_PARTITION_MEM_MB"
  exit 0
fi

# (zcat may die of SIGPIPE once head has its line: not an error here.)
first_number_in_gz() { { zcat "$1" 2>/dev/null || true; } | head -1 | tr -dc '0-9'; }

nodes="" edges="" features="" h5_bytes=""
case "$spec" in
  synthetic:*)
    # Defaults of io/synthetic.h's SyntheticSpec.
    nodes=10000 avg_degree=20 features=64
    IFS=',' read -r -a pairs <<<"${spec#synthetic:}"
    for pair in "${pairs[@]}"; do
      key="${pair%%=*}" value="${pair#*=}"
      case "$key" in
        nodes) nodes="$value" ;;
        avg_degree) avg_degree="$value" ;;
        features) features="$value" ;;
      esac
    done
    # avg_degree counts directed edges per node: undirected edges = n * d / 2.
    edges=$(awk -v n="$nodes" -v d="$avg_degree" 'BEGIN { printf "%.0f", n * d / 2 }')
    ;;
  *.h5 | *.hdf5)
    [[ -r "$spec" ]] || {
      echo "estimate-mem: dataset file '$spec' is not readable" >&2
      exit 2
    }
    h5_bytes=$(stat -c %s "$spec")
    ;;
  *)
    [[ -d "$spec/raw" ]] || {
      echo "estimate-mem: '$spec' is neither synthetic:..., an .h5 file nor an OGB directory with raw/" >&2
      exit 2
    }
    nodes=$(first_number_in_gz "$spec/raw/num-node-list.csv.gz")
    edges=$(first_number_in_gz "$spec/raw/num-edge-list.csv.gz")
    features=$({ zcat "$spec/raw/node-feat.csv.gz" 2>/dev/null || true; } | head -1 | awk -F',' '{ print NF }')
    [[ -n "$nodes" && -n "$edges" && -n "$features" ]] || {
      echo "estimate-mem: cannot read node/edge/feature counts under '$spec/raw'" >&2
      exit 2
    }
    ;;
esac

awk -v n="$nodes" -v m="$edges" -v f="$features" -v s="$h5_bytes" -v explain="$explain" 'BEGIN {
  mib = 1048576; base = 256 * mib
  if (s != "") {
    data = 3 * s
    if (explain) printf "estimate-mem: h5 file %.1f MiB x 3\n", s / mib > "/dev/stderr"
  } else {
    feat = 2 * n * f * 4
    graph = 12 * (2 * m + n) * 8
    data = feat + graph
    if (explain) printf "estimate-mem: n=%d m=%d f=%d: features %.1f MiB, graph %.1f MiB\n", n, m, f, feat / mib, graph / mib > "/dev/stderr"
  }
  req = (1.25 * data + base) / mib
  req = int((req + 255) / 256) * 256
  if (req < 1024) req = 1024
  printf "%d\n", req
}'
