// y = x W, the dense product inside every layer, with its backward (dW = x^T dy, dx = dy W^T) and
// Tango's precision rule: under --precision int8 both products are QGEMMs on per-tensor INT8 operands,
// and the quantized x and W of the forward are cached for the backward (not quantized twice).
#pragma once

#include <functional>
#include <string>

#include "kernels/qtensor.h"
#include "trainer/config.h"
#include "trainer/layers/layer.h"

namespace tango::trainer {

class LinearMap {
 public:
  // Glorot-initialised weight [in, out] named `name`, drawn from (seed, layer, tensor_id).
  LinearMap(std::string name, int64_t in, int64_t out, uint64_t seed, int layer, int tensor_id);

  // out [rows, out] = x [rows, in] W. Keeps x (and its INT8 copy) for backward.
  void forward(const Tensor& x, Precision precision, Tensor& out);
  // A layer > 0 about to send its boundary rows: out[split, rows) = x[split, rows) W now (the rows other
  // ranks need: a part's send rows are boundary rows), and the returned call writes out[0, split) (the
  // inner rows) while they travel. `out` ([x.rows(), out]) must stay alive until then.
  std::function<void()> forward_split(const Tensor& x, int64_t split, Precision precision, Tensor& out);
  // weight.grad = x^T dy; when dx is not null, *dx = dy W^T (allocated here).
  void backward(const Tensor& dy, Precision precision, Tensor* dx);
  // backward() in two halves, for callers that overlap something between them (same bits).
  // `dy_q` is quantize_gradient(dy): dy quantized once for both (INT8), empty in FP32.
  kernels::QTensor quantize_gradient(const Tensor& dy, Precision precision) const;
  void backward_input(const Tensor& dy, const kernels::QTensor& dy_q, Precision precision, Tensor& dx);
  void backward_weight(const Tensor& dy, const kernels::QTensor& dy_q, Precision precision);

  Parameter& weight() { return weight_; }
  int64_t in_features() const { return weight_.value.rows(); }
  int64_t out_features() const { return weight_.value.cols(); }

 private:
  // forward() in row ranges (same bits as one call): begin_forward keeps x (INT8: quantized once, one
  // scale over all its rows); forward_rows writes out ([end - begin, out]) = x[begin, end) W.
  void begin_forward(const Tensor& x, Precision precision);
  void forward_rows(int64_t begin, int64_t end, Precision precision, Tensor& out);

  Parameter weight_;
  Tensor input_;
  kernels::QTensor input_q_, weight_q_;
};

}  // namespace tango::trainer
