#!/usr/bin/env bash
# One command for a lent GPU machine: configure and build with CUDA in build-gpu, run every CUDA test
# (the *Cuda* gtests, which compare each CUDA kernel with the CPU one), the trainer on CUDA against the
# trainer on the CPU (per-epoch losses), a 1-rank `tango-train --device cuda` smoke run with its epoch
# times (fp32, int8), and the kernel benchmarks, and print a summary table. Run from anywhere:
#   tests/gpu/run.sh                  # build, CUDA tests, all kernel benchmarks
#   tests/gpu/run.sh --tests-only     # skip the benchmarks
#   BENCH_FILTER='gpu_' tests/gpu/run.sh   # only the GPU benchmark cases
# The device image has CUDA, CMake and ninja but not Tango's Debian libraries: build a tarball of
# them here with scripts/pack-gpu-deps.sh, carry it (the device tool's `carry`), and point
# TANGO_GPU_DEPS at it; it is unpacked under /tmp/tango-deps and put on the search paths.
# Logs and the table go to ${OUT:-build-gpu/out} (the device tool copies $OUT back).
set -euo pipefail
cd "$(dirname "$0")/../.."

tests_only=0
[[ "${1:-}" == "--tests-only" ]] && tests_only=1
out_dir="${OUT:-build-gpu/out}"
mkdir -p "$out_dir"

if [[ -n "${TANGO_GPU_DEPS:-}" ]]; then
  root=/tmp/tango-deps
  mkdir -p "$root"
  tar -xf "$TANGO_GPU_DEPS" -C "$root"
  lib="$root/usr/lib/x86_64-linux-gnu"
  export CMAKE_PREFIX_PATH="$root/usr${CMAKE_PREFIX_PATH:+:$CMAKE_PREFIX_PATH}"
  export CPATH="$root/usr/include:$root/usr/include/hdf5/serial${CPATH:+:$CPATH}"
  export LIBRARY_PATH="$lib:$lib/openblas-pthread${LIBRARY_PATH:+:$LIBRARY_PATH}"
  export LD_LIBRARY_PATH="$lib:$lib/openblas-pthread:$lib/hdf5/serial${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  export OPAL_PREFIX="$root/usr/lib/x86_64-linux-gnu/openmpi"
  extra_cmake=(-DMPI_CXX_SKIP_MPICXX=ON -DMPI_CXX_HEADER_DIR="$lib/openmpi/include"
               -DMPI_CXX_LIB_NAMES="mpi" -DMPI_mpi_LIBRARY="$lib/libmpi.so")
else
  extra_cmake=()
fi

arch="${TANGO_CUDA_ARCH:-$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader | head -n1 | tr -d '.')}"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee "$out_dir/gpu.txt"

cmake -S . -B build-gpu -G Ninja -DCMAKE_BUILD_TYPE=Release -DTANGO_ENABLE_CUDA=ON \
  -DCMAKE_CUDA_ARCHITECTURES="$arch" "${extra_cmake[@]}" 2>&1 | tee "$out_dir/configure.log" | tail -n 3
grep -q "CUDA backend ON" "$out_dir/configure.log" || { echo "run.sh: CUDA backend not enabled" >&2; exit 1; }
cmake --build build-gpu -j"$(nproc)" --target core_tests kernels_tests comm_tests comm_collectives gemm_bench quantize_bench spmm_bench \
  trainer_device_equivalence tango-train 2>&1 |
  tee "$out_dir/build.log" | tail -n 3

