// GEMM benchmarks: FP32 vs INT8 (oneDNN on the CPU, cuBLASLt on a GPU), with and without the
// quantization kernels a layer needs, the u8 and s8 CPU paths, and the trainer's dense product
// (trainer/layers/linear_map.h) forward+backward in FP32 and INT8 (x and W quantized once in forward and
// cached for backward), plus that INT8 map with the two extra quantizations a backward re-quantizing x
// and W would add (Tango's cached-copies ablation), and dW's gradient codes with a scale per block of rows
// against one scale per tensor.
// Shapes: facebook (22470 nodes, hidden 128/256) and synthetic 200k / 1M x 256 x 256.
// Ratios against the FP32 baseline of the same case are printed at the end.
//   build/bench/gemm_bench [--benchmark_filter=fwd/200000]
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <oneapi/dnnl/dnnl.hpp>

#include "bench/bench_ratios.h"
#include "core/tensor.h"
#include "kernels/gemm.h"
#include "kernels/quantize.h"
#include "trainer/layers/linear_map.h"
#include "trainer/ops.h"

namespace tango::bench {
namespace {

using namespace tango::kernels;

struct Shape3 {
  int64_t m, k, n;
  std::string str() const { return std::to_string(m) + "x" + std::to_string(k) + "x" + std::to_string(n); }
};

// Inputs of one shape on one device, built once: x >= 0 (post-ReLU activations), w and dy signed.
struct Problem {
  Tensor x, w, bias, out, dy, dx;
  QTensor qx, qx_u8, qw;
};

Tensor filled(int64_t rows, int64_t cols, float lo, float hi, uint32_t seed, Device device) {
  Tensor t = Tensor::empty(DType::kF32, tango::Shape::mat(rows, cols));
  float* p = t.data<float>();
  uint32_t state = seed;
  for (int64_t i = 0; i < rows * cols; ++i) {
    state = state * 1664525u + 1013904223u;
    p[i] = lo + (hi - lo) * static_cast<float>(state >> 8) * (1.0f / 16777216.0f);
  }
  return device.is_cpu() ? t : t.to(device);
}

Problem& problem(Shape3 s, Device device) {
  static std::map<std::string, std::unique_ptr<Problem>> cache;
  std::string key = s.str() + device.str();
  auto& slot = cache[key];
  if (!slot) {
    cache.clear();  // one shape resident at a time (the 1M case needs several GB)
    auto p = std::make_unique<Problem>();
    p->x = filled(s.m, s.k, 0.0f, 1.0f, 1, device);
    p->w = filled(s.k, s.n, -0.1f, 0.1f, 2, device);
    p->bias = filled(1, s.n, -0.1f, 0.1f, 3, device).reshaped(tango::Shape::vec(s.n));
    p->dy = filled(s.m, s.n, -1e-3f, 1e-3f, 4, device);
    p->out = Tensor::empty(DType::kF32, tango::Shape::mat(s.m, s.n), device);
    p->qx = make_qtensor(s.m, s.k, {}, device);
    p->qw = make_qtensor(s.k, s.n, {}, device);
    quantize(p->x, p->qx);
    quantize(p->w, p->qw);
    if (device.is_cpu()) {
      p->qx_u8 = make_qtensor(s.m, s.k, {.format = QuantFormat::kUint8}, device);
      quantize(p->x, p->qx_u8, {.format = QuantFormat::kUint8});
    }
    cache[key] = std::move(p);
  }
  return *cache[key];
}

void add(const std::string& name, Shape3 s, Device device, std::function<void(Problem&)> body) {
  benchmark::RegisterBenchmark(name.c_str(),
                               [=](benchmark::State& state) {
                                 Problem& p = problem(s, device);
                                 // The warm-up call lets oneDNN / cuBLASLt choose kernels and buffers reach
                                 // their size.
                                 timed_loop(state, [&] {
                                   body(p);
                                   wait_for(device);
                                 });
                                 state.counters["GFLOP/s"] = benchmark::Counter(
                                     2.0 * s.m * s.k * s.n, benchmark::Counter::kIsIterationInvariantRate);
                               })
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime()
      ->MinTime(0.5);
}

void register_forward(Shape3 s, Device device, const std::string& prefix) {
  const std::string c = prefix + "fwd/" + s.str() + "/";
  add(c + "sgemm", s, device, [](Problem& p) { gemm(p.x, p.w, p.out, {}, p.bias); });
  if (device.is_cuda())
    add(c + "sgemm_tf32", s, device, [](Problem& p) { gemm(p.x, p.w, p.out, {.allow_tf32 = true}, p.bias); });
  add(c + "qgemm_s8", s, device, [](Problem& p) { qgemm(p.qx, p.qw, p.out, {}, p.bias); });
  add(c + "quant+qgemm_s8", s, device, [](Problem& p) {
    quantize(p.x, p.qx);
    quantize(p.w, p.qw);
    qgemm(p.qx, p.qw, p.out, {}, p.bias);
  });
  if (device.is_cpu()) {
    add(c + "qgemm_s8shift", s, device, [](Problem& p) {
      qgemm(p.qx, p.qw, p.out, {.cpu_int8_path = CpuInt8Path::kBlasShiftToUint8}, p.bias);
    });
    add(c + "qgemm_u8", s, device, [](Problem& p) { qgemm(p.qx_u8, p.qw, p.out, {}, p.bias); });
    add(c + "quant+qgemm_u8", s, device, [](Problem& p) {
      quantize(p.x, p.qx_u8, {.format = QuantFormat::kUint8});
      quantize(p.w, p.qw);
      qgemm(p.qx_u8, p.qw, p.out, {}, p.bias);
    });
  }
}

void register_layer(Shape3 s, Device device, const std::string& prefix) {
  const std::string c = prefix + "layer/" + s.str() + "/";
  // One LinearMap per variant, its weight on the device (its INT8 copies persist across iterations, as
  // in training); requantize adds the quantizations of x and W that caching saves.
  using trainer::Parameter;
  struct Variant {
    trainer::LinearMap map;
    QTensor xq, wq;  // the re-quantized copies (requantize only)
  };
  auto layer = [s, device](trainer::Precision precision, bool requantize) {
    auto v =
        std::make_shared<Variant>(Variant{trainer::LinearMap("layer0.weight", s.k, s.n, 1, 0, 0), {}, {}});
    Parameter& w = v->map.weight();
    w.value = w.value.to(device);
    w.grad = w.grad.to(device);
    trainer::LayerContext context;
    context.precision = precision;
    return [v, s, device, precision, requantize, context](Problem& p) {
      v->map.forward(p.x, precision, p.out);
      if (requantize) {
        if (!v->xq.values.defined()) {
          v->xq = make_qtensor(s.m, s.k, {}, device);
          v->wq = make_qtensor(s.k, s.n, {}, device);
        }
        quantize(p.x, v->xq);
        quantize(v->map.weight().value, v->wq);
      }
      v->map.backward(p.dy, context, &p.dx);
    };
  };
  add(c + "fp32", s, device, layer(trainer::Precision::kFP32, false));
  add(c + "int8_cached", s, device, layer(trainer::Precision::kINT8, false));
  add(c + "int8_requantized", s, device, layer(trainer::Precision::kINT8, true));
}

// dW = x^T dy from the output gradient dy (trainer/layers/linear_map.h): its stochastic codes with one
// scale per block of kGradientBlockRows rows, one QGEMM with a scale per INT32 chunk of that many rows (what
// the trainer runs), against the same with one block (one scale per tensor), quantization included.
void register_weight_gradient(Shape3 s, Device device, const std::string& prefix) {
  const std::string c = prefix + "dw/" + s.str() + "/";
  auto blocked = [s](int64_t block_rows) {
    return [s, block_rows](Problem& p) {
      const QTensor dyq = trainer::quantize_int8_stochastic_blocks(p.dy, block_rows, 1, 2);
      Tensor dw = Tensor::empty(DType::kF32, tango::Shape::mat(s.k, s.n), p.x.device());
      trainer::qgemm_row_blocks(p.qx, dyq, block_rows, dw);
    };
  };
  add(c + "one_scale", s, device, blocked(s.m));
  add(c + "blocks", s, device, blocked(trainer::kGradientBlockRows));
}

const char* isa_name(dnnl::cpu_isa isa) {
  switch (isa) {
    case dnnl::cpu_isa::sse41: return "sse41";
    case dnnl::cpu_isa::avx: return "avx";
    case dnnl::cpu_isa::avx2: return "avx2";
    case dnnl::cpu_isa::avx2_vnni: return "avx2_vnni";
    case dnnl::cpu_isa::avx512_core: return "avx512_core";
    case dnnl::cpu_isa::avx512_core_vnni: return "avx512_core_vnni";
    case dnnl::cpu_isa::avx512_core_bf16: return "avx512_core_bf16";
    case dnnl::cpu_isa::avx512_core_amx: return "avx512_core_amx";
    default: return "other";
  }
}

}  // namespace
}  // namespace tango::bench

