#include "trainer/layers/copy_u_aggregation.h"

#include "kernels/spmm.h"
#include "trainer/ops.h"

namespace tango::trainer {

CopyUAggregation CopyUAggregation::gcn(const DistGraph& graph) {
  return {graph.adjacency_with_self, graph.adjacency_with_self_split, graph.gcn_norm, graph.gcn_norm};
}

CopyUAggregation CopyUAggregation::mean(const DistGraph& graph) {
  return {graph.adjacency, graph.adjacency_split, graph.inverse_degree, Tensor()};
}

void CopyUAggregation::rows(const kernels::CsrIndex& rows, int64_t first_row, const Tensor& x,
                            Precision precision, Tensor& out) const {
  const kernels::SpmmScaling scaling{
      row_scale.slice_rows(first_row, first_row + rows.num_rows),
      column_scale.defined() ? column_scale.slice_rows(0, rows.num_cols) : Tensor()};
  if (precision == Precision::kINT8) {
    kernels::qspmm_copy_u(rows, quantize_int8(x, "aggregate_x"), out, scaling);
  } else {
    kernels::spmm_copy_u(rows, x, out, scaling);
  }
}

ExchangedAggregation CopyUAggregation::exchanged(Tensor& table, const LayerContext& context,
                                                 Tensor& out) const {
  return ExchangedAggregation(
      table, adjacency.csr(), split, context, out,
      [this, &context](const kernels::CsrIndex& rows, int64_t first_row, const Tensor& x, Tensor& rows_out) {
        this->rows(rows, first_row, x, context.precision, rows_out);
      });
}

void CopyUAggregation::backward(const Tensor& dy, Precision precision, Tensor& dx) const {
  const kernels::SpmmScaling scaling{row_scale.slice_rows(0, adjacency.csr().num_rows), column_scale};
  if (precision == Precision::kINT8) {
    kernels::qspmm_copy_u_backward(adjacency, quantize_int8_rows(dy, "aggregate_dy"), dx, scaling);
  } else {
    kernels::spmm_copy_u_backward(adjacency, dy, dx, scaling);
  }
}

}  // namespace tango::trainer
