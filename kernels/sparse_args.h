// Plain-pointer argument blocks of the sparse primitives, filled by the dispatch files (kernels/spmm.cc,
// kernels/sddmm.cc, kernels/edge_softmax.cc) after their checks and handed to the CPU or CUDA backend.
// All pointers live on the device that runs the kernel. Scale pointers are read inside the kernels, so a
// GPU caller never synchronises to learn a scale. The per-element rules both backends use are the
// TANGO_HD helpers below.
#pragma once

#include <cstdint>

#include "kernels/hd.h"

namespace tango::kernels {

// A node-feature operand: FP32, or INT8 with one scale per tensor or one per row.
struct DenseOperand {
  const float* f32 = nullptr;
  const int8_t* i8 = nullptr;
  const float* scale = nullptr;  // INT8 only: [1] or [rows]
  bool scale_per_row = false;
};

// Scale of row `row` of an operand (1 for FP32).
TANGO_HD inline float operand_scale(const DenseOperand& op, int64_t row) {
  if (op.scale == nullptr) return 1.0f;
  return op.scale_per_row ? op.scale[row] : op.scale[0];
}

// The CSR an op walks (rows = destinations, indices = sources), see kernels/sparse_graph.h.
struct CsrView {
  int64_t num_rows = 0;
  const int64_t* indptr = nullptr;
  const int32_t* indices = nullptr;
  const int32_t* edge_ids = nullptr;  // nullptr: entry p is canonical edge p
};

TANGO_HD inline int64_t canonical_edge(const CsrView& csr, int64_t entry) {
  return csr.edge_ids == nullptr ? entry : csr.edge_ids[entry];
}

// out[r, h*D + d] = row_scale[r] * sum_{p in row r} src_scale[c] * s_x(c) * s_e * e[eid(p), h] * x[c, h*D +
// d] with c = indices[p]; any factor whose pointer is null is 1; no edge operand means e = 1 and H = 1.
struct SpmmArgs {
  CsrView csr;
  int32_t heads = 1;
  int64_t head_dim = 0;              // D; row width of x and out is heads * head_dim
  DenseOperand x;                    // [num_cols, heads * head_dim]
  DenseOperand edge;                 // [num_edges, heads] (per-tensor scale only) or empty for copy_u
  const float* row_scale = nullptr;  // [num_rows]
  const float* src_scale = nullptr;  // [num_cols]
  float* out = nullptr;              // [num_rows, heads * head_dim]
};

// Edge-wise ops: for entry p = (r, c) of the CSR, e = canonical edge id,
//   add: out[e, h] = s_u(c) u[c, h] + s_v(r) v[r, h]                       (u, v: [*, heads])
//   dot: out[e, h] = s_u(c) s_v(r) sum_d u[c, h*D + d] v[r, h*D + d]       (u, v: [*, heads * D])
enum class SddmmOp { kAdd, kDot };
struct SddmmArgs {
  CsrView csr;
  SddmmOp op = SddmmOp::kAdd;
  int32_t heads = 1;
  int64_t head_dim = 1;  // 1 for kAdd
  DenseOperand u;        // source side, indexed by column id
  DenseOperand v;        // destination side, indexed by row id
  float* out = nullptr;  // [num_edges, heads]
};

// out[r, :] = sum_{p in row r} s_z * z[eid(p), :]   (z: [num_edges, width]); the u_add_v backward.
struct EdgeSegmentSumArgs {
  CsrView csr;
  int64_t width = 0;
  DenseOperand z;  // per-tensor scale only
  float* out = nullptr;
};

// Softmax over each row's entries, per head (scores and out: [num_edges, heads], canonical order).
struct EdgeSoftmaxArgs {
  CsrView csr;
  int32_t heads = 1;
  const float* scores = nullptr;  // forward input
  const float* probs = nullptr;   // backward: the forward output
  const float* grad_probs = nullptr;
  float* out = nullptr;  // forward: probs; backward: grad of scores
};

// INT8 edge values with one scale per CSR row (kernels/edge_quantize.h): for entry p of row r,
//   scales[r] = max |edge[eid(p'), h]| over the row's entries p' and heads h, / 127 (1 when 0)
//   values[eid(p), h] = code of edge[eid(p), h] under scales[r]   (kernels/edge_quant_math.h)
struct EdgeRowQuantizeArgs {
  CsrView csr;
  int32_t heads = 1;
  const float* edge = nullptr;  // [num_edges, heads]
  int8_t* values = nullptr;     // [num_edges, heads]
  float* scales = nullptr;      // [num_rows]
};

}  // namespace tango::kernels
