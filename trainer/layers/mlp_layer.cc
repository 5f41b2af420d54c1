#include "trainer/layers/mlp_layer.h"

#include "trainer/ops.h"

namespace tango::trainer {

MlpLayer::MlpLayer(int index, int64_t in_features, int64_t out_features, uint64_t seed)
    : linear_(fmt::format("layer{}.weight", index), in_features, out_features, seed, index, 0),
      bias_(make_parameter(fmt::format("layer{}.bias", index), Shape::vec(out_features))) {}

Tensor MlpLayer::forward(Tensor input, const LayerContext& context) {
  const int64_t owned = context.graph->num_owned;
  Tensor out = Tensor::empty(DType::kF32, Shape::mat(owned, out_features()), context.graph->device);
  linear_.forward(input.slice_rows(0, owned), context.precision, out);  // layer 0's halo rows unused
  add_bias(out, bias_.value);
  return out;
}

void MlpLayer::backward(Tensor d_output, const LayerContext& context, Tensor* d_input) {
  bias_grad(d_output, bias_.grad);
  linear_.backward(d_output, context, d_input);
}

}  // namespace tango::trainer
