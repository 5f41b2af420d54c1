#include "trainer/layers/sage_layer.h"

#include "trainer/layers/copy_u_aggregation.h"
#include "trainer/ops.h"

namespace tango::trainer {

SageLayer::SageLayer(int index, int64_t in_features, int64_t out_features, uint64_t seed)
    : index_(index),
      root_(fmt::format("layer{}.root_weight", index), in_features, out_features, seed, index, 0),
      neighbours_(fmt::format("layer{}.neighbour_weight", index), in_features, out_features, seed, index, 1),
      bias_(make_parameter(fmt::format("layer{}.bias", index), Shape::vec(out_features))) {}

Tensor SageLayer::forward(Tensor input, const LayerContext& context) {
  const DistGraph& graph = *context.graph;
  const bool first = index_ == 0;
  TANGO_CHECK(input.cols() == in_features() && input.rows() == (first ? graph.num_rows() : graph.num_owned),
              "SAGE layer {} input {} does not fit the part ({} owned, {} halo rows)", index_, input.str(),
              graph.num_owned, graph.num_halo);
  const Precision precision = context.precision;
  const CopyUAggregation copy_u = CopyUAggregation::mean(graph);
  const kernels::CsrIndex& whole = graph.adjacency.csr();
  Tensor h_owned = input.slice_rows(0, graph.num_owned);
  Tensor out, from_neighbours;  // allocated by the products that write them (after their operands' codes)
  // The root branch H_v W_root needs no halo row: with an exchange it runs while the halo travels.
  if (transform_first()) {
    out = Tensor::empty(DType::kF32, Shape::mat(graph.num_owned, out_features()), graph.device);
    from_neighbours = Tensor::empty(DType::kF32, out.shape(), graph.device);
    // Z = H W_neigh; D^-1 A Z.
    Tensor z = Tensor::empty(DType::kF32, Shape::mat(graph.num_rows(), out_features()), graph.device);
    if (first) {
      neighbours_.forward(input, precision, z);  // halo rows from the halo input features
      root_.forward(h_owned, precision, out);
      copy_u.rows(whole, 0, z, precision, from_neighbours);
    } else {
      // Z's boundary rows first (other ranks need them).
      Tensor z_owned = z.slice_rows(0, graph.num_owned);
      const std::function<void()> inner_gemm =
          neighbours_.forward_split(input, graph.num_inner, precision, z_owned);
      ExchangedAggregation aggregation = copy_u.exchanged(z, context, from_neighbours);
      aggregation.post();
      inner_gemm();  // while they travel: the inner rows' Z, the root branch, the inner rows' mean
      root_.forward(h_owned, precision, out);
      context.make_progress();
      aggregation.inner_rows();
      aggregation.finish();
    }
  } else {
    // M = D^-1 A H_all; M W_neigh.
    Tensor h_all = first ? input : table_from_owned(input, context);
    input = Tensor();
    Tensor mean = Tensor::empty(DType::kF32, Shape::mat(graph.num_owned, in_features()), graph.device);
    const bool travels = !first && context.exchanges();
    if (first) {
      copy_u.rows(whole, 0, h_all, precision, mean);
    } else {
      ExchangedAggregation aggregation = copy_u.exchanged(h_all, context, mean);
      aggregation.post();
      if (travels) root_.forward(h_owned, precision, out);  // while the halo rows of H travel
      context.make_progress();
      aggregation.inner_rows();
      aggregation.finish();
    }
    h_all = Tensor();
    // With nothing in flight the root branch runs after the aggregation, H's other read, so that (INT8) H
    // is gone once its codes are made and never sits beside Y (the same kernels on the same data).
    if (!travels) root_.forward(std::move(h_owned), precision, out);
    h_owned = Tensor();
    neighbours_.forward(std::move(mean), precision, from_neighbours);  // allocated after M's codes
  }
  add_into(out, from_neighbours);  // Y = H_v W_root + D^-1 A H W_neigh + b
  add_bias(out, bias_.value);
  return out;
}

void SageLayer::backward(Tensor d_output, const LayerContext& context, Tensor* d_input) {
  const DistGraph& graph = *context.graph;
  const bool first = index_ == 0;
  TANGO_CHECK(!(first && d_input != nullptr), "layer 0 has no input gradient to give");
  const Precision precision = context.precision;
  const CopyUAggregation copy_u = CopyUAggregation::mean(graph);
  bias_grad(d_output, bias_.grad);  // db = colsum dY
  if (transform_first() && first) {
    Tensor dz = Tensor::empty(DType::kF32, Shape::mat(graph.num_rows(), out_features()), graph.device);
    copy_u.backward(d_output, precision, dz);  // dZ_all = A^T D^-1 dY
    context.make_progress();
    root_.backward(d_output, context, nullptr);  // dW_root = H_owned^T dY
    context.make_progress();
    neighbours_.backward(dz, context, nullptr);  // dW_neigh = H_all^T dZ_all
    return;
  }
  if (!transform_first() && d_input == nullptr) {
    root_.backward(d_output, context, nullptr);        // dW_root = H_owned^T dY
    neighbours_.backward(d_output, context, nullptr);  // dW_neigh = M^T dY
    return;
  }
  // The halo-gradient table, whose halo rows go home and are added into the owners' rows:
  // dZ_all = A^T D^-1 dY (transform first) or A^T D^-1 (dY W_neigh^T) (aggregate first).
  Tensor dy_w_neigh;
  if (!transform_first()) neighbours_.backward(d_output, context, &dy_w_neigh);  // dW_neigh = M^T dY too
  const int64_t table_cols = transform_first() ? d_output.cols() : dy_w_neigh.cols();
  // Over the reverse graph 1/deg scales the (owned) columns. INT8: the rows hold the operand's codes only,
  // and dY W_neigh^T goes before the table is allocated.
  ReverseAggregation table_rows = copy_u_backward_rows(transform_first() ? d_output : dy_w_neigh, Tensor(),
                                                       graph.inverse_degree, precision);
  dy_w_neigh = Tensor();
  Tensor d_table = Tensor::empty(DType::kF32, Shape::mat(graph.num_rows(), table_cols), graph.device);
  ReturnedAggregation returned(d_table, graph.adjacency.csr_t(), graph.adjacency_reverse_split, context,
                               std::move(table_rows));
  returned.post();
  // While they travel, the root branch: dW_root = H_owned^T dY, dH_owned = dY W_root^T (dY's last read).
  Tensor dh_owned;
  root_.backward(std::move(d_output), context, d_input != nullptr ? &dh_owned : nullptr);
  returned.finish();
  const Tensor d_table_owned = d_table.slice_rows(0, graph.num_owned);
  if (transform_first()) {
    // dW_neigh = H^T dZ, and dH_owned += dZ_owned W_neigh^T.
    Tensor dh_neighbours;
    neighbours_.backward(d_table_owned, context, d_input != nullptr ? &dh_neighbours : nullptr);
    if (d_input == nullptr) return;
    add_into(dh_owned, dh_neighbours);
  } else {
    add_into(dh_owned, d_table_owned);  // dH_owned += [A^T D^-1 (dY W_neigh^T)]_owned
  }
  *d_input = dh_owned;
}

}  // namespace tango::trainer
