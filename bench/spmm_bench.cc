// SpMM: FP32 against QSpMM, the latter with and without the quantization of its input (amax + quantize,
// kernels/quantize.h), on power-law graphs the size of facebook (fb22k: 22k nodes, ~171k undirected
// edges) and of a large rank (pl1M: 1M nodes, ~20M directed edges), hidden 128 and 256; plus u_mul_e
// (GAT aggregation, H heads x D) FP32 vs INT8, and copy_u with GCN's D^-1/2 scales (cpu_gcn_copy_u). On a GPU
// the copy_u cases also run against cuSPARSE's FP32 SpMM (the baseline there).
//
// Cases are "<cpu|gpu>_<op>/<graph>/<shape>/<variant>"; the table printed at the end gives each variant's
// speedup over its case's baseline (cpu: fp32, gpu: cusparse_fp32) from the same run, in wall time and in
// process CPU time (bench_ratios.h; the latter stays meaningful on a shared machine). Counter GBps =
// gathered bytes (nnz * width * bytes per feature: the traffic the gathers need) per wall second.
//
//   build/bench/spmm_bench --benchmark_filter=pl1M        (CPU and, with a GPU, GPU cases)
#include <benchmark/benchmark.h>

#include <cmath>
#include <functional>
#include <memory>
#include <string>

#include "bench/bench_ratios.h"
#include "bench/sparse_bench_graphs.h"
#include "core/device.h"
#include "kernels/cusparse_spmm.h"
#include "kernels/quantize.h"
#include "kernels/spmm.h"