int main(int argc, char** argv) {
  using namespace tango::bench;
  const Shape3 shapes[] = {{22470, 128, 128}, {22470, 128, 256}, {200000, 256, 256}, {1000000, 256, 256}};
  for (tango::Device device : {tango::Device::cpu(), tango::Device::cuda(0)}) {
    if (device.is_cuda() && tango::cuda_device_count() == 0) continue;
    const std::string prefix = device.is_cuda() ? "gpu_" : "cpu_";
    for (Shape3 s : shapes) register_forward(s, device, prefix);
    for (Shape3 s : shapes)
      if (s.m <= 200000) register_layer(s, device, prefix);
    for (Shape3 s : shapes)
      if (s.m <= 200000) register_weight_gradient(s, device, prefix);
  }
  std::printf("oneDNN ISA: %s; GPUs: %s\n", isa_name(dnnl::get_effective_cpu_isa()),
              tango::describe_devices().c_str());
  benchmark::Initialize(&argc, argv);
  RatioReporter reporter({{"cpu_fwd", "sgemm"},
                          {"gpu_fwd", "sgemm"},
                          {"cpu_layer", "fp32"},
                          {"gpu_layer", "fp32"},
                          {"cpu_dw", "one_scale"},
                          {"gpu_dw", "one_scale"}});
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
}
