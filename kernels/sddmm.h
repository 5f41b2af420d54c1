// SDDMM over a CSR (kernels/sparse_graph.h): one value per edge and head, from the features of the edge's
// two end nodes. For the entry (r, c) of `adj` (c = source u, r = destination v), with e its canonical id:
//
//   u_add_v:  out[e, h] = u[c, h] + v[r, h]                      GAT attention logits (el[u] + er[v])
//   u_dot_v:  out[e, h] = sum_d u[c, h*D + d] * v[r, h*D + d]    HGT scores, link prediction, dE of u_mul_e
//
// INT8 variants take each operand with its own scale ([1] or one per row): u_add_v dequantizes each operand
// and adds in FP32 (mixed scales make this the only correct add); u_dot_v accumulates int8 products in
// int32 and multiplies by s_u * s_v once. The output is FP32, [num_edges, H], in canonical edge order.
// LeakyReLU and the other elementwise ops stay with the dense elementwise kernels.
//
// Backward:
//   u_add_v:  du[c, h] = sum of dz over c's out-edges,  dv[r, h] = sum of dz over r's in-edges.
//             Two algorithms (Tango's ablation): kSegmentSum walks the CSR / reverse CSR and sums the
//             edge rows directly; kIncidenceSpmm runs the generic (Q)SpMM over the node x edge incidence
//             matrices. Both are exact in FP32; measured by bench/sddmm_bench.
//   u_dot_v:  du = A_dz^T v and dv = A_dz u (two u_mul_e SpMMs with the edge values dz).
#pragma once

#include "core/tensor.h"
#include "kernels/qtensor.h"
#include "kernels/sparse_graph.h"

namespace tango::kernels {

// u: f32 [adj.num_cols, H]; v: f32 [adj.num_rows, H]; out: f32 [adj.num_entries(), H].
void sddmm_u_add_v(const CsrIndex& adj, const Tensor& u, const Tensor& v, Tensor& out);
void qsddmm_u_add_v(const CsrIndex& adj, const QTensor& u, const QTensor& v, Tensor& out);
// u: [adj.num_cols, H*D]; v: [adj.num_rows, H*D]; out: f32 [adj.num_entries(), H] (H = out.cols()).
void sddmm_u_dot_v(const CsrIndex& adj, const Tensor& u, const Tensor& v, Tensor& out);
void qsddmm_u_dot_v(const CsrIndex& adj, const QTensor& u, const QTensor& v, Tensor& out);

enum class EdgeReduceAlgo { kSegmentSum, kIncidenceSpmm };

// out[r, :] = sum of z[e, :] over the entries e of row r of `adj` (z in canonical edge order).
void edge_segment_sum(const CsrIndex& adj, const Tensor& z, Tensor& out);
// INT8 z with one scale per tensor: out = s_z * sum z_q.
void qedge_segment_sum(const CsrIndex& adj, const QTensor& z, Tensor& out);

// dz: [E, H]; du: [g.num_cols, H]; dv: [g.num_rows, H]. Either output may be undefined to skip it.
void sddmm_u_add_v_backward(const SparseGraph& g, const Tensor& dz, Tensor& du, Tensor& dv,
                            EdgeReduceAlgo algo = EdgeReduceAlgo::kSegmentSum);
void qsddmm_u_add_v_backward(const SparseGraph& g, const QTensor& dz, Tensor& du, Tensor& dv,
                             EdgeReduceAlgo algo = EdgeReduceAlgo::kSegmentSum);
// dz: [E, H]; u, du: [g.num_cols, H*D]; v, dv: [g.num_rows, H*D].
void sddmm_u_dot_v_backward(const SparseGraph& g, const Tensor& u, const Tensor& v, const Tensor& dz,
                            Tensor& du, Tensor& dv);
// INT8: cached u_q, v_q and a quantized dz (one scale per tensor).
void qsddmm_u_dot_v_backward(const SparseGraph& g, const QTensor& u, const QTensor& v, const QTensor& dz,
                             Tensor& du, Tensor& dv);

}  // namespace tango::kernels
