// Quantization kernel throughput (GB/s of f32 read + codes written) against a plain copy of the same
// f32 tensor on the same device, which stands for the achievable memory bandwidth: a speedup of 0.7
// means 70% of copy bandwidth. Shapes: facebook features (22470 x 128) and 1M x 256.
//   build/bench/quantize_bench [--benchmark_filter=gpu_]
#include <functional>
#include <map>
#include <memory>

#include "bench/bench_ratios.h"
#include "core/tensor.h"
#include "kernels/quantize.h"

namespace tango::bench {
namespace {

using namespace tango::kernels;

struct Buffers {
  Tensor x, copy, amax, row_amax, back, bf;
  std::map<int, QTensor> q;  // by variant
};

Buffers& buffers(int64_t rows, int64_t cols, Device device) {
  static std::map<std::string, std::unique_ptr<Buffers>> cache;
  std::string key = std::to_string(rows) + "x" + std::to_string(cols) + device.str();
  auto& slot = cache[key];
  if (!slot) {
    cache.clear();
    auto b = std::make_unique<Buffers>();
    Tensor host = Tensor::empty(DType::kF32, tango::Shape::mat(rows, cols));
    float* p = host.data<float>();
    for (int64_t i = 0; i < rows * cols; ++i)
      p[i] = static_cast<float>((i * 2654435761u) % 2001) / 1000.0f - 1.0f;
    b->x = host.to(device);
    b->copy = Tensor::empty(DType::kF32, host.shape(), device);
    b->back = Tensor::empty(DType::kF32, host.shape(), device);
    b->bf = Tensor::empty(DType::kBF16, host.shape(), device);
    b->amax = Tensor::empty(DType::kF32, tango::Shape::vec(1), device);
    b->row_amax = Tensor::empty(DType::kF32, tango::Shape::vec(rows), device);
    amax(b->x, b->amax);  // for int8_from_amax (the amax variant rewrites the same value)
    cache[key] = std::move(b);
  }
  return *cache[key];
}

// bytes: what the variant must move at least (reads + writes), for the GB/s counter.
void add(const std::string& name, int64_t rows, int64_t cols, Device device, double bytes,
         std::function<void(Buffers&)> body) {
  benchmark::RegisterBenchmark(name.c_str(),
                               [=](benchmark::State& state) {
                                 Buffers& b = buffers(rows, cols, device);
                                 timed_loop(state, [&] {
                                   body(b);
                                   wait_for(device);
                                 });
                                 state.counters["GB/s"] =
                                     benchmark::Counter(bytes, benchmark::Counter::kIsIterationInvariantRate);
                               })
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime()
      ->MinTime(0.3);
}

void register_case(int64_t rows, int64_t cols, Device device) {
  const std::string c = std::string(device.is_cuda() ? "gpu_" : "cpu_") + "quant/" + std::to_string(rows) +
                        "x" + std::to_string(cols) + "/";
  const double n = static_cast<double>(rows * cols);
  auto quant = [](QuantizeOptions options) {
    return [options](Buffers& b) {
      const int key = static_cast<int>(options.format) * 16 + static_cast<int>(options.granularity) * 4 +
                      static_cast<int>(options.rounding);
      auto it = b.q.find(key);
      if (it == b.q.end())
        it = b.q.emplace(key, make_qtensor(b.x.rows(), b.x.cols(), options, b.x.device())).first;
      quantize(b.x, it->second, options);
    };
  };
  add(c + "copy", rows, cols, device, 8 * n, [](Buffers& b) { b.copy.copy_from(b.x); });
  add(c + "amax", rows, cols, device, 4 * n, [](Buffers& b) { amax(b.x, b.amax); });
  add(c + "amax_rows", rows, cols, device, 4 * n, [](Buffers& b) { amax_rows(b.x, b.row_amax); });
  // quantize = amax pass + code pass: 4n + 4n read, n written.
  add(c + "int8_tensor", rows, cols, device, 9 * n, quant({}));
  // The pass the trainer needs when the producer (QGEMM's reduce epilogue) returned amax: 4n read, n written.
  add(c + "int8_from_amax", rows, cols, device, 5 * n, [](Buffers& b) {
    if (!b.q.count(0)) b.q.emplace(0, make_qtensor(b.x.rows(), b.x.cols(), {}, b.x.device()));
    quantize_from_amax(b.x, b.amax, b.q.at(0));
  });
  add(c + "int8_row", rows, cols, device, 9 * n, quant({.granularity = ScaleGranularity::kPerRow}));
  add(c + "int8_stochastic", rows, cols, device, 9 * n,
      quant({.rounding = Rounding::kStochastic, .seed = 1}));
  add(c + "int4_row", rows, cols, device, 8.5 * n,
      quant({.format = QuantFormat::kInt4, .granularity = ScaleGranularity::kPerRow}));
  add(c + "int2_row", rows, cols, device, 8.25 * n,
      quant({.format = QuantFormat::kInt2, .granularity = ScaleGranularity::kPerRow}));
  add(c + "dequant_int8", rows, cols, device, 5 * n, [quant](Buffers& b) {
    if (!b.q.count(0)) quant({})(b);
    dequantize(b.q.at(0), b.back);
  });
  add(c + "bf16", rows, cols, device, 6 * n, [](Buffers& b) { cast_to_bf16(b.x, b.bf); });
}

}  // namespace
}  // namespace tango::bench

int main(int argc, char** argv) {
  using namespace tango::bench;
  for (tango::Device device : {tango::Device::cpu(), tango::Device::cuda(0)}) {
    if (device.is_cuda() && tango::cuda_device_count() == 0) continue;
    register_case(22470, 128, device);
    register_case(1000000, 256, device);
  }
  benchmark::Initialize(&argc, argv);
  RatioReporter reporter({{"cpu_quant", "copy"}, {"gpu_quant", "copy"}});
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
}
