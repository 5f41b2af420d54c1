// INT8 edge values (GAT's attention coefficients alpha, [num_edges, H] in canonical edge order) with one
// scale per DESTINATION row of a CSR:
//   scale[r]        = max |e[eid(p), h]| over the entries p of row r and all heads h, / 127 (1 when 0)
//   q[eid(p), h]    = clamp(rint(e[eid(p), h] / scale[r]), -127, 127)      (kernels/edge_quant_math.h)
// Why: alpha of a node with in-degree d is about 1/d per edge, while the largest alpha anywhere (a
// low-degree node's) is near 1. One scale per tensor (Tango's rule) leaves a degree-d row ~127/d levels
// and rounds rows of d > 254 to zero; the row's own scale keeps all 127 levels of its own range.
// Every edge belongs to exactly one destination row, so a row's scale depends on that row only: K ranks
// that own the row compute the scale 1 rank computes.
// The QTensor's scales are [adj.num_rows] (not QTensor's usual one-per-row-of-values): it is meant for
// qspmm_u_mul_e_row_scaled and its backward (kernels/spmm.h), which apply scale[r] to row r's sum.
#pragma once

#include "core/tensor.h"
#include "kernels/qtensor.h"
#include "kernels/sparse_graph.h"

namespace tango::kernels {

// Uninitialised values i8 [adj.num_entries(), heads] and scales f32 [adj.num_rows] on adj's device.
QTensor make_edge_row_qtensor(const CsrIndex& adj, int64_t heads);
// edge: f32 [adj.num_entries(), H] on adj's device; out from make_edge_row_qtensor(adj, H).
void quantize_edges_per_row(const CsrIndex& adj, const Tensor& edge, QTensor& out);

}  // namespace tango::kernels
