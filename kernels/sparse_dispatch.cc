#include "kernels/sparse_dispatch.h"

#include "core/error.h"

namespace tango::kernels::detail {

CsrView csr_view(const CsrIndex& adj) {
  CsrView v;
  v.num_rows = adj.num_rows;
  v.indptr = adj.indptr.data<int64_t>();
  v.indices = adj.indices.data<int32_t>();
  v.edge_ids = adj.edge_ids_are_identity ? nullptr : adj.edge_ids.data<int32_t>();
  return v;
}

void check_f32(const Tensor& t, std::string_view what, int64_t rows, int64_t cols, Device device) {
  TANGO_CHECK(t.defined() && t.dtype() == DType::kF32 && t.rows() == rows && (cols < 0 || t.cols() == cols) &&
                  t.device() == device,
              "{} must be f32 [{}, {}] on {}, got {}", what, rows, cols < 0 ? "*" : std::to_string(cols),
              device.str(), t.str());
}

void check_optional_vector(const Tensor& t, std::string_view what, int64_t n, Device device) {
  if (!t.defined()) return;
  TANGO_CHECK(t.dtype() == DType::kF32 && t.numel() == n && t.device() == device,
              "{} must be f32 [{}] on {}, got {}", what, n, device.str(), t.str());
}

void check_quantized(const QTensor& q, std::string_view what, int64_t rows, int64_t cols, Device device) {
  TANGO_CHECK(q.values.defined() && q.values.dtype() == DType::kI8 && q.values.rows() == rows &&
                  q.values.cols() == cols && q.values.device() == device,
              "{} values must be i8 [{}, {}] on {}, got {}", what, rows, cols, device.str(), q.values.str());
  TANGO_CHECK(q.scales.defined() && q.scales.dtype() == DType::kF32 && q.scales.device() == device &&
                  (q.scales.numel() == 1 || q.scales.numel() == rows),
              "{} scales must be f32 [1] or [{}] on {}, got {}", what, rows, device.str(), q.scales.str());
}

DenseOperand operand_of(const Tensor& t) {
  DenseOperand op;
  op.f32 = t.data<float>();
  return op;
}

DenseOperand operand_of(const QTensor& q) {
  DenseOperand op;
  op.i8 = q.values.data<int8_t>();
  op.scale = q.scales.data<float>();
  op.scale_per_row = q.scales.numel() != 1;
  return op;
}

const float* optional_data(const Tensor& t) {
  return t.defined() ? t.data<float>() : nullptr;
}

}  // namespace tango::kernels::detail
