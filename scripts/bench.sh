#!/usr/bin/env bash
# `make bench`: runs every benchmark program once and prints its ratios against the baseline measured
# in the same run. Benchmarks never gate CI; the figures belong in docs/BENCHMARKS.md.
#   scripts/bench.sh BUILD_DIR              all of them
#   BENCH_FILTER=cpu_copy_u scripts/bench.sh BUILD_DIR   passed to every Google Benchmark program
set -uo pipefail
build=${1:-build}
filter=${BENCH_FILTER:-.}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 TANGO_LOG_LEVEL=${TANGO_LOG_LEVEL:-warn}
# Spinning OpenMP threads distort timings on a shared machine; passive waiting does not.
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}
status=0
for bench in "$build"/bench/*_bench; do
  name=$(basename "$bench")
  echo "=== $name"
  if [[ $name == halo_exchange_bench ]]; then
    OMP_NUM_THREADS=1 mpiexec -n 4 --oversubscribe --bind-to none "$bench" || status=1
  else
    "$bench" --benchmark_filter="$filter" --benchmark_color=false || status=1
  fi
done
echo "=== dataset reading vs pandas"
python3 bench/read_dataset.py --build "$build" || status=1
echo "=== tango-partition scaling (250k nodes; pass sizes to bench/partition_bench.sh for more)"
bench/partition_bench.sh "$build" 250000 || status=1
exit $status
