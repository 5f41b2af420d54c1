#include "trainer/layers/linear_map.h"

#include "trainer/ops.h"
#include "trainer/quant_telemetry.h"

namespace tango::trainer {

LinearMap::LinearMap(std::string name, int64_t in, int64_t out, uint64_t seed, int layer, int tensor_id)
    : weight_(make_parameter(std::move(name), Shape::mat(in, out))), tensor_id_(tensor_id) {
  glorot_init(weight_.value, in, out, seed, layer, tensor_id);
}

void LinearMap::forward(Tensor x, Precision precision, Tensor& out) {
  begin_forward(x, precision);
  const int64_t rows = x.rows();
  const Device device = x.device();
  x = Tensor();  // fp32: input_ holds it
  if (!out.defined()) out = Tensor::empty(DType::kF32, Shape::mat(rows, out_features()), device);
  forward_rows(0, rows, precision, out);
}

void LinearMap::begin_forward(const Tensor& x, Precision precision) {
  input_rows_ = x.rows();
  if (precision == Precision::kINT8) {
    input_ = Tensor();
    input_q_ = quantize_int8(x, linear_map_operand(weight_.name, "x"));
    weight_q_ = quantize_int8(weight_.value, linear_map_operand(weight_.name, "w"));
  } else {
    input_ = x;
    input_q_ = {};
    weight_q_ = {};
  }
}

std::function<void()> LinearMap::forward_split(const Tensor& x, int64_t split, Precision precision,
                                               Tensor& out) {
  TANGO_CHECK(out.rows() == x.rows() && 0 <= split && split <= x.rows(),
              "{}: output {} split at row {} for {}", weight_.name, out.str(), split, x.str());
  begin_forward(x, precision);
  Tensor sent = out.slice_rows(split, x.rows());
  forward_rows(split, x.rows(), precision, sent);
  return [this, split, precision, inner = out.slice_rows(0, split)]() mutable {
    forward_rows(0, split, precision, inner);
  };
}

void LinearMap::forward_rows(int64_t begin, int64_t end, Precision precision, Tensor& out) const {
  TANGO_CHECK(0 <= begin && begin <= end && end <= input_rows_ &&
                  (precision == Precision::kINT8 ? input_q_.values.defined() : input_.defined()),
              "{}: rows [{}, {}) of an input of {} rows in {} (forward first, before backward)", weight_.name,
              begin, end, input_rows_, precision == Precision::kINT8 ? "int8" : "fp32");
  if (begin == end) return;
  if (precision == Precision::kINT8) {
    const kernels::QTensor rows{input_q_.values.slice_rows(begin, end), input_q_.scales};
    qgemm(rows, false, weight_q_, false, out);
  } else {
    gemm(input_.slice_rows(begin, end), false, weight_.value, false, out);
  }
}

void LinearMap::backward(Tensor dy, const LayerContext& context, Tensor* dx) {
  const GradientCodes codes = quantize_gradient(dy, context);
  if (context.precision == Precision::kINT8) dy = Tensor();
  backward_weight(dy, codes, context.precision);
  if (dx != nullptr) backward_input(dy, codes, context.precision, *dx);
}

LinearMap::GradientCodes LinearMap::quantize_gradient(const Tensor& dy, const LayerContext& context) const {
  if (context.precision != Precision::kINT8) return {};
  const uint64_t stream = context.gradient_rounding_stream + (static_cast<uint64_t>(tensor_id_) << 56);
  return {quantize_int8_rows(dy, linear_map_operand(weight_.name, "dy_rows")),
          quantize_int8_stochastic_blocks(dy, kGradientBlockRows, context.seed, stream,
                                          linear_map_operand(weight_.name, "dy_sr")),
          kGradientBlockRows};
}

void LinearMap::backward_input(const Tensor& dy, const GradientCodes& codes, Precision precision,
                               Tensor& dx) {
  const Tensor& rows = precision == Precision::kINT8 ? codes.rows.values : dy;
  dx = Tensor::empty(DType::kF32, Shape::mat(rows.rows(), in_features()), rows.device());
  if (precision == Precision::kINT8) {
    qgemm(codes.rows, false, weight_q_, true, dx);
  } else {
    gemm(dy, false, weight_.value, true, dx);
  }
}

void LinearMap::backward_weight(const Tensor& dy, const GradientCodes& codes, Precision precision) {
  const Tensor& rows = precision == Precision::kINT8 ? codes.tensor.values : dy;
  TANGO_CHECK(rows.rows() == input_rows_ &&
                  (precision == Precision::kINT8 ? input_q_.values.defined() : input_.defined()),
              "{}: weight gradient from dy {} needs the forward state of {} rows in {} (one backward per "
              "forward)",
              weight_.name, rows.str(), input_rows_, precision == Precision::kINT8 ? "int8" : "fp32");
  if (precision == Precision::kINT8) {
    qgemm_row_blocks(input_q_, codes.tensor, codes.block_rows, weight_.grad);
  } else {
    gemm(input_, true, dy, false, weight_.grad);
  }
  release_saved();  // x is read for the last time: released now, not when the next forward replaces it
}

void LinearMap::release_saved() {
  input_ = Tensor();
  input_q_ = {};
  input_rows_ = -1;
}

void LinearMap::recompute_rows(int64_t begin, int64_t end, Tensor& out) const {
  forward_rows(begin, end, Precision::kINT8, out);
}

SavedBytes LinearMap::saved_bytes() const {
  SavedBytes saved;
  saved.add(input_);
  saved.add(input_q_);
  saved.add(weight_q_);
  return saved;
}

}  // namespace tango::trainer
