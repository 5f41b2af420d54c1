// SDDMM and its backward on the CPU, on the power-law graphs of bench/sparse_bench_graphs.h:
//   u_add_v (GAT logits, H = 1..4):   FP32 vs INT8 with and without quantizing u and v
//   u_dot_v (H x D = 4 x 64, 1 x 16): FP32 vs INT8 with and without quantizing u and v
//   u_add_v backward, width W (heads, or Tango's D = 4..32): segment sum (baseline) vs incidence SpMM, FP32
//   and INT8 (INT8 incl. quantizing dz).
// Counters as in spmm_bench: vs_fp32 (wall) and vs_fp32_cpu (process CPU time) against the baseline run
// just before; GBps counts the edge-sized traffic (E x H outputs or inputs).
//
//   build/bench/sddmm_bench --benchmark_filter=fb22k
#include <benchmark/benchmark.h>

#include <string>

#include "bench/bench_timing.h"
#include "bench/sparse_bench_graphs.h"
#include "kernels/quantize.h"
#include "kernels/sddmm.h"

namespace tango::bench {
namespace {

using kernels::QTensor;

Tensor random_matrix(int64_t rows, int64_t cols, uint64_t seed) {
  Tensor x = Tensor::empty(DType::kF32, Shape::mat(rows, cols));
  float* p = x.data<float>();
  std::mt19937 rng(static_cast<uint32_t>(seed));
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  for (int64_t i = 0; i < rows * cols; ++i) p[i] = dist(rng);
  return x;
}

QTensor quantized(const Tensor& x) {
  QTensor q = kernels::make_qtensor(x.rows(), x.cols(), {}, Device::cpu());
  kernels::quantize(x, q);
  return q;
}

std::string shape_key(const char* op, int which, int64_t a, int64_t b) {
  return std::string(op) + "/" + bench_graph_name(which) + "/" + std::to_string(a) + "x" + std::to_string(b);
}

// op 0: u_add_v with H = range(1) (D = 1); op 1: u_dot_v with H x D = range(1) x range(2).
enum class Precision { kFp32, kInt8WithQuantize, kInt8Only };

void BM_Sddmm(benchmark::State& state, Precision precision) {
  const bool int8 = precision != Precision::kFp32;
  const int which = static_cast<int>(state.range(0));
  const int64_t heads = state.range(1), dim = state.range(2);
  const bool dot = dim > 1;
  const auto& g = bench_graph(which).graph;
  const Tensor u = random_matrix(g.num_cols(), heads * dim, 1),
               v = random_matrix(g.num_rows(), heads * dim, 2);
  QTensor uq = quantized(u), vq = quantized(v);
  Tensor out = Tensor::empty(DType::kF32, Shape::mat(g.num_edges(), heads));
  const double bytes = static_cast<double>(g.num_edges()) * static_cast<double>(heads) * 4.0;
  state.SetLabel(std::string(bench_graph_name(which)) + (dot ? " u_dot_v" : " u_add_v"));
  timed_loop(state, shape_key(dot ? "dot" : "add", which, heads, dim), !int8, bytes, [&] {
    if (int8) {
      if (precision == Precision::kInt8WithQuantize) {
        kernels::quantize(u, uq);
        kernels::quantize(v, vq);
      }
      dot ? kernels::qsddmm_u_dot_v(g.csr(), uq, vq, out) : kernels::qsddmm_u_add_v(g.csr(), uq, vq, out);
    } else {
      dot ? kernels::sddmm_u_dot_v(g.csr(), u, v, out) : kernels::sddmm_u_add_v(g.csr(), u, v, out);
    }
    benchmark::DoNotOptimize(out.data<float>());
  });
}

// u_add_v backward with dz [E, W]: segment sum is the baseline of its precision; incidence SpMM contends.
enum class Backward { kSegmentFp32, kIncidenceFp32, kSegmentInt8, kIncidenceInt8 };

void BM_UAddVBackward(benchmark::State& state, Backward variant) {
  const int which = static_cast<int>(state.range(0));
  const int64_t width = state.range(1);
  const auto& g = bench_graph(which).graph;
  const Tensor dz = random_matrix(g.num_edges(), width, 3);
  QTensor dzq = quantized(dz);
  Tensor du = Tensor::empty(DType::kF32, Shape::mat(g.num_cols(), width));
  Tensor dv = Tensor::empty(DType::kF32, Shape::mat(g.num_rows(), width));
  const bool int8 = variant == Backward::kSegmentInt8 || variant == Backward::kIncidenceInt8;
  const bool incidence = variant == Backward::kIncidenceFp32 || variant == Backward::kIncidenceInt8;
  const auto algo =
      incidence ? kernels::EdgeReduceAlgo::kIncidenceSpmm : kernels::EdgeReduceAlgo::kSegmentSum;
  const double bytes = static_cast<double>(g.num_edges()) * static_cast<double>(width) * (int8 ? 2.0 : 8.0);
  // Each precision's segment sum is the baseline of its incidence contender.
  const std::string key = shape_key(int8 ? "bwd_int8" : "bwd_fp32", which, width, 1);
  state.SetLabel(std::string(bench_graph_name(which)) + (int8 ? " int8 incl. quantize" : " fp32"));
  timed_loop(state, key, !incidence, bytes, [&] {
    if (int8) {
      kernels::quantize(dz, dzq);
      kernels::qsddmm_u_add_v_backward(g, dzq, du, dv, algo);
    } else {
      kernels::sddmm_u_add_v_backward(g, dz, du, dv, algo);
    }
    benchmark::DoNotOptimize(du.data<float>());
  });
}

void sddmm_shapes(benchmark::internal::Benchmark* b) {
  for (int which : {0, 1}) {
    for (int64_t heads : {1, 2, 4}) b->Args({which, heads, 1});
    b->Args({which, 4, 64});
    b->Args({which, 1, 16});
  }
  b->Unit(benchmark::kMillisecond)->UseRealTime();
}

void backward_shapes(benchmark::internal::Benchmark* b) {
  for (int which : {0, 1})
    for (int64_t width : {1, 4, 8, 16, 32}) b->Args({which, width});
  b->Unit(benchmark::kMillisecond)->UseRealTime();
}

BENCHMARK_CAPTURE(BM_Sddmm, fp32, Precision::kFp32)->Apply(sddmm_shapes);
BENCHMARK_CAPTURE(BM_Sddmm, int8_with_quantize, Precision::kInt8WithQuantize)->Apply(sddmm_shapes);
BENCHMARK_CAPTURE(BM_Sddmm, int8_only, Precision::kInt8Only)->Apply(sddmm_shapes);
BENCHMARK_CAPTURE(BM_UAddVBackward, segment_sum_fp32, Backward::kSegmentFp32)->Apply(backward_shapes);
BENCHMARK_CAPTURE(BM_UAddVBackward, incidence_spmm_fp32, Backward::kIncidenceFp32)->Apply(backward_shapes);
BENCHMARK_CAPTURE(BM_UAddVBackward, segment_sum_int8, Backward::kSegmentInt8)->Apply(backward_shapes);
BENCHMARK_CAPTURE(BM_UAddVBackward, incidence_spmm_int8, Backward::kIncidenceInt8)->Apply(backward_shapes);

}  // namespace
}  // namespace tango::bench

BENCHMARK_MAIN();
