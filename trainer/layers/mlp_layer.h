// The features-only baseline layer: Y = H_owned W + b, no graph and no exchange. An MLP run beside a
// GNN run on the same parts shows what the graph adds (make demo prints both).
#pragma once

#include "trainer/layers/layer.h"
#include "trainer/layers/linear_map.h"

namespace tango::trainer {

class MlpLayer : public Layer {
 public:
  MlpLayer(int index, int64_t in_features, int64_t out_features, uint64_t seed);

  Tensor forward(Tensor input, const LayerContext& context) override;
  void backward(Tensor d_output, const LayerContext& context, Tensor* d_input) override;
  SavedBytes saved_bytes() const override { return linear_.saved_bytes(); }
  void release_saved() override { linear_.release_saved(); }
  std::vector<Parameter*> parameters() override { return {&linear_.weight(), &bias_}; }
  int64_t in_features() const override { return linear_.in_features(); }
  int64_t out_features() const override { return linear_.out_features(); }

 private:
  LinearMap linear_;
  Parameter bias_;
};

}  // namespace tango::trainer
