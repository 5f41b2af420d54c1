// QLinear: y = x w + b with INT8 forward and backward (Tango's Qlinear_func), built from the quantize
// and qgemm primitives, so it runs wherever they do.
//
//   forward:  xq = Q(x), wq = Q(w) (one scale each); y = qgemm(xq, wq) + b; optionally max|y| for the
//             next primitive's scale, from the fused reduce epilogue or a separate amax pass.
//   backward: dyq = Q(dy); dx = qgemm(dyq, wq^T); dw = qgemm(xq^T, dyq); db = column sums of dy (FP32).
// Ablation switches (Tango section 4): cache_quantized keeps xq, wq from forward (default) instead of
// keeping x, w and re-quantizing them in backward; fuse_amax picks the reduce epilogue over amax(y).
// quantized = false runs the same layer in FP32 (the baseline). Buffers are reused across calls of the
// same shapes (no allocation in steady state).
#pragma once

#include "core/tensor.h"
#include "kernels/gemm.h"
#include "kernels/qtensor.h"
#include "kernels/quant_options.h"

namespace tango::kernels {

struct QLinearOptions {
  bool quantized = true;
  // kUint8 for non-negative inputs (after ReLU; twice the resolution), CPU only.
  QuantFormat input_format = QuantFormat::kInt8;
  Rounding gradient_rounding = Rounding::kNearest;
  uint64_t seed = 0;  // stochastic rounding of dy: stream = `stream` + backward call count
  uint64_t stream = 0;
  bool cache_quantized = true;
  bool fuse_amax = true;
  QGemmOptions gemm = {};
};

class QLinear {
 public:
  explicit QLinear(QLinearOptions options = {}) : options_(options) {}

  // x f32 [M, K], w f32 [K, N], bias f32 [N] or undefined, y f32 [M, N]; y_amax f32[1] or null.
  // Without caching (or in FP32 mode) x and w are kept by reference: don't modify them before backward.
  void forward(const Tensor& x, const Tensor& w, const Tensor& bias, Tensor& y, Tensor* y_amax = nullptr);
  // dy f32 [M, N] -> dx [M, K] (skipped when undefined), dw [K, N], db [N] (skipped when undefined).
  void backward(const Tensor& dy, Tensor& dx, Tensor& dw, Tensor& db);

  const QLinearOptions& options() const { return options_; }

 private:
  QLinearOptions options_;
  QTensor xq_, wq_, dyq_;
  Tensor x_, w_;
  uint64_t backward_calls_ = 0;
};

}  // namespace tango::kernels
