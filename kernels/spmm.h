// SpMM over a CSR (kernels/sparse_graph.h): neighbour aggregation with sum, in FP32 and quantized (QSpMM).
//
//   copy_u:   out[r, :]    = row_scale[r] * sum_{(r,c)} src_scale[c] * x[c, :]
//   u_mul_e:  out[r, h, :] = sum_{(r,c) = edge e} e[e, h] * x[c, h, :]      (GAT: x is N x (H*D), e is E x H)
//
// QSpMM takes INT8 x (and INT8 e) with their scales and accumulates in FP32; the scale product is applied
// once per output row (per-tensor scales) or per gathered row (per-row x scales), so
//   out = s_x * s_e * sum(e_q * x_q)   exactly as Tango's alpha, never a scale taken from another tensor.
// Per-row x scales exist for halo rows that arrive with one scale per row (comm codecs); a per-row scale
// costs one extra f32 load per edge. Edge values take one scale per tensor (Tango's rule).
//
// GCN's D^-1/2 normalisation and GraphSAGE's 1/deg are the optional row_scale / src_scale vectors
// (f32, fused into the same pass, both backends, FP32 and INT8): the adjacency values stay exact ones.
//
// Backward (rows of the reverse graph, csr_t): dX = A^T dY, with the two scaling vectors swapping roles;
// for u_mul_e also dE[e, h] = <dY[r, h, :], x[c, h, :]> (an SDDMM u_dot_v). The INT8 backward takes the
// quantized dY with its own scale: dX's alpha is s_dY * s_e (Tango's bug 1 used s_x * s_e).
#pragma once

#include "core/tensor.h"
#include "kernels/qtensor.h"
#include "kernels/sparse_graph.h"

namespace tango::kernels {

// Optional f32 vectors (undefined = none), on the graph's device.
struct SpmmScaling {
  Tensor row_scale;  // [adj.num_rows]
  Tensor src_scale;  // [adj.num_cols]
};

// --- Forward ------------------------------------------------------------------------------------
// x: f32 [adj.num_cols, W]; out: f32 [adj.num_rows, W].
void spmm_copy_u(const CsrIndex& adj, const Tensor& x, Tensor& out, const SpmmScaling& scaling = {});
// x: i8 [adj.num_cols, W] with scales [1] or [num_cols]; out: f32 [adj.num_rows, W].
void qspmm_copy_u(const CsrIndex& adj, const QTensor& x, Tensor& out, const SpmmScaling& scaling = {});
// x: f32 [num_cols, H*D]; edge: f32 [num_edges, H] in canonical edge order; out: f32 [num_rows, H*D].
void spmm_u_mul_e(const CsrIndex& adj, const Tensor& x, const Tensor& edge, Tensor& out);
// x: i8 with scales [1] or [num_cols]; edge: i8 [num_edges, H] with scales [1].
void qspmm_u_mul_e(const CsrIndex& adj, const QTensor& x, const QTensor& edge, Tensor& out);
// x as above; edge from quantize_edges_per_row (kernels/edge_quantize.h): i8 [num_edges, H] with one
// scale per destination row, scales [adj.num_rows]. out[r] = s_x * s_e[r] * sum e_q * x_q: the row's edge
// scale is the row_scale factor of the same kernel (so GAT's per-row attention needs no other kernel).
void qspmm_u_mul_e_row_scaled(const CsrIndex& adj, const QTensor& x, const QTensor& edge, Tensor& out);

// GraphSAGE mean aggregation: out = D^-1 A x (row_scale = g.inverse_in_degree()).
void spmm_mean(const SparseGraph& g, const Tensor& x, Tensor& out);
void qspmm_mean(const SparseGraph& g, const QTensor& x, Tensor& out);

// --- Backward (over g.csr_t()) ------------------------------------------------------------------
// dx = (row_scale A src_scale)^T dy.   dy: [g.num_rows, W]; dx: [g.num_cols, W].
void spmm_copy_u_backward(const SparseGraph& g, const Tensor& dy, Tensor& dx,
                          const SpmmScaling& scaling = {});
void qspmm_copy_u_backward(const SparseGraph& g, const QTensor& dy, Tensor& dx,
                           const SpmmScaling& scaling = {});
void spmm_mean_backward(const SparseGraph& g, const Tensor& dy, Tensor& dx);
void qspmm_mean_backward(const SparseGraph& g, const QTensor& dy, Tensor& dx);
// dx = A_e^T dy and d_edge = SDDMM-dot(x, dy). d_edge may be left undefined to skip it.
void spmm_u_mul_e_backward(const SparseGraph& g, const Tensor& x, const Tensor& edge, const Tensor& dy,
                           Tensor& dx, Tensor& d_edge);
// INT8: reuses the cached quantized x and edge of the forward ("caching") and a quantized dy.
void qspmm_u_mul_e_backward(const SparseGraph& g, const QTensor& x, const QTensor& edge, const QTensor& dy,
                            Tensor& dx, Tensor& d_edge);
// The same with per-destination-row edge scales (scales [g.num_rows]): over csr_t the forward
// destination is the column, so s_e becomes the src_scale factor; dx's alpha is s_dy.
void qspmm_u_mul_e_row_scaled_backward(const SparseGraph& g, const QTensor& x, const QTensor& edge,
                                       const QTensor& dy, Tensor& dx, Tensor& d_edge);
// Its dx half alone over `reverse`: g.csr_t() or a row range of it (trainer/dist_graph.h, ReverseSplit),
// whose columns are the forward destinations that edge.scales ([reverse.num_cols]) is indexed by.
void qspmm_u_mul_e_row_scaled_transposed(const CsrIndex& reverse, const QTensor& dy, const QTensor& edge,
                                         Tensor& dx);

}  // namespace tango::kernels
