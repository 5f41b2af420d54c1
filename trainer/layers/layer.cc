#include "trainer/layers/layer.h"

#include <cmath>

#include "io/counter_rng.h"

namespace tango::trainer {

void glorot_init(Tensor& weight, int64_t fan_in, int64_t fan_out, uint64_t seed, int layer, int tensor_id) {
  const double bound = std::sqrt(6.0 / static_cast<double>(fan_in + fan_out));
  const uint64_t stream = 0x1000 + static_cast<uint64_t>(layer) * 64 + static_cast<uint64_t>(tensor_id);
  float* w = weight.data<float>();
  for (int64_t i = 0; i < weight.numel(); ++i) {
    io::CounterRng rng(seed, stream, static_cast<uint64_t>(i));
    w[i] = static_cast<float>((2.0 * rng.uniform() - 1.0) * bound);
  }
}

Parameter make_parameter(std::string name, Shape shape) {
  Parameter p;
  p.name = std::move(name);
  p.value = Tensor::zeros(DType::kF32, shape);
  p.grad = Tensor::zeros(DType::kF32, shape);
  return p;
}

Tensor table_from_owned(const Tensor& owned, const LayerContext& context) {
  const DistGraph& graph = *context.graph;
  if (graph.num_halo == 0 && owned.rows() == graph.num_owned) return owned;  // nothing to add: no copy
  Tensor table = Tensor::empty(DType::kF32, Shape::mat(graph.num_rows(), owned.cols()), owned.device());
  Tensor owned_rows = table.slice_rows(0, graph.num_owned);
  owned_rows.copy_from(owned.slice_rows(0, graph.num_owned));
  return table;
}

}  // namespace tango::trainer
