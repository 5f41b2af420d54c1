#include "trainer/layers/gcn_layer.h"

#include "kernels/spmm.h"
#include "trainer/ops.h"

namespace tango::trainer {
namespace {

kernels::SpmmScaling gcn_scaling(const DistGraph& graph) {
  return {graph.gcn_norm.slice_rows(0, graph.num_owned), graph.gcn_norm};
}

// A [num_rows, F] table whose owned rows are `owned` and whose halo rows come from their owners.
Tensor gather_halo(const Tensor& owned, const LayerContext& context) {
  const DistGraph& graph = *context.graph;
  Tensor table = Tensor::empty(DType::kF32, Shape::mat(graph.num_rows(), owned.cols()));
  copy_rows(owned, graph.num_owned, table);
  if (graph.num_halo > 0) {
    TANGO_CHECK(context.halo != nullptr, "a part with {} halo rows needs a halo link", graph.num_halo);
    context.halo->exchange(HaloDirection::kForward, table);
  }
  return table;
}

// Sends the halo rows of a gradient table home (added into the owners' rows).
void scatter_halo(Tensor& table, const LayerContext& context) {
  if (context.graph->num_halo > 0) context.halo->exchange(HaloDirection::kBackward, table);
}

}  // namespace

GcnLayer::GcnLayer(int index, int64_t in_features, int64_t out_features, uint64_t seed)
    : index_(index),
      weight_(make_parameter(fmt::format("layer{}.weight", index), Shape::mat(in_features, out_features))),
      bias_(make_parameter(fmt::format("layer{}.bias", index), Shape::vec(out_features))) {
  glorot_init(weight_.value, in_features, out_features, seed, index, 0);
}

void GcnLayer::aggregate(const Tensor& x, const LayerContext& context, Tensor& out) {
  const DistGraph& graph = *context.graph;
  const kernels::CsrIndex& adjacency = graph.adjacency_with_self.csr();
  if (context.precision == Precision::kINT8) {
    kernels::qspmm_copy_u(adjacency, quantize_int8(x), out, gcn_scaling(graph));
  } else {
    kernels::spmm_copy_u(adjacency, x, out, gcn_scaling(graph));
  }
}

void GcnLayer::aggregate_backward(const Tensor& dy, const LayerContext& context, Tensor& dx) {
  const DistGraph& graph = *context.graph;
  if (context.precision == Precision::kINT8) {
    kernels::qspmm_copy_u_backward(graph.adjacency_with_self, quantize_int8(dy), dx, gcn_scaling(graph));
  } else {
    kernels::spmm_copy_u_backward(graph.adjacency_with_self, dy, dx, gcn_scaling(graph));
  }
}

void GcnLayer::multiply(const Tensor& a, const LayerContext& context, Tensor& out) {
  gemm_input_ = a;
  if (context.precision == Precision::kINT8) {
    gemm_input_q_ = quantize_int8(a);
    weight_q_ = quantize_int8(weight_.value);
    qgemm(gemm_input_q_, false, weight_q_, false, out);
  } else {
    gemm(a, false, weight_.value, false, out);
  }
}

void GcnLayer::multiply_backward(const Tensor& d, const LayerContext& context, Tensor* da) {
  if (context.precision == Precision::kINT8) {
    kernels::QTensor d_q = quantize_int8(d);
    qgemm(gemm_input_q_, true, d_q, false, weight_.grad);
    if (da != nullptr) qgemm(d_q, false, weight_q_, true, *da);
  } else {
    gemm(gemm_input_, true, d, false, weight_.grad);
    if (da != nullptr) gemm(d, false, weight_.value, true, *da);
  }
}

Tensor GcnLayer::forward(const Tensor& input, const LayerContext& context) {
  const DistGraph& graph = *context.graph;
  const bool first = index_ == 0;
  TANGO_CHECK(input.cols() == in_features() && input.rows() == (first ? graph.num_rows() : graph.num_owned),
              "GCN layer {} input {} does not fit the part ({} owned, {} halo rows)", index_, input.str(),
              graph.num_owned, graph.num_halo);
  Tensor out = Tensor::empty(DType::kF32, Shape::mat(graph.num_owned, out_features()));
  if (gemm_first()) {
    Tensor z = Tensor::empty(DType::kF32, Shape::mat(graph.num_rows(), out_features()));
    if (first) {
      multiply(input, context, z);  // halo rows from the halo input features: no exchange
    } else {
      Tensor z_owned = z.slice_rows(0, graph.num_owned);
      multiply(input, context, z_owned);
      if (graph.num_halo > 0) context.halo->exchange(HaloDirection::kForward, z);
    }
    aggregate(z, context, out);
  } else {
    Tensor h_all = first ? input : gather_halo(input, context);
    Tensor m = Tensor::empty(DType::kF32, Shape::mat(graph.num_owned, in_features()));
    aggregate(h_all, context, m);
    multiply(m, context, out);
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
    Tensor dz = Tensor::empty(DType::kF32, Shape::mat(graph.num_rows(), out_features()));
    aggregate_backward(d_output, context, dz);
    if (first) {
      multiply_backward(dz, context, nullptr);  // dW = H_all^T dZ_all
      return;
    }
    scatter_halo(dz, context);
    Tensor dz_owned = dz.slice_rows(0, graph.num_owned);
    if (d_input != nullptr) *d_input = Tensor::empty(DType::kF32, Shape::mat(graph.num_owned, in_features()));
    multiply_backward(dz_owned, context, d_input);
  } else {
    if (d_input == nullptr) {
      multiply_backward(d_output, context, nullptr);
      return;
    }
    Tensor dm = Tensor::empty(DType::kF32, Shape::mat(graph.num_owned, in_features()));
    multiply_backward(d_output, context, &dm);
    Tensor dh = Tensor::empty(DType::kF32, Shape::mat(graph.num_rows(), in_features()));
    aggregate_backward(dm, context, dh);
    scatter_halo(dh, context);
    *d_input = dh.slice_rows(0, graph.num_owned).clone();
  }
}

}  // namespace tango::trainer