namespace tango::bench {
namespace {

using kernels::QTensor;

// The graph of `which` on `device`, moved there once.
const kernels::SparseGraph& graph_on(int which, Device device) {
  static std::map<std::pair<int, bool>, kernels::SparseGraph> cache;
  auto key = std::make_pair(which, device.is_cuda());
  if (!cache.count(key))
    cache[key] = device.is_cpu() ? bench_graph(which).graph : bench_graph(which).graph.to(device);
  return cache[key];
}

// Registers one case variant; `setup` builds the state once per run and returns the body to time.
using Setup = std::function<std::function<void()>()>;
// bytes_per_edge: gathered bytes per edge (row width x bytes per feature); graphs are built on first use,
// so a filtered-out case never builds its graph.
void add(const std::string& case_name, const std::string& variant, int which, double bytes_per_edge,
         Device device, Setup setup) {
  const std::string name = case_name + "/" + variant;
  benchmark::RegisterBenchmark(
      name.c_str(),
      [=](benchmark::State& state) {
        std::function<void()> body = setup();
        const double bytes = bytes_per_edge * static_cast<double>(graph_on(which, device).num_edges());
        const double seconds = timed_loop(state, [&] {
          body();
          wait_for(device);
        });
        state.counters["GBps"] = bytes / seconds / 1e9;
      })
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime();
}

void register_copy_u(int which, int64_t hidden, Device device) {
  const std::string prefix = device.is_cuda() ? "gpu_copy_u/" : "cpu_copy_u/";
  const std::string c = prefix + bench_graph_name(which) + "/h" + std::to_string(hidden);
  const double fp32_bytes = static_cast<double>(hidden) * 4.0, int8_bytes = static_cast<double>(hidden);
  // Shared inputs, made when the variant first runs.
  auto inputs = [=] {
    const auto& g = graph_on(which, device);
    auto x = std::make_shared<Tensor>(random_features(g.num_cols(), hidden, 3).to(device));
    auto out = std::make_shared<Tensor>(Tensor::empty(DType::kF32, Shape::mat(g.num_rows(), hidden), device));
    auto xq = std::make_shared<QTensor>(kernels::make_qtensor(g.num_cols(), hidden, {}, device));
    kernels::quantize(*x, *xq);
    return std::make_tuple(&g, x, out, xq);
  };
  if (device.is_cuda()) {
    add(c, "cusparse_fp32", which, fp32_bytes, device, [=]() -> std::function<void()> {
      auto [g, x, out, xq] = inputs();
      auto vendor = std::make_shared<kernels::CusparseSpmm>(g->csr());
      return [=] { vendor->run(*x, *out); };
    });
  }
  add(c, "fp32", which, fp32_bytes, device, [=]() -> std::function<void()> {
    auto [g, x, out, xq] = inputs();
    return [=] { kernels::spmm_copy_u(g->csr(), *x, *out); };
  });
  // The trainer's pipeline: x comes from a QGEMM whose reduce epilogue already returned max|x|, so the
  // SpMM's input costs one quantize pass (quantize_from_amax); amax is computed once here, outside the loop.
  add(c, "int8_with_quantize", which, int8_bytes, device, [=]() -> std::function<void()> {
    auto [g, x, out, xq] = inputs();
    auto x_amax = std::make_shared<Tensor>(Tensor::empty(DType::kF32, Shape::vec(1), device));
    kernels::amax(*x, *x_amax);
    return [=] {
      kernels::quantize_from_amax(*x, *x_amax, *xq);
      kernels::qspmm_copy_u(g->csr(), *xq, *out);
    };
  });
  // Without an amax from the producer: a separate amax pass over x first (2 reads of x).
  add(c, "int8_with_amax_quantize", which, int8_bytes, device, [=]() -> std::function<void()> {
    auto [g, x, out, xq] = inputs();
    return [=] {
      kernels::quantize(*x, *xq);
      kernels::qspmm_copy_u(g->csr(), *xq, *out);
    };
  });
  add(c, "int8_only", which, int8_bytes, device, [=]() -> std::function<void()> {
    auto [g, x, out, xq] = inputs();
    return [=] { kernels::qspmm_copy_u(g->csr(), *xq, *out); };
  });
}

// GCN's aggregation as the trainer runs it: D^-1/2 on both sides as row and per-source scales. INT8 then
// takes the weighted path (int8 -> f32 and an FMA per element) instead of integer sums.
void register_gcn_copy_u(int which, int64_t hidden) {
  const Device cpu = Device::cpu();
  const std::string c =
      std::string("cpu_gcn_copy_u/") + bench_graph_name(which) + "/h" + std::to_string(hidden);
  auto inputs = [=] {
    const auto& g = graph_on(which, cpu);
    auto x = std::make_shared<Tensor>(random_features(g.num_cols(), hidden, 3));
    auto out = std::make_shared<Tensor>(Tensor::empty(DType::kF32, Shape::mat(g.num_rows(), hidden)));
    auto xq = std::make_shared<QTensor>(kernels::make_qtensor(g.num_cols(), hidden, {}, cpu));
    kernels::quantize(*x, *xq);
    auto norm = std::make_shared<Tensor>(Tensor::empty(DType::kF32, Shape::vec(g.num_rows())));
    const int64_t* indptr = g.csr().indptr.data<int64_t>();
    for (int64_t r = 0; r < g.num_rows(); ++r) {
      const int64_t degree = indptr[r + 1] - indptr[r];
      norm->data<float>()[r] = degree > 0 ? 1.0f / std::sqrt(static_cast<float>(degree)) : 0.0f;
    }
    return std::make_tuple(&g, x, out, xq, norm);
  };
  const double fp32_bytes = static_cast<double>(hidden) * 4.0, int8_bytes = static_cast<double>(hidden);
  add(c, "fp32", which, fp32_bytes, cpu, [=]() -> std::function<void()> {
    auto [g, x, out, xq, norm] = inputs();
    return [=] { kernels::spmm_copy_u(g->csr(), *x, *out, {*norm, *norm}); };
  });
  add(c, "int8_with_quantize", which, int8_bytes, cpu, [=]() -> std::function<void()> {
    auto [g, x, out, xq, norm] = inputs();
    auto x_amax = std::make_shared<Tensor>(Tensor::empty(DType::kF32, Shape::vec(1)));
    kernels::amax(*x, *x_amax);
    return [=] {
      kernels::quantize_from_amax(*x, *x_amax, *xq);
      kernels::qspmm_copy_u(g->csr(), *xq, *out, {*norm, *norm});
    };
  });
  add(c, "int8_only", which, int8_bytes, cpu, [=]() -> std::function<void()> {
    auto [g, x, out, xq, norm] = inputs();
    return [=] { kernels::qspmm_copy_u(g->csr(), *xq, *out, {*norm, *norm}); };
  });
}

void register_u_mul_e(int which, int64_t heads, int64_t dim) {
  const Device cpu = Device::cpu();
  const std::string c = std::string("cpu_u_mul_e/") + bench_graph_name(which) + "/" + std::to_string(heads) +
                        "x" + std::to_string(dim);
  const double fp32_bytes = static_cast<double>(heads * dim) * 4.0;
  auto inputs = [=] {
    const auto& g = graph_on(which, cpu);
    auto x = std::make_shared<Tensor>(random_features(g.num_cols(), heads * dim, 4));
    auto e = std::make_shared<Tensor>(random_features(g.num_edges(), heads, 5));
    auto out = std::make_shared<Tensor>(Tensor::empty(DType::kF32, Shape::mat(g.num_rows(), heads * dim)));
    auto xq = std::make_shared<QTensor>(kernels::make_qtensor(g.num_cols(), heads * dim, {}, cpu));
    auto eq = std::make_shared<QTensor>(kernels::make_qtensor(g.num_edges(), heads, {}, cpu));
    kernels::quantize(*x, *xq);
    kernels::quantize(*e, *eq);
    return std::make_tuple(&g, x, e, out, xq, eq);
  };
  add(c, "fp32", which, fp32_bytes, cpu, [=]() -> std::function<void()> {
    auto [g, x, e, out, xq, eq] = inputs();
    return [=] { kernels::spmm_u_mul_e(g->csr(), *x, *e, *out); };
  });
  add(c, "int8_with_quantize", which, fp32_bytes / 4, cpu, [=]() -> std::function<void()> {
    auto [g, x, e, out, xq, eq] = inputs();
    return [=] {
      kernels::quantize(*x, *xq);
      kernels::quantize(*e, *eq);
      kernels::qspmm_u_mul_e(g->csr(), *xq, *eq, *out);
    };
  });
  add(c, "int8_only", which, fp32_bytes / 4, cpu, [=]() -> std::function<void()> {
    auto [g, x, e, out, xq, eq] = inputs();
    return [=] { kernels::qspmm_u_mul_e(g->csr(), *xq, *eq, *out); };
  });
}

}  // namespace
}  // namespace tango::bench

int main(int argc, char** argv) {
  using namespace tango::bench;
  for (tango::Device device : {tango::Device::cpu(), tango::Device::cuda(0)}) {
    if (device.is_cuda() && tango::cuda_device_count() == 0) continue;
    for (int which : {0, 1})
      for (int64_t hidden : {128, 256}) register_copy_u(which, hidden, device);
  }
  for (int which : {0, 1}) register_gcn_copy_u(which, 256);
  for (int which : {0, 1}) {
    register_u_mul_e(which, 2, 128);
    register_u_mul_e(which, 4, 64);
  }
  benchmark::Initialize(&argc, argv);
  RatioReporter reporter({{"cpu_", "fp32"}, {"gpu_", "cusparse_fp32"}});
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
}
