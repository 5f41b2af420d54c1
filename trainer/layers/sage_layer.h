// GraphSAGE layer with the mean aggregator and a root weight (Hamilton et al.; PyG's SAGEConv):
//   Y = H_v W_root + M W_neigh + b,   M = D^-1 A H_all   (A without self-loops, D = global degree)
// Aggregate first: later layers exchange H's halo rows; layer 0 reads the halo input features.
//   backward: dW_root = H_owned^T dY, dW_neigh = M^T dY, db = colsum dY,
//             dH_owned = dY W_root^T + [A^T D^-1 (dY W_neigh^T)]_owned, whose halo rows go home.
// A part holds all in-edges of an owned node, so its local in-degree is its global degree.
// --precision int8: QGEMMs as in LinearMap, QSpMM on the per-tensor INT8 H_all.
#pragma once

#include "trainer/layers/layer.h"
#include "trainer/layers/linear_map.h"

namespace tango::trainer {

class SageLayer : public Layer {
 public:
  SageLayer(int index, int64_t in_features, int64_t out_features, uint64_t seed);

  Tensor forward(const Tensor& input, const LayerContext& context) override;
  void backward(const Tensor& d_output, const LayerContext& context, Tensor* d_input) override;
  std::vector<Parameter*> parameters() override { return {&root_.weight(), &neighbours_.weight(), &bias_}; }
  int64_t in_features() const override { return root_.in_features(); }
  int64_t out_features() const override { return root_.out_features(); }

 private:
  int index_;
  LinearMap root_;
  LinearMap neighbours_;
  Parameter bias_;
};

}  // namespace tango::trainer
