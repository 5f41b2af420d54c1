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
// What forward keeps for backward (trainer/layers/README.md):
//   fp32: H (LinearMap), Z [rows, H*D], the logits before LeakyReLU [E, H], alpha [E, H], alpha after
//         attention dropout [E, H] and its u8 mask (when attention dropout ran).
//   int8: H's INT8 codes and scale (LinearMap), alpha [E, H] in FP32, LeakyReLU's u8 derivative codes
//         [E, H] (1 or 0.2 exactly: the logits' signs), the u8 attention-dropout mask, and Z's halo rows
//         when they came by exchange (they cannot be made locally). Backward makes the rest again with the
//         forward's bits: Z's other rows by one QGEMM from H's and W's codes (exact in int32, every row
//         scaled by s_H s_W), alpha after dropout as alpha times the mask's keep scale (the forward's
//         product). That QGEMM is the one recomputation the rule costs.
//   alpha stays FP32 in both: the edge-softmax backward d_e = alpha (d_alpha - sum_u alpha d_alpha) reads
//   it, and its INT8 codes would change that math (one scale over all edges rounds the weights of nodes of
//   in-degree above ~250 to zero; see above); recomputing it means the logits, LeakyReLU and softmax again.
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

  Tensor forward(Tensor input, const LayerContext& context) override;
  void backward(Tensor d_output, const LayerContext& context, Tensor* d_input) override;
  std::vector<Parameter*> parameters() override {
    return {&linear_.weight(), &attention_src_, &attention_dst_, &bias_};
  }
  int64_t in_features() const override { return linear_.in_features(); }
  int64_t out_features() const override { return mean_heads_ ? head_width_ : heads_ * head_width_; }
  SavedBytes saved_bytes() const override;
  void release_saved() override;
  // The last forward's attention softmax alpha [E, H] (canonical edge order of the part's adjacency with
  // self-loops, before attention dropout) and projected features Z [rows, H*D] (for measurements; Z only
  // after an fp32 forward, int8 keeps none).
  const Tensor& attention() const { return alpha_; }
  const Tensor& projected() const { return z_; }

 private:
  GatAttention attention_precision(const LayerContext& context) const;  // kFP32 unless --precision int8
  // Forward over the destination rows of `rows` (a CSR of owned rows from first_row on, entries from
  // first_entry on): logits, softmax, attention dropout into scores_ / alpha_ / alpha_used_, then the
  // aggregation of z (rows.num_cols rows of z_) into `out` ([rows.num_rows, H*D]). INT8 attention: `z_codes`
  // are those rows' codes when the caller made them (and dropped z_), else they are made here. INT8 keeps
  // LeakyReLU's derivative codes in score_codes_ and the logits in scores_, and no alpha_used_.
  void attend_rows(const kernels::CsrIndex& rows, int64_t first_row, int64_t first_entry, const Tensor& el,
                   const Tensor& er, const LayerContext& context, Tensor& out,
                   const kernels::QTensor* z_codes = nullptr);
  // End of an int8 forward: the logits and Z are dropped, except Z's rows from `exchanged_rows_begin` on
  // (the halo rows that came by exchange).
  void keep_int8_state(int64_t exchanged_rows_begin);

  int index_;
  int heads_;
  int64_t head_width_;
  bool mean_heads_;
  LinearMap linear_;
  Parameter attention_src_;  // a_l [H, D]
  Parameter attention_dst_;  // a_r [H, D]
  Parameter bias_;
  // Forward state for backward (the header's table: fp32 keeps z_, scores_, alpha_used_; int8 keeps
  // z_halo_ and score_codes_ instead).
  Tensor z_;               // [num_rows, H*D]
  Tensor z_halo_;          // int8: Z's rows that came by exchange [num_halo, H*D]
  Tensor scores_;          // el[u] + er[v] per edge, before LeakyReLU [E, H]
  Tensor score_codes_;     // int8: u8 [E, H], LeakyReLU's derivative codes (ops.h activation_codes)
  Tensor alpha_;           // [E, H], the softmax
  Tensor alpha_used_;      // alpha_ after attention dropout (= alpha_ without it): what aggregated Z
  Tensor attention_mask_;  // u8 [E, H] when attention dropout ran
};

}  // namespace tango::trainer