# CUDA tests: every *Cuda* suite; GTEST_SKIP would mean no GPU was seen, which is a failure here.
set +e
./build-gpu/tests/kernels_tests --gtest_filter='*Cuda*' --gtest_brief=1 2>&1 | tee "$out_dir/cuda_tests.log"
test_rc=${PIPESTATUS[0]}
# core: the caching allocator's block reuse against a queued copy, and Tensor's host/device round trip.
./build-gpu/tests/core_tests --gtest_filter='*Cuda*:Device.*' --gtest_brief=1 2>&1 | tee -a "$out_dir/cuda_tests.log"
[[ ${PIPESTATUS[0]} -eq 0 ]] || test_rc=1
# comm: the fused message-codec kernels against the CPU, then NCCL collectives on one rank.
./build-gpu/tests/comm_tests --gtest_filter='*Cuda*' --gtest_brief=1 2>&1 | tee -a "$out_dir/cuda_tests.log"
[[ ${PIPESTATUS[0]} -eq 0 ]] || test_rc=1
OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 mpiexec -n 1 ./build-gpu/tests/comm/comm_collectives \
  --gtest_filter='*Device*:*Nccl*' --gtest_brief=1 2>&1 | tee "$out_dir/comm_nccl.log"
[[ ${PIPESTATUS[0]} -eq 0 ]] || test_rc=1
# The trainer on CUDA vs on the CPU: GCN, SAGE, GAT x fp32, int8, 20 epochs each (one rank).
OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 mpiexec -n 1 ./build-gpu/tests/trainer/trainer_device_equivalence \
  --gtest_filter='*TrainOnCuda*' --gtest_brief=1 2>&1 | tee "$out_dir/train_cuda.log"
[[ ${PIPESTATUS[0]} -eq 0 ]] || test_rc=1
cat "$out_dir/train_cuda.log" >> "$out_dir/cuda_tests.log"
# Smoke run of the binary on the GPU with its epoch time (synthetic graph, 1 rank, 20 epochs).
smoke_graph="synthetic:nodes=200000,avg_degree=20,classes=8,features=128,homophily=0.8,seed=1"
for precision in fp32 int8; do
  OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 mpiexec -n 1 ./build-gpu/bin/tango-train \
    --dataset "$smoke_graph" --device cuda --precision "$precision" --epochs 20 --hidden 64 --quiet \
    --summary "$out_dir/train_smoke_$precision.json" 2>&1 | tee "$out_dir/train_smoke_$precision.log"
  [[ ${PIPESTATUS[0]} -eq 0 ]] || test_rc=1
done
set -e
skipped=$(grep -c '^\[  SKIPPED \] ' "$out_dir/cuda_tests.log" || true)
summary_field() {  # summary_field FILE KEY: a top-level field of a summary JSON (dump(2): 2-space keys)
  sed -n "s/^  \"$2\": *\"\{0,1\}\([^\",]*\).*/\1/p" "$1" 2>/dev/null | head -n1
}

if [[ $tests_only -eq 0 ]]; then
  filter="${BENCH_FILTER:-gpu_}"
  for bench in gemm_bench quantize_bench spmm_bench; do
    ./build-gpu/bench/$bench --benchmark_filter="$filter" --benchmark_color=false 2>&1 | tee "$out_dir/$bench.log"
  done
fi

{
  echo "== Tango GPU run: $(cat "$out_dir/gpu.txt"), sm_$arch =="
  printf '%-28s %s\n' "CUDA tests" "$(grep -E '^\[  (PASSED|FAILED) ' "$out_dir/cuda_tests.log" | tr '\n' ' ')"
  printf '%-28s %s\n' "CUDA tests skipped" "$skipped"
  echo "-- tango-train --device cuda, 1 rank, $smoke_graph, 20 epochs --"
  printf '%-10s %-10s %14s %12s\n' precision device epoch_ms_mean final_loss
  for precision in fp32 int8; do
    f="$out_dir/train_smoke_$precision.json"
    printf '%-10s %-10s %14s %12s\n' "$precision" "$(summary_field "$f" device)" \
      "$(summary_field "$f" epoch_ms_mean)" "$(summary_field "$f" final_loss)"
  done
  if [[ $tests_only -eq 0 ]]; then
    for bench in gemm_bench quantize_bench spmm_bench; do
      echo "-- $bench (speedup vs the case's baseline in the same run) --"
      sed -n '/^case  /,$p' "$out_dir/$bench.log"
    done
  fi
} | tee "$out_dir/summary.txt"

[[ $test_rc -eq 0 && $skipped -eq 0 ]]
