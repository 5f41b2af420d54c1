// GAT layer (Velickovic et al.; PyG's GATConv) over a rank's part, H heads of width D:
//   Z = H W ([rows, H*D]);  el[u] = <Z[u,h], a_l[h]>,  er[v] = <Z[v,h], a_r[h]>  (per head)
//   e_vu = LeakyReLU_0.2(el[u] + er[v]);  alpha = softmax of e over the in-edges of v (self-loop included)
//   out[v,h] = sum_u alpha_vu Z[u,h];  Y = concat_h out (hidden layers) or mean_h out (output) + b
// Z's halo rows: at layer 0 from the halo input features (no exchange), later by exchange; el of halo
// rows is then computed locally, so every edge's logit is computed on the rank owning its destination.
// Backward: dZ_all = A_alpha^T d_out + d_el a_l (+ d_er a_r on owned rows); d_alpha -> edge-softmax
// backward -> LeakyReLU backward -> d_el, d_er; da_l = sum_u d_el[u] Z[u]; halo rows of dZ go home.
// --precision int8: W by QGEMM (LinearMap); the aggregation follows --gat-attention: fp32 keeps it in
// FP32; per-tensor quantizes Z and alpha with one scale each (Tango's rule, which crushes the small
// attention weights of high-degree nodes: alpha ~ 1/in-degree gets ~127/degree levels); per-row keeps
// Z per-tensor and gives alpha one scale per destination row (kernels/edge_quantize.h), applied as the
// QSpMM's row scale forward and its source scale backward.
//
// Layers > 0 of a multi-rank run work row range by row range (trainer/dist_graph.h's splits), so that the
// halo exchanges overlap computation (--overlap; without it the exchange is waited for at once and the
// same calls follow, so both give the same bits):
//   forward:  Z of the boundary rows, post them; the inner rows' Z, el/er of the owned rows, then the
//             inner rows' logits, softmax, dropout and aggregation (no halo column); wait; el of the halo
//             rows; the boundary rows.
//   backward: the boundary rows' d_alpha, softmax and LeakyReLU backward (every edge from a halo row ends
//             in one), then dZ's halo rows (A_alpha^T d_out + d_el a_l over the reverse CSR's halo rows),
//             posted home; while they travel the inner rows' edge gradients, dZ's owned rows, d_er and
//             the attention vectors' gradients; wait (the returned rows are added to finished ones).
// Every row's attention and aggregation sums are the whole-graph kernels' sums in the same order; the FP32
// GEMM in two row ranges is not bit-identical to one call (OpenBLAS), hence the same calls without overlap.
// INT8 per-tensor operands take one scale per range (the inner rows' Z scale comes from the owned rows
// only, as in GCN; per-tensor alpha one scale per range).
#pragma once

#include "trainer/layers/layer.h"
#include "trainer/layers/linear_map.h"

namespace tango::trainer {

class GatLayer : public Layer {
 public:
  // mean_heads: average the heads (output layer) instead of concatenating them.
  GatLayer(int index, int64_t in_features, int heads, int64_t head_width, bool mean_heads, uint64_t seed);

  Tensor forward(const Tensor& input, const LayerContext& context) override;
  void backward(const Tensor& d_output, const LayerContext& context, Tensor* d_input) override;
  std::vector<Parameter*> parameters() override {
    return {&linear_.weight(), &attention_src_, &attention_dst_, &bias_};
  }
  int64_t in_features() const override { return linear_.in_features(); }
  int64_t out_features() const override { return mean_heads_ ? head_width_ : heads_ * head_width_; }
  // The last forward's attention softmax alpha [E, H] (canonical edge order of the part's adjacency with
  // self-loops, before attention dropout) and projected features Z [rows, H*D] (for measurements).
  const Tensor& attention() const { return alpha_; }
  const Tensor& projected() const { return z_; }

 private:
  GatAttention attention_precision(const LayerContext& context) const;  // kFP32 unless --precision int8
  // Forward over the destination rows of `rows` (a CSR of owned rows from first_row on, entries from
  // first_entry on): logits, softmax, attention dropout into scores_ / alpha_ / alpha_used_, then the
  // aggregation of z (rows.num_cols rows of z_) into `out` ([rows.num_rows, H*D]).
  void attend_rows(const kernels::CsrIndex& rows, int64_t first_row, int64_t first_entry, const Tensor& el,
                   const Tensor& er, const LayerContext& context, Tensor& out);

  int index_;
  int heads_;
  int64_t head_width_;
  bool mean_heads_;
  LinearMap linear_;
  Parameter attention_src_;  // a_l [H, D]
  Parameter attention_dst_;  // a_r [H, D]
  Parameter bias_;
  // Forward state for backward.
  Tensor z_;               // [num_rows, H*D]
  Tensor scores_;          // el[u] + er[v] per edge, before LeakyReLU [E, H]
  Tensor alpha_;           // [E, H], the softmax
  Tensor alpha_used_;      // alpha_ after attention dropout (= alpha_ without it): what aggregated Z
  Tensor attention_mask_;  // u8 [E, H] when attention dropout ran
};

}  // namespace tango::trainer
