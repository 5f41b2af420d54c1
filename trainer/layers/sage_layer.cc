#include "trainer/layers/sage_layer.h"

#include "kernels/spmm.h"
#include "trainer/ops.h"

namespace tango::trainer {
namespace {

kernels::SpmmScaling mean_scaling(const DistGraph& graph) {
  return {graph.inverse_degree, Tensor()};
}

}  // namespace

SageLayer::SageLayer(int index, int64_t in_features, int64_t out_features, uint64_t seed)
    : index_(index),
      root_(fmt::format("layer{}.root_weight", index), in_features, out_features, seed, index, 0),
      neighbours_(fmt::format("layer{}.neighbour_weight", index), in_features, out_features, seed, index, 1),
      bias_(make_parameter(fmt::format("layer{}.bias", index), Shape::vec(out_features))) {}

Tensor SageLayer::forward(const Tensor& input, const LayerContext& context) {
  const DistGraph& graph = *context.graph;
  const bool first = index_ == 0;
  TANGO_CHECK(input.cols() == in_features() && input.rows() == (first ? graph.num_rows() : graph.num_owned),
              "SAGE layer {} input {} does not fit the part ({} owned, {} halo rows)", index_, input.str(),
              graph.num_owned, graph.num_halo);
  Tensor h_all = first ? input : table_from_owned(input, context);
  Tensor h_owned = h_all.slice_rows(0, graph.num_owned);
  Tensor mean = Tensor::empty(DType::kF32, Shape::mat(graph.num_owned, in_features()), graph.device);
  auto aggregate_rows = [&](const kernels::CsrIndex& rows, int64_t first_row, const Tensor& x, Tensor& out) {
    const kernels::SpmmScaling scaling{graph.inverse_degree.slice_rows(first_row, first_row + rows.num_rows),
                                       Tensor()};
    if (context.precision == Precision::kINT8) {
      kernels::qspmm_copy_u(rows, quantize_int8(x), out, scaling);
    } else {
      kernels::spmm_copy_u(rows, x, out, scaling);
    }
  };
  if (first) {
    aggregate_rows(graph.adjacency.csr(), 0, h_all, mean);
  } else {
    exchange_and_aggregate(h_all, graph.adjacency.csr(), graph.adjacency_split, context, mean,
                           aggregate_rows);
  }
  Tensor out = Tensor::empty(DType::kF32, Shape::mat(graph.num_owned, out_features()), graph.device);
  Tensor from_neighbours = Tensor::empty(DType::kF32, out.shape(), graph.device);
  root_.forward(h_owned, context.precision, out);
  neighbours_.forward(mean, context.precision, from_neighbours);
  add_into(out, from_neighbours);
  add_bias(out, bias_.value);
  return out;
}

void SageLayer::backward(const Tensor& d_output, const LayerContext& context, Tensor* d_input) {
  const DistGraph& graph = *context.graph;
  TANGO_CHECK(!(index_ == 0 && d_input != nullptr), "layer 0 has no input gradient to give");
  bias_grad(d_output, bias_.grad);
  if (d_input == nullptr) {
    root_.backward(d_output, context.precision, nullptr);
    neighbours_.backward(d_output, context.precision, nullptr);
    return;
  }
  Tensor d_owned, d_mean;
  root_.backward(d_output, context.precision, &d_owned);
  neighbours_.backward(d_output, context.precision, &d_mean);
  Tensor d_all = Tensor::empty(DType::kF32, Shape::mat(graph.num_rows(), in_features()), graph.device);
  if (context.precision == Precision::kINT8) {
    kernels::qspmm_copy_u_backward(graph.adjacency, quantize_int8(d_mean), d_all, mean_scaling(graph));
  } else {
    kernels::spmm_copy_u_backward(graph.adjacency, d_mean, d_all, mean_scaling(graph));
  }
  return_halo_gradients(d_all, context);
  add_into(d_owned, d_all.slice_rows(0, graph.num_owned));
  *d_input = d_owned;
}

}  // namespace tango::trainer
