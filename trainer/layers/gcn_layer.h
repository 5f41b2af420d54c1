// GCN layer (Kipf & Welling) over a rank's part: Y = S A S H W + b, with A the local adjacency plus
// self-loops (rows owned, columns owned + halo) and S = diag(d~^-1/2), d~ = global degree + 1.
//
// GEMM first when F_in > F_out (fewer columns to aggregate and to send):
//   forward:  Z = H W (layer 0: all rows locally, from the halo input features; later: the boundary
//             rows, then the inner rows' GEMM runs while Z's halo rows arrive);  Y = S_v A (S_u Z) + b
//   backward: dZ_all = S_u A^T (S_v dY); later layers send the halo rows of dZ home (summed there);
//             dW = H^T dZ (layer 0: over owned + halo rows, so no exchange); dH = dZ_owned W^T
// Aggregate first otherwise:
//   forward:  exchange H's halo rows (not at layer 0);  M = S_v A S_u H_all;  Y = M W + b
//   backward: dM = dY W^T; dH_all = S_u A^T S_v dM; halo rows of dH go home; dW = M^T dY.
// Backward overlap (--overlap, layers > 0): the halo rows of dZ / dH are aggregated first and sent,
// then the owned rows (and, aggregating first, dW) are computed while they travel; bit-identical.
// --precision int8: every GEMM is a QGEMM on per-tensor INT8 operands (H and W cached for backward),
// every SpMM a QSpMM on the INT8 aggregated operand (forward per tensor, Tango's rule; backward dY per
// row: copy_u_aggregation.h); bias in FP32.
#pragma once

#include "trainer/layers/layer.h"
#include "trainer/layers/linear_map.h"
#include "trainer/layers/overlap_schedule.h"

namespace tango::trainer {

class GcnLayer : public Layer {
 public:
  GcnLayer(int index, int64_t in_features, int64_t out_features, uint64_t seed);

  Tensor forward(Tensor input, const LayerContext& context) override;
  void backward(Tensor d_output, const LayerContext& context, Tensor* d_input) override;
  SavedBytes saved_bytes() const override { return linear_.saved_bytes(); }
  void release_saved() override { linear_.release_saved(); }
  std::vector<Parameter*> parameters() override { return {&linear_.weight(), &bias_}; }
  int64_t in_features() const override { return linear_.in_features(); }
  int64_t out_features() const override { return linear_.out_features(); }
  bool gemm_first() const { return in_features() > out_features(); }

 private:
  int index_;
  LinearMap linear_;  // multiplies H (GEMM first) or M (aggregate first) by W
  Parameter bias_;
};

}  // namespace tango::trainer
