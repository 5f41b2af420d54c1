// SpMM (copy_u, sum) on the CPU: FP32 against QSpMM, the latter with and without the quantization of its
// input (amax + quantize, the dense helper's kernels), on power-law graphs the size of facebook (22k nodes)
// and 1M nodes / 20M directed edges, hidden 128 and 256.
//
// Reported per run: time, "gathered" bytes per second (nnz * hidden * bytes per feature: the gathers
// dominate; out and indices add ~1/deg of that), and vs_fp32 = T(FP32 SpMM) / T(this), with the FP32 time
// measured in the same process just before (benchmarks run in registration order). vs_fp32 uses wall time;
// vs_fp32_cpu uses the process's CPU time, which stays meaningful on a machine shared with other jobs
// (with OMP_NUM_THREADS=1 it is the kernel's own time).
// Also u_mul_e (GAT aggregation, H heads x D) FP32 vs INT8 on the same graphs. With a GPU, the same copy_u
// comparison runs on cuda:0 as well (BM_CopyUCuda: cuSPARSE's FP32 SpMM as the baseline, then our FP32 and
// INT8 kernels).
//
//   build/bench/spmm_bench --benchmark_filter=pl1M
#include <benchmark/benchmark.h>

#include <memory>
#include <string>

#include "bench/bench_timing.h"
#include "bench/sparse_bench_graphs.h"
#include "core/device.h"
#include "kernels/cusparse_spmm.h"
#include "kernels/quantize.h"
#include "kernels/spmm.h"

