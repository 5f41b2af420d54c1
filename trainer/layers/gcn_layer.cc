#include "trainer/layers/gcn_layer.h"

#include "kernels/spmm.h"
#include "trainer/ops.h"

namespace tango::trainer {
namespace {

kernels::SpmmScaling gcn_scaling(const DistGraph& graph) {
  return {graph.gcn_norm.slice_rows(0, graph.num_owned), graph.gcn_norm};
}

}  // namespace

GcnLayer::GcnLayer(int index, int64_t in_features, int64_t out_features, uint64_t seed)
    : index_(index),
      linear_(fmt::format("layer{}.weight", index), in_features, out_features, seed, index, 0),
      bias_(make_parameter(fmt::format("layer{}.bias", index), Shape::vec(out_features))) {}

void GcnLayer::aggregate_rows(const kernels::CsrIndex& rows, int64_t first_row, const Tensor& x,
                              const LayerContext& context, Tensor& out) {
  const DistGraph& graph = *context.graph;
  const kernels::SpmmScaling scaling{graph.gcn_norm.slice_rows(first_row, first_row + rows.num_rows),
                                     graph.gcn_norm.slice_rows(0, rows.num_cols)};
  if (context.precision == Precision::kINT8) {
    kernels::qspmm_copy_u(rows, quantize_int8(x), out, scaling);
  } else {
    kernels::spmm_copy_u(rows, x, out, scaling);
  }
}

void GcnLayer::aggregate(Tensor& table, bool exchange, const LayerContext& context, Tensor& out,
                         const std::function<void()>& meanwhile) {
  const DistGraph& graph = *context.graph;
  const kernels::CsrIndex& whole = graph.adjacency_with_self.csr();
  if (!exchange) {
    if (meanwhile) meanwhile();
    aggregate_rows(whole, 0, table, context, out);
    return;
  }
  exchange_and_aggregate(
      table, whole, graph.adjacency_with_self_split, context, out,
      [&](const kernels::CsrIndex& rows, int64_t first_row, const Tensor& x, Tensor& rows_out) {
        aggregate_rows(rows, first_row, x, context, rows_out);
      },
      meanwhile);
}

void GcnLayer::aggregate_backward(const Tensor& dy, const LayerContext& context, Tensor& dx) {
  const DistGraph& graph = *context.graph;
  if (context.precision == Precision::kINT8) {
    kernels::qspmm_copy_u_backward(graph.adjacency_with_self, quantize_int8(dy), dx, gcn_scaling(graph));
  } else {
    kernels::spmm_copy_u_backward(graph.adjacency_with_self, dy, dx, gcn_scaling(graph));
  }
}

Tensor GcnLayer::forward(const Tensor& input, const LayerContext& context) {
  const DistGraph& graph = *context.graph;
  const bool first = index_ == 0;
  TANGO_CHECK(input.cols() == in_features() && input.rows() == (first ? graph.num_rows() : graph.num_owned),
              "GCN layer {} input {} does not fit the part ({} owned, {} halo rows)", index_, input.str(),
              graph.num_owned, graph.num_halo);
  Tensor out = Tensor::empty(DType::kF32, Shape::mat(graph.num_owned, out_features()), graph.device);
  if (gemm_first()) {
    Tensor z = Tensor::empty(DType::kF32, Shape::mat(graph.num_rows(), out_features()), graph.device);
    if (first) {
      linear_.forward(input, context.precision, z);  // halo rows from the halo input features: no exchange
      aggregate(z, /*exchange=*/false, context, out);
    } else {
      // The boundary rows first; the inner rows' GEMM runs while they travel.
      Tensor z_owned = z.slice_rows(0, graph.num_owned);
      aggregate(z, /*exchange=*/true, context, out,
                linear_.forward_split(input, graph.num_inner, context.precision, z_owned));
    }
  } else {
    Tensor h_all = first ? input : table_from_owned(input, context);
    Tensor m = Tensor::empty(DType::kF32, Shape::mat(graph.num_owned, in_features()), graph.device);
    aggregate(h_all, /*exchange=*/!first, context, m);
    linear_.forward(m, context.precision, out);
  }
  add_bias(out, bias_.value);
  return out;
}

void GcnLayer::backward(const Tensor& d_output, const LayerContext& context, Tensor* d_input) {
  const DistGraph& graph = *context.graph;
  const bool first = index_ == 0;
  TANGO_CHECK(!(first && d_input != nullptr), "layer 0 has no input gradient to give");
  bias_grad(d_output, bias_.grad);
  if (gemm_first()) {
    Tensor dz = Tensor::empty(DType::kF32, Shape::mat(graph.num_rows(), out_features()), graph.device);
    if (first) {
      aggregate_backward(d_output, context, dz);
      context.make_progress();
      linear_.backward(dz, context.precision, nullptr);  // dW = H_all^T dZ_all
      return;
    }
    // dW and dH both read the owned rows of dZ with the halo contributions added: with overlap, the
    // owned rows' aggregation is what runs while the halo rows travel.
    // Over the reverse graph the two scalings swap roles: rows [owned | halo] take S_u, owned columns S_v.
    copy_u_backward_and_return(d_output, graph.adjacency_with_self, graph.adjacency_with_self_reverse_split,
                               graph.gcn_norm, graph.gcn_norm.slice_rows(0, graph.num_owned), context, dz);
    Tensor dz_owned = dz.slice_rows(0, graph.num_owned);
    linear_.backward(dz_owned, context.precision, d_input);
  } else {
    if (d_input == nullptr) {
      linear_.backward(d_output, context.precision, nullptr);
      return;
    }
    // dM = dY W^T first (the table to aggregate); dW = M^T dY needs no halo gradient, so it runs
    // while the halo rows of dH travel (with overlap), after the exchange otherwise: the same bits.
    const kernels::QTensor dy_q = linear_.quantize_gradient(d_output, context.precision);
    Tensor dm;
    linear_.backward_input(d_output, dy_q, context.precision, dm);
    Tensor dh = Tensor::empty(DType::kF32, Shape::mat(graph.num_rows(), in_features()), graph.device);
    copy_u_backward_and_return(dm, graph.adjacency_with_self, graph.adjacency_with_self_reverse_split,
                               graph.gcn_norm, graph.gcn_norm.slice_rows(0, graph.num_owned), context, dh,
                               [&] { linear_.backward_weight(d_output, dy_q, context.precision); });
    *d_input = dh.slice_rows(0, graph.num_owned).clone();
  }
}

}  // namespace tango::trainer
