#include "kernels/qlinear.h"

#include "kernels/elementwise.h"
#include "kernels/quantize.h"
#include "kernels/tensor_checks.h"

namespace tango::kernels {
namespace {

// (Re)allocates q for an f32 [rows, cols] input under `options` unless it already fits.
void ensure_qtensor(QTensor& q, int64_t rows, int64_t cols, const QuantizeOptions& options, Device device) {
  Shape want = quantized_values_shape(rows, cols, options.format);
  if (q.values.defined() && q.values.shape() == want && q.values.dtype() == format_dtype(options.format) &&
      q.values.device() == device && q.scales.numel() == 1)
    return;
  q = make_qtensor(rows, cols, options, device);
}

void quantize_into(const Tensor& x, QTensor& q, const QuantizeOptions& options) {
  MatrixView v = matrix_view(x);
  ensure_qtensor(q, v.rows, v.cols, options, x.device());
  quantize(x, q, options);
}

}  // namespace

void QLinear::forward(const Tensor& x, const Tensor& w, const Tensor& bias, Tensor& y, Tensor* y_amax) {
  if (!options_.quantized || !options_.cache_quantized) {
    x_ = x;
    w_ = w;
  }
  if (!options_.quantized) {
    gemm(x, w, y, {}, bias);
    if (y_amax) amax(y, *y_amax);
    return;
  }
  quantize_into(x, xq_, {.format = options_.input_format});
  quantize_into(w, wq_, {});
  const bool fused = y_amax && options_.fuse_amax;
  qgemm(xq_, wq_, y, options_.gemm, bias, fused ? y_amax : nullptr);
  if (y_amax && !fused) amax(y, *y_amax);
}

void QLinear::backward(const Tensor& dy, Tensor& dx, Tensor& dw, Tensor& db) {
  if (db.defined()) column_sum(dy, db);
  if (!options_.quantized) {
    TANGO_CHECK(x_.defined(), "QLinear::backward before forward");
    if (dx.defined()) gemm(dy, w_, dx, {.transpose_b = true});
    gemm(x_, dy, dw, {.transpose_a = true});
    return;
  }
  TANGO_CHECK(xq_.values.defined(), "QLinear::backward before forward");
  if (!options_.cache_quantized) {  // the ablation baseline: quantize x and w again
    quantize_into(x_, xq_, {.format = options_.input_format});
    quantize_into(w_, wq_, {});
  }
  quantize_into(dy, dyq_,
                {.rounding = options_.gradient_rounding,
                 .seed = options_.seed,
                 .stream = options_.stream + backward_calls_++});
  QGemmOptions dx_options = options_.gemm, dw_options = options_.gemm;
  dx_options.transpose_b = true;
  dw_options.transpose_a = true;
  if (dx.defined()) qgemm(dyq_, wq_, dx, dx_options);
  qgemm(xq_, dyq_, dw, dw_options);
}

}  // namespace tango::kernels
