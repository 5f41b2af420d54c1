#include "kernels/sparse_dispatch.h"

namespace tango::kernels::detail {

CsrView csr_view(const CsrIndex& adj) {
  CsrView v;
  v.num_rows = adj.num_rows;
  v.indptr = adj.indptr.data<int64_t>();
  v.indices = adj.indices.data<int32_t>();
  v.edge_ids = adj.edge_ids_are_identity ? nullptr : adj.edge_ids.data<int32_t>();
  return v;
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
