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

void SageLayer::aggregate(Tensor& table, bool exchange, const LayerContext& context, Tensor& out,
                          const std::function<void()>& meanwhile) {
  const DistGraph& graph = *context.graph;
  auto aggregate_rows = [&](const kernels::CsrIndex& rows, int64_t first_row, const Tensor& x,
                            Tensor& rows_out) {
    const kernels::SpmmScaling scaling{graph.inverse_degree.slice_rows(first_row, first_row + rows.num_rows),
                                       Tensor()};
    if (context.precision == Precision::kINT8) {
      kernels::qspmm_copy_u(rows, quantize_int8(x), rows_out, scaling);
    } else {
      kernels::spmm_copy_u(rows, x, rows_out, scaling);
    }
  };
  if (!exchange) {
    if (meanwhile) meanwhile();
    aggregate_rows(graph.adjacency.csr(), 0, table, out);
    return;
  }
  exchange_and_aggregate(table, graph.adjacency.csr(), graph.adjacency_split, context, out, aggregate_rows,
                         meanwhile);
}

void SageLayer::aggregate_backward(const Tensor& dy, const LayerContext& context, Tensor& dx) {
  const DistGraph& graph = *context.graph;
  if (context.precision == Precision::kINT8) {
    kernels::qspmm_copy_u_backward(graph.adjacency, quantize_int8(dy), dx, mean_scaling(graph));
  } else {
    kernels::spmm_copy_u_backward(graph.adjacency, dy, dx, mean_scaling(graph));
  }
}

Tensor SageLayer::forward(const Tensor& input, const LayerContext& context) {
  const DistGraph& graph = *context.graph;
  const bool first = index_ == 0;
  TANGO_CHECK(input.cols() == in_features() && input.rows() == (first ? graph.num_rows() : graph.num_owned),
              "SAGE layer {} input {} does not fit the part ({} owned, {} halo rows)", index_, input.str(),
              graph.num_owned, graph.num_halo);
  Tensor out = Tensor::empty(DType::kF32, Shape::mat(graph.num_owned, out_features()), graph.device);
  Tensor from_neighbours = Tensor::empty(DType::kF32, out.shape(), graph.device);
  // The root branch needs no halo row: with an exchange it runs while the halo travels.
  auto root = [&] { root_.forward(input.slice_rows(0, graph.num_owned), context.precision, out); };
  if (transform_first()) {
    Tensor z = Tensor::empty(DType::kF32, Shape::mat(graph.num_rows(), out_features()), graph.device);
    if (first) {
      neighbours_.forward(input, context.precision, z);  // halo rows from the halo input features
      aggregate(z, /*exchange=*/false, context, from_neighbours, root);
    } else {
      // The boundary rows first; the inner rows' GEMM and the root branch run while they travel.
      Tensor z_owned = z.slice_rows(0, graph.num_owned);
      auto inner_rows = neighbours_.forward_split(input, graph.num_inner, context.precision, z_owned);
      aggregate(z, /*exchange=*/true, context, from_neighbours, [&] {
        inner_rows();
        root();
      });
    }
  } else {
    Tensor h_all = first ? input : table_from_owned(input, context);
    Tensor mean = Tensor::empty(DType::kF32, Shape::mat(graph.num_owned, in_features()), graph.device);
    aggregate(h_all, /*exchange=*/!first, context, mean, root);
    neighbours_.forward(mean, context.precision, from_neighbours);
  }
  add_into(out, from_neighbours);
  add_bias(out, bias_.value);
  return out;
}

void SageLayer::backward(const Tensor& d_output, const LayerContext& context, Tensor* d_input) {
  const DistGraph& graph = *context.graph;
  const bool first = index_ == 0;
  TANGO_CHECK(!(first && d_input != nullptr), "layer 0 has no input gradient to give");
  bias_grad(d_output, bias_.grad);
  if (transform_first() && first) {
    Tensor dz = Tensor::empty(DType::kF32, Shape::mat(graph.num_rows(), out_features()), graph.device);
    aggregate_backward(d_output, context, dz);
    context.make_progress();
    root_.backward(d_output, context.precision, nullptr);
    context.make_progress();
    neighbours_.backward(dz, context.precision, nullptr);  // dW_neigh = H_all^T dZ_all
    return;
  }
  if (!transform_first() && d_input == nullptr) {
    root_.backward(d_output, context.precision, nullptr);
    neighbours_.backward(d_output, context.precision, nullptr);
    return;
  }
  // The halo-gradient table: dZ (transform first) or A^T D^-1 (dY W_neigh^T) (aggregate first). Its
  // halo rows go home; the root branch (dW_root, dY W_root^T) needs no halo gradient, so it runs while
  // they travel (with overlap; after the exchange otherwise: each result is the same sum either way).
  Tensor d_owned;
  auto root_branch = [&] {
    root_.backward(d_output, context.precision, d_input != nullptr ? &d_owned : nullptr);
  };
  Tensor d_table;
  if (transform_first()) {
    d_table = Tensor::empty(DType::kF32, Shape::mat(graph.num_rows(), out_features()), graph.device);
    // Over the reverse graph 1/deg scales the (owned) columns.
    copy_u_backward_and_return(d_output, graph.adjacency, graph.adjacency_reverse_split, Tensor(),
                               graph.inverse_degree, context, d_table, root_branch);
  } else {
    Tensor d_mean;
    neighbours_.backward(d_output, context.precision, &d_mean);
    d_table = Tensor::empty(DType::kF32, Shape::mat(graph.num_rows(), in_features()), graph.device);
    copy_u_backward_and_return(d_mean, graph.adjacency, graph.adjacency_reverse_split, Tensor(),
                               graph.inverse_degree, context, d_table, root_branch);
  }
  Tensor d_table_owned = d_table.slice_rows(0, graph.num_owned);
  if (transform_first()) {
    Tensor d_from_neighbours;
    neighbours_.backward(d_table_owned, context.precision, d_input != nullptr ? &d_from_neighbours : nullptr);
    if (d_input == nullptr) return;
    add_into(d_owned, d_from_neighbours);
  } else {
    add_into(d_owned, d_table_owned);
  }
  *d_input = d_owned;
}

}  // namespace tango::trainer
