// The copy_u aggregation GCN and SAGE share, out = S_v A S_u x, differing only by the graph and the
// scales: GCN A + I with S_v = S_u = (degree + 1)^-1/2 (gcn_norm), SAGE A with S_v = D^-1 and no S_u.
// Forward over a CSR's rows, forward with the table's halo rows filled by exchange, and the backward
// dx = S_u A^T S_v dy. --precision int8 aggregates the per-tensor INT8 operand (Tango's rule; telemetry
// operands "aggregate_x" / "aggregate_dy").
#pragma once

#include <cstdint>

#include "core/tensor.h"
#include "kernels/sparse_graph.h"
#include "trainer/dist_graph.h"
#include "trainer/layers/layer.h"
#include "trainer/layers/overlap_schedule.h"

namespace tango::trainer {

struct CopyUAggregation {
  const kernels::SparseGraph& adjacency;  // owned x (owned + halo)
  const RowSplit& split;                  // of adjacency.csr()
  Tensor row_scale;                       // S_v: [num_owned] or more (only owned rows are read)
  Tensor column_scale;                    // S_u: [num_owned + num_halo], or undefined for none

  static CopyUAggregation gcn(const DistGraph& graph);   // A + I, gcn_norm on both sides
  static CopyUAggregation mean(const DistGraph& graph);  // A, D^-1 on the destination side

  // Rows [first_row, first_row + rows.num_rows) of out over the CSR `rows` (x has rows.num_cols rows).
  void rows(const kernels::CsrIndex& rows, int64_t first_row, const Tensor& x, Precision precision,
            Tensor& out) const;
  // All owned rows of out, the table's halo rows filled from their owners (overlap_schedule.h).
  ExchangedAggregation exchanged(Tensor& table, const LayerContext& context, Tensor& out) const;
  // dx = S_u A^T S_v dy ([num_owned, F] -> [num_owned + num_halo, F]).
  void backward(const Tensor& dy, Precision precision, Tensor& dx) const;
};

}  // namespace tango::trainer
