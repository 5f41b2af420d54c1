// GraphSAGE layer with the mean aggregator and a root weight (Hamilton et al.; PyG's SAGEConv):
//   Y = H_v W_root + M W_neigh + b,   M = D^-1 A H_all   (A without self-loops, D = global degree)
// Mean aggregation is linear, so M W_neigh = D^-1 A (H_all W_neigh): the order is free, and like
// GcnLayer the layer transforms first when F_in > F_out (fewer columns to aggregate and to send):
//   forward:  Z = H W_neigh (layer 0: all rows locally, from the halo input features; later: owned
//             rows, then the halo rows of Z arrive by exchange, F_out wide);  Y = H_v W_root + D^-1 A Z + b
//   backward: dZ_all = A^T D^-1 dY; later layers send the halo rows of dZ home (F_out wide, summed
//             there); dW_neigh = H^T dZ (layer 0: over owned + halo rows, so no exchange);
//             dW_root = H_owned^T dY; dH_owned = dY W_root^T + dZ_owned W_neigh^T
// Aggregate first otherwise: later layers exchange H's halo rows (F_in wide); layer 0 reads the halo
// input features.
//   backward: dW_root = H_owned^T dY, dW_neigh = M^T dY, db = colsum dY,
//             dH_owned = dY W_root^T + [A^T D^-1 (dY W_neigh^T)]_owned, whose halo rows go home.
// With context.overlap, backward aggregates the halo rows of its gradient table first and sends them;
// the owned rows and the root branch are computed while they travel (bit-identical). Forward (layers > 0)
// overlaps the exchange with the root branch and, transforming first, the inner rows' H W_neigh (the
// boundary rows, which other ranks need, are transformed before the post).
// A part holds all in-edges of an owned node, so its local in-degree is its global degree.
// --precision int8: QGEMMs as in LinearMap, QSpMM on the per-tensor INT8 aggregated operand.
#pragma once

#include "trainer/layers/layer.h"
#include "trainer/layers/linear_map.h"
#include "trainer/layers/overlap_schedule.h"

namespace tango::trainer {

class SageLayer : public Layer {
 public:
  SageLayer(int index, int64_t in_features, int64_t out_features, uint64_t seed);

  Tensor forward(Tensor input, const LayerContext& context) override;
  void backward(Tensor d_output, const LayerContext& context, Tensor* d_input) override;
  SavedBytes saved_bytes() const override {
    SavedBytes saved = root_.saved_bytes();
    saved += neighbours_.saved_bytes();
    return saved;
  }
  void release_saved() override {
    root_.release_saved();
    neighbours_.release_saved();
  }
  std::vector<Parameter*> parameters() override { return {&root_.weight(), &neighbours_.weight(), &bias_}; }
  int64_t in_features() const override { return root_.in_features(); }
  int64_t out_features() const override { return root_.out_features(); }
  bool transform_first() const { return in_features() > out_features(); }

 private:
  int index_;
  LinearMap root_;
  LinearMap neighbours_;
  Parameter bias_;
};

}  // namespace tango::trainer
