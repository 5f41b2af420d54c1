#include "trainer/layers/gcn_layer.h"

#include "trainer/layers/copy_u_aggregation.h"
#include "trainer/ops.h"

namespace tango::trainer {

GcnLayer::GcnLayer(int index, int64_t in_features, int64_t out_features, uint64_t seed)
    : index_(index),
      linear_(fmt::format("layer{}.weight", index), in_features, out_features, seed, index, 0),
      bias_(make_parameter(fmt::format("layer{}.bias", index), Shape::vec(out_features))) {}

Tensor GcnLayer::forward(Tensor input, const LayerContext& context) {
  const DistGraph& graph = *context.graph;
  const bool first = index_ == 0;
  TANGO_CHECK(input.cols() == in_features() && input.rows() == (first ? graph.num_rows() : graph.num_owned),
              "GCN layer {} input {} does not fit the part ({} owned, {} halo rows)", index_, input.str(),
              graph.num_owned, graph.num_halo);
  const Precision precision = context.precision;
  const CopyUAggregation copy_u = CopyUAggregation::gcn(graph);
  const kernels::CsrIndex& whole = graph.adjacency_with_self.csr();
  Tensor out;
  if (gemm_first()) {
    Tensor z = Tensor::empty(DType::kF32, Shape::mat(graph.num_rows(), out_features()), graph.device);
    out = Tensor::empty(DType::kF32, Shape::mat(graph.num_owned, out_features()), graph.device);
    if (first) {
      linear_.forward(std::move(input), precision, z);  // halo rows from the halo input features: no exchange
      copy_u.rows(whole, 0, z, precision, out);
    } else {
      // Z = H W for the boundary rows first (other ranks need them); Y = S_v A S_u Z.
      Tensor z_owned = z.slice_rows(0, graph.num_owned);
      const std::function<void()> inner_gemm =
          linear_.forward_split(input, graph.num_inner, precision, z_owned);
      input = Tensor();  // the map keeps what it reads (INT8: the codes)
      ExchangedAggregation aggregation = copy_u.exchanged(z, context, out);
      aggregation.post();
      inner_gemm();  // while Z's boundary rows travel: the inner rows' Z and Y
      context.make_progress();
      aggregation.inner_rows();
      aggregation.finish();
    }
  } else {
    // M = S_v A S_u H_all; Y = M W.
    Tensor h_all = first ? input : table_from_owned(input, context);
    input = Tensor();
    Tensor m = Tensor::empty(DType::kF32, Shape::mat(graph.num_owned, in_features()), graph.device);
    if (first) {
      copy_u.rows(whole, 0, h_all, precision, m);
    } else {
      ExchangedAggregation aggregation = copy_u.exchanged(h_all, context, m);
      aggregation.post();
      aggregation.inner_rows();
      aggregation.finish();
    }
    h_all = Tensor();                               // read for the last time: not beside M's codes and Y
    linear_.forward(std::move(m), precision, out);  // allocates Y after M's codes are made (INT8: M goes)
  }
  add_bias(out, bias_.value);
  return out;
}

void GcnLayer::backward(Tensor d_output, const LayerContext& context, Tensor* d_input) {
  const DistGraph& graph = *context.graph;
  const bool first = index_ == 0;
  TANGO_CHECK(!(first && d_input != nullptr), "layer 0 has no input gradient to give");
  const Precision precision = context.precision;
  const CopyUAggregation copy_u = CopyUAggregation::gcn(graph);
  const int64_t owned = graph.num_owned;
  bias_grad(d_output, bias_.grad);
  // Over the reverse graph the two scalings swap roles: rows [owned | halo] take S_u, owned columns S_v.
  const Tensor row_scale = graph.gcn_norm, column_scale = graph.gcn_norm.slice_rows(0, owned);
  const kernels::CsrIndex& reverse = graph.adjacency_with_self.csr_t();
  const ReverseSplit& reverse_split = graph.adjacency_with_self_reverse_split;
  if (gemm_first()) {
    Tensor dz = Tensor::empty(DType::kF32, Shape::mat(graph.num_rows(), out_features()), graph.device);
    if (first) {
      copy_u.backward(d_output, precision, dz);  // dZ_all = S_u A^T S_v dY
      context.make_progress();
      linear_.backward(std::move(dz), context, nullptr);  // dW = H_all^T dZ_all
      return;
    }
    // dZ_all = S_u A^T S_v dY; its halo rows go home and are added into the owners' rows. dW and dH both
    // read the owned rows with those added, so only the owned rows' aggregation runs while they travel.
    ReturnedAggregation dz_all(dz, reverse, reverse_split, context,
                               copy_u_backward_rows(d_output, row_scale, column_scale, precision));
    dz_all.post();
    dz_all.finish();
    linear_.backward(dz.slice_rows(0, owned), context, d_input);  // dW = H^T dZ, dH = dZ W^T
    return;
  }
  if (d_input == nullptr) {
    linear_.backward(std::move(d_output), context, nullptr);  // dW = M^T dY
    return;
  }
  // INT8 holds at most two [rows, F] FP32 tensors at a time here: each FP32 operand goes once its codes
  // are made (dY after quantize_gradient, dM inside copy_u_backward_rows).
  LinearMap::GradientCodes dy_codes = linear_.quantize_gradient(d_output, context);
  if (precision == Precision::kINT8) d_output = Tensor();
  Tensor dm;
  linear_.backward_input(d_output, dy_codes, precision, dm);  // dM = dY W^T
  dy_codes.rows = {};
  // dH_all = S_u A^T S_v dM; its halo rows go home and are added into the owners' rows.
  ReverseAggregation dm_rows = copy_u_backward_rows(dm, row_scale, column_scale, precision);
  dm = Tensor();
  Tensor dh = Tensor::empty(DType::kF32, Shape::mat(graph.num_rows(), in_features()), graph.device);
  ReturnedAggregation dh_all(dh, reverse, reverse_split, context, std::move(dm_rows));
  dh_all.post();
  linear_.backward_weight(d_output, dy_codes, precision);  // dW = M^T dY, while they travel
  dh_all.finish();
  *d_input = dh.slice_rows(0, owned);  // a view: no copy beside dh (the halo rows stay until it goes)
}

}  // namespace tango::trainer
