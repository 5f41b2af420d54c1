// The copy_u aggregation GCN and SAGE share, out = S_v A S_u x, differing only by the graph and the
// scales: GCN A + I with S_v = S_u = (degree + 1)^-1/2 (gcn_norm), SAGE A with S_v = D^-1 and no S_u.
// Forward over a CSR's rows, forward with the table's halo rows filled by exchange, and the backward
// dx = S_u A^T S_v dy. --precision int8 aggregates INT8 operands (telemetry operands "aggregate_x" /
// "aggregate_dy"): x per tensor (Tango's rule), dy with ONE SCALE PER ROW. dy's rows, one per node, span
// orders of magnitude on power-law graphs (largest at hubs), and one scale zeroed most of them: 300k-node
// graph, 3-layer SAGE, epoch 5, telemetry: 61-86 % all-zero rows, relative error 0.38-0.41, and int8
// trailed fp32 by 1.08 pp after 40 epochs. A row's scale multiplies that gathered row in the QSpMM
// (kernels/spmm.h: one f32 load per edge), so the sum stays exact per row.
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
