// y = x W, the dense product inside every layer, with its backward (dW = x^T dy, dx = dy W^T).
// Under --precision int8 every product is a QGEMM, and the quantized x and W of the forward are cached
// for the backward (not quantized twice). What is kept from forward to backward:
//   fp32: x itself (a reference to the caller's tensor);
//   int8: only x's INT8 codes and scale and W's (Tango's caching rule: x [rows, in] costs rows * in
//         bytes + 4, a quarter of FP32); the FP32 x is not referenced, so the caller's tensor is freed
//         when the caller drops it. dW = x^T dy reads x's codes, dx = dy W^T reads W's.
// backward_weight() releases x (or its codes): a second backward needs a new forward. The operands' scales:
//   forward  y  = x W       x and W per tensor, nearest (Tango's rule)
//   backward dx = dy W^T    dy with ONE SCALE PER ROW, nearest; W as in the forward
//   backward dW = x^T dy    dy with ONE SCALE PER BLOCK OF 256 ROWS, STOCHASTIC rounding; x as in the
//                           forward; one QGEMM whose INT32 chunks are the blocks, each scaled
//                           by its scale and summed in FP32 in block order
// Why dy departs from Tango's per-tensor nearest rule: on power-law graphs the rows of dy (one per node)
// span orders of magnitude, largest at the hubs, whose gradient gathers from many neighbours. One scale
// set by the hubs rounds most rows to all-zero codes (measured on a 20k-node synthetic graph, 3-layer GAT:
// 30-88% of dy's rows per layer, relative error 0.19-0.35), so dx is zero for most nodes, the layers
// below learn from the hubs only, and INT8 GAT diverged where FP32 learned (loss 2.59 -> 2.92, test 0.28
// against FP32's 1.53 and 0.88 after 20 epochs). dx's rows are independent sums (row r of dx is
// row r of dy times W^T), so a scale per row of dy is exact to apply after the int32 product and
// keeps every row's 127 levels. dW sums over rows, where per-row scales cannot be factored out; there
// the per-tensor codes are rounded stochastically, so that a small row contributes in expectation
// instead of being dropped (E[dW_q] = dW). Measured, 5000-node graph with hubs (hub_exponent=1), 30
// epochs: FP32 loss 1.30; per-tensor nearest 2.09; per-row dx only 1.46; stochastic only 1.38; both
// 1.29 (tests/trainer/mpi/int8_hubs_test.cc). Unbiased is not enough at scale: with one scale per tensor
// most rows of dy get less than one level (quantization telemetry, 100k-node power-law graph, 3-layer
// GAT: levels_gmean 0.25-0.58, relative error 0.38-0.70), and the variance slows learning (40 epochs:
// 2.3 pp below FP32). dW's sum over rows splits into blocks of rows, each with its own scale, whose INT32
// products are scaled and added in FP32: a hub costs levels only to the 255 rows beside it. Measured on a
// 30k-node graph of the same family (GAT, 3 layers, --dropout 0.2, 40 epochs, final loss): FP32 1.6051;
// per tensor 1.6967; blocks of 4096 rows 1.6411, 1024 1.6168, 256 1.6107, 64 1.6075. 256 is the block
// (kGradientBlockRows): one more QGEMM call per 256 rows. Stochastic draws are keyed by (seed, epoch,
// layer, tensor, block), so a resumed run draws the same.
#pragma once

#include <functional>
#include <string>

#include "kernels/qtensor.h"
#include "trainer/config.h"
#include "trainer/layers/layer.h"

namespace tango::trainer {

// Rows of dy per scale in dW = x^T dy's operand (header comment).
inline constexpr int64_t kGradientBlockRows = 256;

class LinearMap {
 public:
  // Glorot-initialised weight [in, out] named `name`, drawn from (seed, layer, tensor_id).
  LinearMap(std::string name, int64_t in, int64_t out, uint64_t seed, int layer, int tensor_id);

  // out [rows, out] = x [rows, in] W. Keeps x (fp32) or its INT8 codes (int8) for backward. An undefined
  // `out` is allocated here after x's codes are made and x is dropped (INT8: a caller that moves x in never
  // holds x and out together).
  void forward(Tensor x, Precision precision, Tensor& out);
  // A layer > 0 about to send its boundary rows: out[split, rows) = x[split, rows) W now (the rows other
  // ranks need: a part's send rows are boundary rows), and the returned call writes out[0, split) (the
  // inner rows) while they travel. `out` ([x.rows(), out]) must stay alive until then.
  std::function<void()> forward_split(const Tensor& x, int64_t split, Precision precision, Tensor& out);
  // weight.grad = x^T dy; when dx is not null, *dx = dy W^T (allocated here). The context gives the
  // precision and the keys of the stochastic rounding. INT8 drops dy once its codes are made.
  void backward(Tensor dy, const LayerContext& context, Tensor* dx);
  // dy's INT8 codes for the two products (empty in FP32): per row for dx, per block of rows stochastic
  // for dW.
  struct GradientCodes {
    kernels::QTensor rows;
    kernels::QTensor tensor;  // one scale per block of block_rows rows
    int64_t block_rows = 0;
  };
  // backward() in two halves, for callers that overlap something between them (same bits). In INT8 the
  // halves read only the codes: dy may be undefined there (a caller frees it after quantize_gradient).
  GradientCodes quantize_gradient(const Tensor& dy, const LayerContext& context) const;
  void backward_input(const Tensor& dy, const GradientCodes& codes, Precision precision, Tensor& dx);
  void backward_weight(const Tensor& dy, const GradientCodes& codes, Precision precision);
  // INT8 only, between forward and backward_weight: rows [begin, end) of the forward's y = x W again,
  // from the cached codes (out [end - begin, out]). The same bits forward wrote: the product is exact
  // in int32 and every row is scaled by the same s_x s_W. For a caller that does not keep y (GAT's Z).
  void recompute_rows(int64_t begin, int64_t end, Tensor& out) const;
  // The forward state kept for backward (x or its codes, W's codes).
  SavedBytes saved_bytes() const;
  // Drops it (the x of the last forward).
  void release_saved();

  Parameter& weight() { return weight_; }
  int64_t in_features() const { return weight_.value.rows(); }
  int64_t out_features() const { return weight_.value.cols(); }

 private:
  // forward() in row ranges (same bits as one call): begin_forward keeps x (INT8: quantized once, one
  // scale over all its rows, and only the codes kept); forward_rows writes out ([end - begin, out]) =
  // x[begin, end) W.
  void begin_forward(const Tensor& x, Precision precision);
  void forward_rows(int64_t begin, int64_t end, Precision precision, Tensor& out) const;

  Parameter weight_;
  int tensor_id_;            // distinguishes the maps of one layer in the stochastic-rounding keys
  int64_t input_rows_ = -1;  // rows of the forward's x; -1: no forward state
  Tensor input_;             // fp32 only
  kernels::QTensor input_q_, weight_q_;  // int8 only
};

}  // namespace tango::trainer