namespace tango::bench {
namespace {

using kernels::QTensor;

Tensor random_features(int64_t rows, int64_t cols, uint64_t seed) {
  Tensor x = Tensor::empty(DType::kF32, Shape::mat(rows, cols));
  float* p = x.data<float>();
#pragma omp parallel
  {
    std::mt19937 rng(static_cast<uint32_t>(seed * 7919 + omp_get_thread_num()));
    std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
#pragma omp for
    for (int64_t i = 0; i < rows * cols; ++i) p[i] = dist(rng);
  }
  return x;
}

enum class Variant { kFp32, kInt8WithQuantize, kInt8Only };
enum class GpuVariant { kCusparseFp32, kFp32, kInt8WithQuantize, kInt8Only };

void BM_CopyU(benchmark::State& state, Variant variant) {
  const int which = static_cast<int>(state.range(0));
  const int64_t hidden = state.range(1);
  const BenchGraph& bg = bench_graph(which);
  const auto& g = bg.graph;
  const Tensor x = random_features(g.num_cols(), hidden, 3);
  Tensor out = Tensor::empty(DType::kF32, Shape::mat(g.num_rows(), hidden));
  kernels::QuantizeOptions options;
  QTensor xq = kernels::make_qtensor(g.num_cols(), hidden, options, Device::cpu());
  kernels::quantize(x, xq, options);
  const std::string key = std::string("copy_u/") + bench_graph_name(which) + "/" + std::to_string(hidden);
  const double bytes_per_feature = variant == Variant::kFp32 ? 4.0 : 1.0;
  const double gathered =
      static_cast<double>(g.num_edges()) * static_cast<double>(hidden) * bytes_per_feature;
  state.SetLabel(std::string(bench_graph_name(which)) + " E=" + std::to_string(g.num_edges()));
  timed_loop(state, key, variant == Variant::kFp32, gathered, [&] {
    switch (variant) {
      case Variant::kFp32: kernels::spmm_copy_u(g.csr(), x, out); break;
      case Variant::kInt8WithQuantize:
        kernels::quantize(x, xq, options);
        kernels::qspmm_copy_u(g.csr(), xq, out);
        break;
      case Variant::kInt8Only: kernels::qspmm_copy_u(g.csr(), xq, out); break;
    }
    benchmark::DoNotOptimize(out.data<float>());
  });
}

// GAT aggregation: H heads of D features, edge weights per head (attention after softmax).
void BM_UMulE(benchmark::State& state, Variant variant) {
  const int which = static_cast<int>(state.range(0));
  const int64_t heads = state.range(1), dim = state.range(2);
  const auto& g = bench_graph(which).graph;
  const Tensor x = random_features(g.num_cols(), heads * dim, 4);
  Tensor e = random_features(g.num_edges(), heads, 5);
  Tensor out = Tensor::empty(DType::kF32, Shape::mat(g.num_rows(), heads * dim));
  kernels::QuantizeOptions options;
  QTensor xq = kernels::make_qtensor(g.num_cols(), heads * dim, options, Device::cpu());
  QTensor eq = kernels::make_qtensor(g.num_edges(), heads, options, Device::cpu());
  kernels::quantize(x, xq, options);
  kernels::quantize(e, eq, options);
  const std::string key = "u_mul_e/" + std::string(bench_graph_name(which)) + "/" + std::to_string(heads) +
                          "x" + std::to_string(dim);
  const double gathered = static_cast<double>(g.num_edges()) * static_cast<double>(heads * dim) *
                          (variant == Variant::kFp32 ? 4.0 : 1.0);
  timed_loop(state, key, variant == Variant::kFp32, gathered, [&] {
    switch (variant) {
      case Variant::kFp32: kernels::spmm_u_mul_e(g.csr(), x, e, out); break;
      case Variant::kInt8WithQuantize:
        kernels::quantize(x, xq, options);
        kernels::quantize(e, eq, options);
        kernels::qspmm_u_mul_e(g.csr(), xq, eq, out);
        break;
      case Variant::kInt8Only: kernels::qspmm_u_mul_e(g.csr(), xq, eq, out); break;
    }
    benchmark::DoNotOptimize(out.data<float>());
  });
}

// The same on cuda:0 (registered from main() only when a GPU is present).
void BM_CopyUCuda(benchmark::State& state, GpuVariant variant) {
  const int which = static_cast<int>(state.range(0));
  const int64_t hidden = state.range(1);
  const Device gpu = Device::cuda(0);
  static std::map<int, kernels::SparseGraph> on_gpu;
  if (!on_gpu.count(which)) on_gpu[which] = bench_graph(which).graph.to(gpu);
  const kernels::SparseGraph& g = on_gpu[which];
  const Tensor x = random_features(g.num_cols(), hidden, 3).to(gpu);
  Tensor out = Tensor::empty(DType::kF32, Shape::mat(g.num_rows(), hidden), gpu);
  kernels::QuantizeOptions options;
  QTensor xq = kernels::make_qtensor(g.num_cols(), hidden, options, gpu);
  kernels::quantize(x, xq, options);
  const std::string key =
      std::string("cuda_copy_u/") + bench_graph_name(which) + "/" + std::to_string(hidden);
  const double gathered = static_cast<double>(g.num_edges()) * static_cast<double>(hidden) *
                          (variant == GpuVariant::kFp32 || variant == GpuVariant::kCusparseFp32 ? 4.0 : 1.0);
  std::unique_ptr<kernels::CusparseSpmm> vendor;
  if (variant == GpuVariant::kCusparseFp32) vendor = std::make_unique<kernels::CusparseSpmm>(g.csr());
  // The baseline on the GPU is cuSPARSE's FP32 SpMM (the target: QSpMM >= 1.3x of it).
  timed_loop(
      state, key, variant == GpuVariant::kCusparseFp32, gathered,
      [&] {
        switch (variant) {
          case GpuVariant::kCusparseFp32: vendor->run(x, out); break;
          case GpuVariant::kFp32: kernels::spmm_copy_u(g.csr(), x, out); break;
          case GpuVariant::kInt8WithQuantize:
            kernels::quantize(x, xq, options);
            kernels::qspmm_copy_u(g.csr(), xq, out);
            break;
          case GpuVariant::kInt8Only: kernels::qspmm_copy_u(g.csr(), xq, out); break;
        }
      },
      gpu);
}

void copy_u_shapes(benchmark::internal::Benchmark* b) {
  for (int which : {0, 1})
    for (int64_t hidden : {128, 256}) b->Args({which, hidden});
  b->Unit(benchmark::kMillisecond)->UseRealTime();
}

void u_mul_e_shapes(benchmark::internal::Benchmark* b) {
  for (int which : {0, 1})
    for (auto [h, d] : {std::pair<int64_t, int64_t>{2, 128}, {4, 64}}) b->Args({which, h, d});
  b->Unit(benchmark::kMillisecond)->UseRealTime();
}

// Registration order = run order: each FP32 baseline runs before its INT8 contenders.
BENCHMARK_CAPTURE(BM_CopyU, fp32, Variant::kFp32)->Apply(copy_u_shapes);
BENCHMARK_CAPTURE(BM_CopyU, int8_with_quantize, Variant::kInt8WithQuantize)->Apply(copy_u_shapes);
BENCHMARK_CAPTURE(BM_CopyU, int8_only, Variant::kInt8Only)->Apply(copy_u_shapes);
BENCHMARK_CAPTURE(BM_UMulE, fp32, Variant::kFp32)->Apply(u_mul_e_shapes);
BENCHMARK_CAPTURE(BM_UMulE, int8_with_quantize, Variant::kInt8WithQuantize)->Apply(u_mul_e_shapes);
BENCHMARK_CAPTURE(BM_UMulE, int8_only, Variant::kInt8Only)->Apply(u_mul_e_shapes);

void register_cuda_benchmarks() {
  if (cuda_device_count() == 0) return;
  for (auto [name, variant] : {std::pair{"BM_CopyUCuda/cusparse_fp32", GpuVariant::kCusparseFp32},
                               std::pair{"BM_CopyUCuda/fp32", GpuVariant::kFp32},
                               std::pair{"BM_CopyUCuda/int8_with_quantize", GpuVariant::kInt8WithQuantize},
                               std::pair{"BM_CopyUCuda/int8_only", GpuVariant::kInt8Only}}) {
    benchmark::RegisterBenchmark(name, BM_CopyUCuda, variant)->Apply(copy_u_shapes);
  }
}

}  // namespace
}  // namespace tango::bench

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  tango::bench::register_cuda_benchmarks();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
