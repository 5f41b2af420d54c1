#include "trainer/ops.h"

#include <algorithm>

#include "kernels/elementwise.h"
#include "kernels/gemm.h"
#include "kernels/keyed_dropout.h"
#include "kernels/masked_nll.h"
#include "kernels/quantize.h"
#include "trainer/quant_telemetry.h"

namespace tango::trainer {

kernels::QTensor quantize_int8(const Tensor& x, std::string_view operand) {
  kernels::QuantizeOptions options;  // int8, per tensor, nearest
  kernels::QTensor q = kernels::make_qtensor(x.rows(), x.cols(), options, x.device());
  kernels::quantize(x, q, options);
  if (!operand.empty()) QuantTelemetry::record(operand, x, q);
  return q;
}

kernels::QTensor quantize_int8_rows(const Tensor& x, std::string_view operand) {
  kernels::QuantizeOptions options;
  options.granularity = kernels::ScaleGranularity::kPerRow;
  kernels::QTensor q = kernels::make_qtensor(x.rows(), x.cols(), options, x.device());
  kernels::quantize(x, q, options);
  if (!operand.empty()) QuantTelemetry::record(operand, x, q);
  return q;
}

kernels::QTensor quantize_int8_stochastic(const Tensor& x, uint64_t seed, uint64_t stream,
                                          std::string_view operand) {
  kernels::QuantizeOptions options;
  options.rounding = kernels::Rounding::kStochastic;
  options.seed = seed;
  options.stream = stream;
  kernels::QTensor q = kernels::make_qtensor(x.rows(), x.cols(), options, x.device());
  kernels::quantize(x, q, options);
  if (!operand.empty()) QuantTelemetry::record(operand, x, q);
  return q;
}

kernels::QTensor quantize_int8_stochastic_blocks(const Tensor& x, int64_t block_rows, uint64_t seed,
                                                 uint64_t stream, std::string_view operand) {
  TANGO_CHECK(block_rows > 0 && x.ndim() == 2, "row blocks of {} rows for {}", block_rows, x.str());
  const int64_t rows = x.rows(), blocks = std::max<int64_t>(1, (rows + block_rows - 1) / block_rows);
  kernels::QuantizeOptions options;
  options.rounding = kernels::Rounding::kStochastic;
  options.seed = seed;
  kernels::QTensor q = kernels::make_qtensor(rows, x.cols(), options, x.device());
  q.scales = Tensor::empty(DType::kF32, Shape::vec(blocks), x.device());
  for (int64_t b = 0; b < blocks; ++b) {
    const int64_t begin = b * block_rows, end = std::min(rows, begin + block_rows);
    options.stream = stream + (static_cast<uint64_t>(b) << 32);
    kernels::QTensor block{q.values.slice_rows(begin, end), q.scales.slice_rows(b, b + 1)};
    kernels::quantize(x.slice_rows(begin, end), block, options);
  }
  if (!operand.empty()) QuantTelemetry::record_row_blocks(operand, x, q, block_rows);
  return q;
}

void qgemm_row_blocks(const kernels::QTensor& a, const kernels::QTensor& b, int64_t block_rows, Tensor& c) {
  kernels::QGemmOptions options;  // kernels::qgemm checks the shapes and the block scales
  options.transpose_a = true;
  options.b_scale_block_rows = block_rows;
  kernels::qgemm(a, b, c, options);
}

void gemm(const Tensor& a, bool transpose_a, const Tensor& b, bool transpose_b, Tensor& c) {
  kernels::GemmOptions options;
  options.transpose_a = transpose_a;
  options.transpose_b = transpose_b;
  kernels::gemm(a, b, c, options);
}

void qgemm(const kernels::QTensor& a, bool transpose_a, const kernels::QTensor& b, bool transpose_b,
           Tensor& c) {
  kernels::QGemmOptions options;
  options.transpose_a = transpose_a;
  options.transpose_b = transpose_b;
  kernels::qgemm(a, b, c, options);
}

void add_bias(Tensor& y, const Tensor& bias) {
  kernels::bias_add(y, bias);
}

void bias_grad(const Tensor& dy, Tensor& grad_bias) {
  kernels::column_sum(dy, grad_bias);
}

void add_into(Tensor& y, const Tensor& x) {
  TANGO_CHECK(y.numel() == x.numel(), "add_into: {} += {}", y.str(), x.str());
  kernels::add_inplace(y, x);
}

void activate(const Tensor& x, Tensor& y, kernels::Activation kind, float alpha) {
  kernels::activation_forward(x, y, {kind, alpha});
}

void activate_backward(const Tensor& x, Tensor& dy, kernels::Activation kind, float alpha) {
  kernels::activation_backward(x, dy, dy, {kind, alpha});
}

Tensor activation_codes(const Tensor& x, const Tensor& keep_mask, kernels::Activation kind, float alpha) {
  Tensor codes = Tensor::empty(DType::kU8, x.shape(), x.device());
  kernels::activation_derivative_codes(x, keep_mask, {kind, alpha}, codes);
  return codes;
}

void coded_activation_backward(const Tensor& codes, float keep_scale, Tensor& dy) {
  kernels::coded_activation_backward(codes, dy, keep_scale, dy);
}

void dropout(const Tensor& x, Tensor& y, Tensor& mask, float p, uint64_t seed, uint64_t stream,
             const Tensor& global_ids) {
  kernels::keyed_dropout(x, y, mask, global_ids, {p, seed, stream});
}

Tensor activate_dropout_coded(Tensor& y, kernels::Activation kind, float alpha, float p, uint64_t seed,
                              uint64_t stream, const Tensor& global_ids) {
  Tensor codes = Tensor::empty(DType::kU8, y.shape(), y.device());
  kernels::activation_dropout_codes(y, codes, global_ids, {kind, alpha}, {p, seed, stream});
  return codes;
}

void dropout_backward(const Tensor& dy, const Tensor& mask, float p, Tensor& dx) {
  kernels::masked_dropout_backward(dy, mask, p, dx);
}

void edge_dropout(const kernels::CsrIndex& csr, const Tensor& global_ids, int64_t num_global_nodes,
                  Tensor& values, Tensor& mask, float p, uint64_t seed, uint64_t stream, int64_t first_row) {
  kernels::keyed_edge_dropout(csr, global_ids, num_global_nodes, values, mask, {p, seed, stream}, first_row);
}

void log_softmax_nll(const Tensor& logits, const Tensor& labels, const Tensor& mask, double normalizer,
                     Tensor& grad, Tensor& scalars, int slot) {
  kernels::masked_nll(logits, labels, mask, normalizer, grad, scalars, slot);
}

double log_softmax_nll(const Tensor& logits, const Tensor& labels, const Tensor& mask, double normalizer,
                       Tensor& grad) {
  Tensor scalars = Tensor::zeros(DType::kI64, Shape::vec(1), logits.device());
  kernels::masked_nll(logits, labels, mask, normalizer, grad, scalars, 0);
  return kernels::scalar_as_double(scalars.to_vector<int64_t>()[0]);
}

void count_correct(const Tensor& logits, const Tensor& labels, const Tensor& mask, Tensor& scalars,
                   int slot) {
  kernels::masked_correct(logits, labels, mask, scalars, slot);
}

int64_t count_correct(const Tensor& logits, const Tensor& labels, const Tensor& mask) {
  Tensor scalars = Tensor::zeros(DType::kI64, Shape::vec(1), logits.device());
  kernels::masked_correct(logits, labels, mask, scalars, 0);
  return scalars.to_vector<int64_t>()[0];
}

}  // namespace tango::trainer
