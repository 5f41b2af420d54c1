// SDDMM and its backward on the CPU, on the power-law graphs of bench/sparse_bench_graphs.h:
//   cpu_add     u_add_v (GAT logits, H = 1, 2, 4; 16):  fp32 vs INT8 with and without quantizing u and v
//   cpu_dot     u_dot_v (H x D = 4 x 64, 1 x 16):      fp32 vs INT8 with and without quantizing u and v
//   cpu_add_bwd u_add_v backward, width W (heads; Tango's incidence test used D = 4..32): segment sum
//               (baseline) vs incidence SpMM, in FP32 and in INT8 (INT8 incl. quantizing dz)
// Cases are "cpu_<op>/<graph>/<shape>/<variant>"; the final table gives wall-time speedups over the case's
// baseline (fp32 / segment_fp32) from the same run, in wall time and in process CPU time (bench_ratios.h).
//
//   build/bench/sddmm_bench --benchmark_filter=fb22k
#include <benchmark/benchmark.h>

#include <functional>
#include <memory>
#include <string>

#include "bench/bench_ratios.h"
#include "bench/sparse_bench_graphs.h"
#include "kernels/quantize.h"
#include "kernels/sddmm.h"

namespace tango::bench {
namespace {

using kernels::QTensor;

std::shared_ptr<QTensor> quantized(const Tensor& x) {
  auto q = std::make_shared<QTensor>(kernels::make_qtensor(x.rows(), x.cols(), {}, Device::cpu()));
  kernels::quantize(x, *q);
  return q;
}

// `setup` builds the inputs (graphs are built on first use) and returns the body to time and the bytes of
// edge-sized traffic one call moves.
using Setup = std::function<std::pair<std::function<void()>, double>()>;
void add(const std::string& case_name, const std::string& variant, Setup setup) {
  const std::string name = case_name + "/" + variant;
  benchmark::RegisterBenchmark(name.c_str(),
                               [=](benchmark::State& state) {
                                 auto [body, bytes] = setup();
                                 state.counters["GBps"] = bytes / timed_loop(state, body) / 1e9;
                               })
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime();
}

enum class Precision { kFp32, kInt8WithQuantize, kInt8Only };

// dim == 1: u_add_v with `heads` heads; dim > 1: u_dot_v with heads x dim.
void register_sddmm(int which, int64_t heads, int64_t dim) {
  const bool dot = dim > 1;
  const std::string c = std::string(dot ? "cpu_dot/" : "cpu_add/") + bench_graph_name(which) + "/" +
                        std::to_string(heads) + "x" + std::to_string(dim);
  for (auto [variant, precision] :
       {std::pair{"fp32", Precision::kFp32}, std::pair{"int8_with_quantize", Precision::kInt8WithQuantize},
        std::pair{"int8_only", Precision::kInt8Only}}) {
    add(c, variant, [=, precision = precision] {
      const auto& g = bench_graph(which).graph;
      auto u = std::make_shared<Tensor>(random_features(g.num_cols(), heads * dim, 1));
      auto v = std::make_shared<Tensor>(random_features(g.num_rows(), heads * dim, 2));
      auto uq = quantized(*u), vq = quantized(*v);
      auto out = std::make_shared<Tensor>(Tensor::empty(DType::kF32, Shape::mat(g.num_edges(), heads)));
      std::function<void()> body = [=, &g] {
        if (precision == Precision::kFp32) {
          dot ? kernels::sddmm_u_dot_v(g.csr(), *u, *v, *out) : kernels::sddmm_u_add_v(g.csr(), *u, *v, *out);
          return;
        }
        if (precision == Precision::kInt8WithQuantize) {
          kernels::quantize(*u, *uq);
          kernels::quantize(*v, *vq);
        }
        dot ? kernels::qsddmm_u_dot_v(g.csr(), *uq, *vq, *out)
            : kernels::qsddmm_u_add_v(g.csr(), *uq, *vq, *out);
      };
      return std::make_pair(body, static_cast<double>(g.num_edges()) * static_cast<double>(heads) * 4.0);
    });
  }
}

// u_add_v backward with dz [E, width]: segment sum vs incidence SpMM, FP32 and INT8 (incl. quantizing dz).
void register_backward(int which, int64_t width) {
  const std::string c = std::string("cpu_add_bwd/") + bench_graph_name(which) + "/w" + std::to_string(width);
  for (auto [variant, int8, algo] :
       {std::tuple{"segment_fp32", false, kernels::EdgeReduceAlgo::kSegmentSum},
        std::tuple{"incidence_fp32", false, kernels::EdgeReduceAlgo::kIncidenceSpmm},
        std::tuple{"segment_int8", true, kernels::EdgeReduceAlgo::kSegmentSum},
        std::tuple{"incidence_int8", true, kernels::EdgeReduceAlgo::kIncidenceSpmm}}) {
    add(c, variant, [=, int8 = int8, algo = algo] {
      const auto& g = bench_graph(which).graph;
      auto dz = std::make_shared<Tensor>(random_features(g.num_edges(), width, 3));
      auto dzq = quantized(*dz);
      auto du = std::make_shared<Tensor>(Tensor::empty(DType::kF32, Shape::mat(g.num_cols(), width)));
      auto dv = std::make_shared<Tensor>(Tensor::empty(DType::kF32, Shape::mat(g.num_rows(), width)));
      std::function<void()> body = [=, &g] {
        if (int8) {
          kernels::quantize(*dz, *dzq);
          kernels::qsddmm_u_add_v_backward(g, *dzq, *du, *dv, algo);
        } else {
          kernels::sddmm_u_add_v_backward(g, *dz, *du, *dv, algo);
        }
      };
      // dz is read twice (once per direction).
      return std::make_pair(
          body, static_cast<double>(g.num_edges()) * static_cast<double>(width) * (int8 ? 2.0 : 8.0));
    });
  }
}

}  // namespace
}  // namespace tango::bench

int main(int argc, char** argv) {
  using namespace tango::bench;
  for (int which : {0, 1}) {
    for (int64_t heads : {1, 2, 4, 16}) register_sddmm(which, heads, 1);  // 16 x 1 = Tango's add (1, 16)
    register_sddmm(which, 4, 64);
    register_sddmm(which, 1, 16);
    for (int64_t width : {1, 4, 8, 16, 32}) register_backward(which, width);
  }
  benchmark::Initialize(&argc, argv);
  RatioReporter reporter({{"cpu_add_bwd", "segment_fp32"}, {"cpu_", "fp32"}});
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
}
