#include "trainer/layers/gat_layer.h"

#include "kernels/edge_quantize.h"
#include "kernels/edge_softmax.h"
#include "kernels/head_ops.h"
#include "kernels/sddmm.h"
#include "kernels/spmm.h"
#include "trainer/ops.h"

namespace tango::trainer {
namespace {

constexpr float kNegativeSlope = 0.2f;

// scores[r, h] = <z[r, h, :], a[h, :]> for rows [0, rows).
Tensor head_scores(const Tensor& z, int64_t rows, const Tensor& a, int heads, int64_t /*width*/) {
  Tensor out = Tensor::empty(DType::kF32, Shape::mat(rows, heads), z.device());
  kernels::head_scores(z, rows, a, out);
  return out;
}

// For rows [0, rows): dz[r, h, :] += ds[r, h] * a[h, :], and da[h, :] = sum_r ds[r, h] z[r, h, :].
void head_scores_backward(const Tensor& z, const Tensor& ds, int64_t rows, const Tensor& a, int /*heads*/,
                          int64_t /*width*/, Tensor& dz, Tensor& da) {
  kernels::head_scores_backward(z, ds, rows, a, dz, da);
}

}  // namespace

GatLayer::GatLayer(int index, int64_t in_features, int heads, int64_t head_width, bool mean_heads,
                   uint64_t seed)
    : index_(index),
      heads_(heads),
      head_width_(head_width),
      mean_heads_(mean_heads),
      linear_(fmt::format("layer{}.weight", index), in_features, heads * head_width, seed, index, 0),
      attention_src_(
          make_parameter(fmt::format("layer{}.attention_src", index), Shape::mat(heads, head_width))),
      attention_dst_(
          make_parameter(fmt::format("layer{}.attention_dst", index), Shape::mat(heads, head_width))),
      bias_(make_parameter(fmt::format("layer{}.bias", index),
                           Shape::vec(mean_heads ? head_width : heads * head_width))) {
  glorot_init(attention_src_.value, heads, head_width, seed, index, 1);
  glorot_init(attention_dst_.value, heads, head_width, seed, index, 2);
}

GatAttention GatLayer::attention_precision(const LayerContext& context) const {
  return context.precision == Precision::kINT8 ? context.gat_attention : GatAttention::kFP32;
}

Tensor GatLayer::forward(const Tensor& input, const LayerContext& context) {
  const DistGraph& graph = *context.graph;
  const bool first = index_ == 0;
  TANGO_CHECK(input.cols() == in_features() && input.rows() == (first ? graph.num_rows() : graph.num_owned),
              "GAT layer {} input {} does not fit the part ({} owned, {} halo rows)", index_, input.str(),
              graph.num_owned, graph.num_halo);
  const int64_t width = heads_ * head_width_;
  z_ = Tensor::empty(DType::kF32, Shape::mat(graph.num_rows(), width), graph.device);
  if (first) {
    linear_.forward(input, context.precision, z_);
  } else {
    Tensor z_owned = z_.slice_rows(0, graph.num_owned);
    linear_.forward(input, context.precision, z_owned);
    if (graph.num_halo > 0) {
      TANGO_CHECK(context.halo != nullptr, "a part with {} halo rows needs a halo link", graph.num_halo);
      context.halo->exchange(HaloDirection::kForward, z_);
    }
  }
  const kernels::CsrIndex& adjacency = graph.adjacency_with_self.csr();
  Tensor el = head_scores(z_, graph.num_rows(), attention_src_.value, heads_, head_width_);
  Tensor er = head_scores(z_, graph.num_owned, attention_dst_.value, heads_, head_width_);
  scores_ = Tensor::empty(DType::kF32, Shape::mat(adjacency.num_entries(), heads_), graph.device);
  kernels::sddmm_u_add_v(adjacency, el, er, scores_);
  Tensor logits = Tensor::empty(DType::kF32, scores_.shape(), graph.device);
  activate(scores_, logits, kernels::Activation::kLeakyRelu, kNegativeSlope);
  alpha_ = Tensor::empty(DType::kF32, scores_.shape(), graph.device);
  kernels::edge_softmax(adjacency, logits, alpha_);
  alpha_used_ = alpha_;
  attention_mask_ = Tensor();
  if (context.training && context.attention_dropout > 0.0f) {
    alpha_used_ = alpha_.clone();
    attention_mask_ = Tensor::empty(DType::kU8, alpha_.shape(), graph.device);
    edge_dropout(adjacency, graph.global_ids, graph.num_global_nodes, alpha_used_, attention_mask_,
                 context.attention_dropout, context.seed, context.attention_dropout_stream);
  }

  Tensor aggregated = Tensor::empty(DType::kF32, Shape::mat(graph.num_owned, width), graph.device);
  switch (attention_precision(context)) {
    case GatAttention::kFP32: kernels::spmm_u_mul_e(adjacency, z_, alpha_used_, aggregated); break;
    case GatAttention::kPerTensor:
      kernels::qspmm_u_mul_e(adjacency, quantize_int8(z_), quantize_int8(alpha_used_), aggregated);
      break;
    case GatAttention::kPerRow: {
      kernels::QTensor alpha_q = kernels::make_edge_row_qtensor(adjacency, heads_);
      kernels::quantize_edges_per_row(adjacency, alpha_used_, alpha_q);
      kernels::qspmm_u_mul_e_row_scaled(adjacency, quantize_int8(z_), alpha_q, aggregated);
      break;
    }
  }
  if (!mean_heads_) {
    add_bias(aggregated, bias_.value);
    return aggregated;
  }
  Tensor out = Tensor::empty(DType::kF32, Shape::mat(graph.num_owned, head_width_), graph.device);
  kernels::head_mean(aggregated, heads_, out);
  add_bias(out, bias_.value);
  return out;
}

void GatLayer::backward(const Tensor& d_output, const LayerContext& context, Tensor* d_input) {
  const DistGraph& graph = *context.graph;
  const bool first = index_ == 0;
  TANGO_CHECK(!(first && d_input != nullptr), "layer 0 has no input gradient to give");
  bias_grad(d_output, bias_.grad);
  const int64_t width = heads_ * head_width_;
  Tensor d_aggregated = d_output;
  if (mean_heads_) {
    d_aggregated = Tensor::empty(DType::kF32, Shape::mat(graph.num_owned, width), graph.device);
    kernels::head_mean_backward(d_output, heads_, d_aggregated);
  }
  const kernels::SparseGraph& g = graph.adjacency_with_self;
  Tensor dz = Tensor::empty(DType::kF32, Shape::mat(graph.num_rows(), width), graph.device);
  Tensor d_alpha = Tensor::empty(DType::kF32, alpha_.shape(), graph.device);
  switch (attention_precision(context)) {
    case GatAttention::kFP32:
      kernels::spmm_u_mul_e_backward(g, z_, alpha_used_, d_aggregated, dz, d_alpha);
      break;
    case GatAttention::kPerTensor:
      kernels::qspmm_u_mul_e_backward(g, quantize_int8(z_), quantize_int8(alpha_used_),
                                      quantize_int8(d_aggregated), dz, d_alpha);
      break;
    case GatAttention::kPerRow: {
      kernels::QTensor alpha_q = kernels::make_edge_row_qtensor(g.csr(), heads_);
      kernels::quantize_edges_per_row(g.csr(), alpha_used_, alpha_q);
      kernels::qspmm_u_mul_e_row_scaled_backward(g, quantize_int8(z_), alpha_q, quantize_int8(d_aggregated),
                                                 dz, d_alpha);
      break;
    }
  }
  if (attention_mask_.defined())
    dropout_backward(d_alpha, attention_mask_, context.attention_dropout, d_alpha);
  Tensor d_scores = Tensor::empty(DType::kF32, alpha_.shape(), graph.device);
  kernels::edge_softmax_backward(g.csr(), alpha_, d_alpha, d_scores);
  activate_backward(scores_, d_scores, kernels::Activation::kLeakyRelu, kNegativeSlope);
  Tensor d_el = Tensor::empty(DType::kF32, Shape::mat(graph.num_rows(), heads_), graph.device);
  Tensor d_er = Tensor::empty(DType::kF32, Shape::mat(graph.num_owned, heads_), graph.device);
  kernels::sddmm_u_add_v_backward(g, d_scores, d_el, d_er);
  head_scores_backward(z_, d_el, graph.num_rows(), attention_src_.value, heads_, head_width_, dz,
                       attention_src_.grad);
  head_scores_backward(z_, d_er, graph.num_owned, attention_dst_.value, heads_, head_width_, dz,
                       attention_dst_.grad);
  if (first) {
    linear_.backward(dz, context.precision, nullptr);  // dW = H_all^T dZ_all
    return;
  }
  return_halo_gradients(dz, context);
  linear_.backward(dz.slice_rows(0, graph.num_owned), context.precision, d_input);
}

}  // namespace tango::trainer
