#include "trainer/layers/gat_layer.h"

#include "kernels/edge_quantize.h"
#include "kernels/edge_softmax.h"
#include "kernels/elementwise.h"
#include "kernels/head_ops.h"
#include "kernels/sddmm.h"
#include "kernels/spmm.h"
#include "trainer/layers/overlap_schedule.h"
#include "trainer/ops.h"
#include "trainer/quant_telemetry.h"

namespace tango::trainer {
namespace {

constexpr float kNegativeSlope = 0.2f;

// scores[r, h] = <z[r, h, :], a[h, :]> for rows [begin, end) of z and scores.
void head_scores(const Tensor& z, int64_t begin, int64_t end, const Tensor& a, Tensor& scores) {
  Tensor out = scores.slice_rows(begin, end);
  kernels::head_scores(z.slice_rows(begin, end), end - begin, a, out);
}

// Rows [begin, end) of a quantized tensor with one scale (the scale is the whole tensor's).
kernels::QTensor quantized_rows(const kernels::QTensor& q, int64_t begin, int64_t end) {
  TANGO_CHECK(q.scales.numel() == 1, "a row range of a per-row quantized tensor {} needs its scales too",
              q.values.str());
  return {q.values.slice_rows(begin, end), q.scales};
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

void GatLayer::attend_rows(const kernels::CsrIndex& rows, int64_t first_row, int64_t first_entry,
                           const Tensor& el, const Tensor& er, const LayerContext& context, Tensor& out,
                           const kernels::QTensor* z_codes) {
  const DistGraph& graph = *context.graph;
  const bool int8 = context.precision == Precision::kINT8;
  const int64_t last_entry = first_entry + rows.num_entries();
  Tensor scores = scores_.slice_rows(first_entry, last_entry);
  kernels::sddmm_u_add_v(rows, el.slice_rows(0, rows.num_cols),
                         er.slice_rows(first_row, first_row + rows.num_rows), scores);
  context.make_progress();
  // INT8 keeps LeakyReLU's derivative codes instead of the scores: made now, and the logits overwrite the
  // scores in place (FP32 keeps the scores for backward: the logits are a temporary).
  Tensor logits = scores;
  if (int8) {
    Tensor codes = score_codes_.slice_rows(first_entry, last_entry);
    kernels::activation_derivative_codes(scores, Tensor(), {kernels::Activation::kLeakyRelu, kNegativeSlope},
                                         codes);
  } else {
    logits = Tensor::empty(DType::kF32, scores.shape(), graph.device);
  }
  activate(scores, logits, kernels::Activation::kLeakyRelu, kNegativeSlope);
  Tensor alpha = alpha_.slice_rows(first_entry, last_entry);
  kernels::edge_softmax(rows, logits, alpha);
  logits = scores = Tensor();
  context.make_progress();
  Tensor alpha_used = alpha;
  if (attention_mask_.defined()) {
    // INT8 makes alpha after dropout again in backward: here it lives for this range's aggregation only.
    alpha_used = int8 ? Tensor::empty(DType::kF32, alpha.shape(), graph.device)
                      : alpha_used_.slice_rows(first_entry, last_entry);
    alpha_used.copy_from(alpha);
    Tensor mask = attention_mask_.slice_rows(first_entry, last_entry);
    edge_dropout(rows, graph.global_ids, graph.num_global_nodes, alpha_used, mask, context.attention_dropout,
                 context.seed, context.attention_dropout_stream, first_row);
  }
  context.make_progress();
  const GatAttention precision = attention_precision(context);
  if (precision == GatAttention::kFP32) {
    kernels::spmm_u_mul_e(rows, z_.slice_rows(0, rows.num_cols), alpha_used, out);
    return;
  }
  kernels::QTensor alpha_q;
  if (precision == GatAttention::kPerTensor) {
    alpha_q = quantize_int8(alpha_used);
  } else {
    alpha_q = kernels::make_edge_row_qtensor(rows, heads_);
    kernels::quantize_edges_per_row(rows, alpha_used, alpha_q);
  }
  QuantTelemetry::record_edges("attention_alpha", rows, alpha_used, alpha_q);
  alpha_used = alpha = Tensor();  // its codes are what the aggregation reads
  const kernels::QTensor z_q =
      z_codes != nullptr ? *z_codes : quantize_int8(z_.slice_rows(0, rows.num_cols), "attention_z");
  if (precision == GatAttention::kPerTensor) {
    kernels::qspmm_u_mul_e(rows, z_q, alpha_q, out);
  } else {
    kernels::qspmm_u_mul_e_row_scaled(rows, z_q, alpha_q, out);
  }
}

void GatLayer::keep_int8_state(int64_t exchanged_rows_begin) {
  scores_ = Tensor();
  alpha_used_ = Tensor();
  if (z_.defined() && exchanged_rows_begin < z_.rows())
    z_halo_ = z_.slice_rows(exchanged_rows_begin, z_.rows()).clone();
  z_ = Tensor();
}

void GatLayer::release_saved() {
  linear_.release_saved();
  z_ = z_halo_ = scores_ = score_codes_ = alpha_ = alpha_used_ = attention_mask_ = Tensor();
}

SavedBytes GatLayer::saved_bytes() const {
  SavedBytes saved = linear_.saved_bytes();
  for (const Tensor* t : {&z_, &z_halo_, &scores_, &score_codes_, &alpha_, &attention_mask_}) saved.add(*t);
  if (alpha_used_.defined() && alpha_used_.raw_data() != alpha_.raw_data()) saved.add(alpha_used_);
  return saved;
}

Tensor GatLayer::forward(Tensor input, const LayerContext& context) {
  const DistGraph& graph = *context.graph;
  const bool first = index_ == 0;
  TANGO_CHECK(input.cols() == in_features() && input.rows() == (first ? graph.num_rows() : graph.num_owned),
              "GAT layer {} input {} does not fit the part ({} owned, {} halo rows)", index_, input.str(),
              graph.num_owned, graph.num_halo);
  const int64_t width = heads_ * head_width_;
  const int64_t owned = graph.num_owned, inner = graph.num_inner;
  z_ = Tensor::empty(DType::kF32, Shape::mat(graph.num_rows(), width), graph.device);
  z_halo_ = score_codes_ = Tensor();
  // Layer 0 has the halo rows' input features: Z is whole without an exchange.
  const bool exchange = !first && context.exchanges();
  HaloOverlap z_halo(context, HaloDirection::kForward);  // Z's halo rows (overlap_schedule.h)
  Tensor z_input_rows = z_.slice_rows(0, input.rows());
  if (!exchange) {
    linear_.forward(std::move(input), context.precision, z_input_rows);
    if (!first) z_halo.post(z_);  // one rank: only counts the exchange
  } else {
    // The boundary rows (the only ones other ranks need) first; the inner rows' GEMM runs while they travel.
    const std::function<void()> inner_gemm =
        linear_.forward_split(input, inner, context.precision, z_input_rows);
    input = Tensor();  // the map keeps what it reads (INT8: the codes)
    z_halo.post(z_);
    inner_gemm();
  }
  z_input_rows = Tensor();
  const kernels::CsrIndex& adjacency = graph.adjacency_with_self.csr();
  Tensor el = Tensor::empty(DType::kF32, Shape::mat(graph.num_rows(), heads_), graph.device);
  Tensor er = Tensor::empty(DType::kF32, Shape::mat(owned, heads_), graph.device);
  head_scores(z_, 0, exchange ? owned : graph.num_rows(), attention_src_.value, el);
  head_scores(z_, 0, owned, attention_dst_.value, er);
  context.make_progress();
  const bool int8 = context.precision == Precision::kINT8;
  // INT8 attention over the whole part at once: Z's codes now, and FP32 Z goes before the edge tensors
  // are allocated (nothing keeps it: no exchanged halo rows).
  kernels::QTensor z_codes;
  if (!exchange && int8 && attention_precision(context) != GatAttention::kFP32) {
    z_codes = quantize_int8(z_, "attention_z");
    z_ = Tensor();
  }
  scores_ = Tensor::empty(DType::kF32, Shape::mat(adjacency.num_entries(), heads_), graph.device);
  if (int8) score_codes_ = Tensor::empty(DType::kU8, scores_.shape(), graph.device);
  alpha_ = Tensor::empty(DType::kF32, scores_.shape(), graph.device);
  alpha_used_ = alpha_;
  attention_mask_ = Tensor();
  if (context.training && context.attention_dropout > 0.0f) {
    if (!int8) alpha_used_ = Tensor::empty(DType::kF32, alpha_.shape(), graph.device);
    attention_mask_ = Tensor::empty(DType::kU8, alpha_.shape(), graph.device);
  }

  Tensor aggregated = Tensor::empty(DType::kF32, Shape::mat(owned, width), graph.device);
  if (!exchange) {
    attend_rows(adjacency, 0, 0, el, er, context, aggregated, z_codes.values.defined() ? &z_codes : nullptr);
  } else {
    const RowSplit& split = graph.adjacency_with_self_split;
    if (inner > 0) {
      Tensor inner_out = aggregated.slice_rows(0, inner);
      attend_rows(split.inner, 0, 0, el, er, context, inner_out);
    }
    z_halo.finish();
    head_scores(z_, owned, graph.num_rows(), attention_src_.value, el);
    if (owned > inner) {
      Tensor boundary_out = aggregated.slice_rows(inner, owned);
      attend_rows(split.boundary, inner, split.boundary_first_entry, el, er, context, boundary_out);
    }
  }
  if (int8) keep_int8_state(exchange ? owned : graph.num_rows());
  if (!mean_heads_) {
    add_bias(aggregated, bias_.value);
    return aggregated;
  }
  Tensor out = Tensor::empty(DType::kF32, Shape::mat(owned, head_width_), graph.device);
  kernels::head_mean(aggregated, heads_, out);
  add_bias(out, bias_.value);
  return out;
}

void GatLayer::backward(Tensor d_output, const LayerContext& context, Tensor* d_input) {
  const DistGraph& graph = *context.graph;
  const bool first = index_ == 0;
  TANGO_CHECK(!(first && d_input != nullptr), "layer 0 has no input gradient to give");
  bias_grad(d_output, bias_.grad);
  const int64_t width = heads_ * head_width_;
  const int64_t owned = graph.num_owned, inner = graph.num_inner, rows = graph.num_rows();
  Tensor d_aggregated = d_output;
  if (mean_heads_) {
    d_aggregated = Tensor::empty(DType::kF32, Shape::mat(owned, width), graph.device);
    kernels::head_mean_backward(d_output, heads_, d_aggregated);
    d_output = Tensor();
  }
  const kernels::SparseGraph& g = graph.adjacency_with_self;
  const GatAttention precision = attention_precision(context);
  // Z and alpha after attention dropout: kept (fp32), or made again with the forward's bits (int8: Z from
  // H's and W's codes plus the kept halo rows, alpha times the dropout mask's keep scale).
  Tensor z = z_, alpha_used = alpha_used_;
  if (!z.defined()) {
    z = Tensor::empty(DType::kF32, Shape::mat(rows, width), graph.device);
    const int64_t input_rows = first ? rows : owned;
    Tensor z_input_rows = z.slice_rows(0, input_rows);
    linear_.recompute_rows(0, input_rows, z_input_rows);
    if (z_halo_.defined()) {
      Tensor z_halo_rows = z.slice_rows(input_rows, rows);
      z_halo_rows.copy_from(z_halo_);
    }
  }
  const bool exchange = !first && context.exchanges();
  // INT8 operands, each quantized once over all its rows and shared by the row ranges (all of them exist
  // now; the forward's per-range scales of Z and per-tensor alpha are not reused).
  kernels::QTensor z_q, alpha_q, dy_q;
  if (precision != GatAttention::kFP32) {
    z_q = quantize_int8(z, "attention_z");
    dy_q = quantize_int8(d_aggregated, "attention_dy");
    d_output = d_aggregated = Tensor();  // the quantized products read the codes
  }
  // The aggregation's edge weights for dZ = A_alpha^T dY: alpha after attention dropout (kept by FP32; made
  // again by INT8 as the forward's product alpha * keep scale), or their codes. On one part (no exchange)
  // INT8 makes them after every edge gradient, in place on alpha_: the softmax backward has read it then.
  const bool alpha_in_place = !alpha_used.defined() && !exchange;
  auto make_alpha_operands = [&]() {
    if (!alpha_used.defined()) {
      alpha_used = alpha_;
      if (attention_mask_.defined()) {
        if (!alpha_in_place) alpha_used = Tensor::empty(DType::kF32, alpha_.shape(), graph.device);
        dropout_backward(alpha_, attention_mask_, context.attention_dropout, alpha_used);
      }
    }
    if (precision == GatAttention::kFP32) return;
    if (precision == GatAttention::kPerTensor) {
      alpha_q = quantize_int8(alpha_used);
    } else {
      alpha_q = kernels::make_edge_row_qtensor(g.csr(), heads_);
      kernels::quantize_edges_per_row(g.csr(), alpha_used, alpha_q);
    }
    QuantTelemetry::record_edges("attention_alpha", g.csr(), alpha_used, alpha_q);
    alpha_used = Tensor();  // the quantized products read the codes
  };
  if (!alpha_in_place) make_alpha_operands();
  Tensor dz;  // allocated before the first source_gradients (after the edge gradients on one part)
  // d_alpha, then in place the softmax's backward d_scores (kernels/edge_softmax.h allows it).
  Tensor d_scores = Tensor::empty(DType::kF32, alpha_.shape(), graph.device);
  Tensor d_el = Tensor::empty(DType::kF32, Shape::mat(rows, heads_), graph.device);
  Tensor d_er = Tensor::empty(DType::kF32, Shape::mat(owned, heads_), graph.device);

  // d_scores of the entries of `csr` (destination rows from first_row on, entries from first_entry on):
  // d_alpha = SDDMM-dot(Z, dY), attention dropout, softmax and LeakyReLU backward.
  auto edge_gradients = [&](const kernels::CsrIndex& csr, int64_t first_row, int64_t first_entry) {
    const int64_t last_entry = first_entry + csr.num_entries(), last_row = first_row + csr.num_rows;
    Tensor da = d_scores.slice_rows(first_entry, last_entry);
    if (precision == GatAttention::kFP32) {
      kernels::sddmm_u_dot_v(csr, z.slice_rows(0, csr.num_cols), d_aggregated.slice_rows(first_row, last_row),
                             da);
    } else {
      kernels::qsddmm_u_dot_v(csr, quantized_rows(z_q, 0, csr.num_cols),
                              quantized_rows(dy_q, first_row, last_row), da);
    }
    if (attention_mask_.defined())
      dropout_backward(da, attention_mask_.slice_rows(first_entry, last_entry), context.attention_dropout,
                       da);
    context.make_progress();
    kernels::edge_softmax_backward(csr, alpha_.slice_rows(first_entry, last_entry), da, da);
    Tensor& ds = da;
    if (score_codes_.defined()) {
      coded_activation_backward(score_codes_.slice_rows(first_entry, last_entry), 1.0f, ds);
    } else {
      activate_backward(scores_.slice_rows(first_entry, last_entry), ds, kernels::Activation::kLeakyRelu,
                        kNegativeSlope);
    }
  };
  // Rows [first_row, ...) of dZ and d_el over `reverse` (csr_t() or a row range of it, whose canonical
  // edge ids reach every entry of the edge tensors): dZ = A_alpha^T dY + d_el a_l, d_el = the rows' sums
  // of d_scores. Reads d_scores of every edge leaving these rows.
  auto source_gradients = [&](const kernels::CsrIndex& reverse, int64_t first_row) {
    const int64_t last_row = first_row + reverse.num_rows;
    Tensor dz_rows = dz.slice_rows(first_row, last_row);
    switch (precision) {
      case GatAttention::kFP32: kernels::spmm_u_mul_e(reverse, d_aggregated, alpha_used, dz_rows); break;
      case GatAttention::kPerTensor: kernels::qspmm_u_mul_e(reverse, dy_q, alpha_q, dz_rows); break;
      case GatAttention::kPerRow:
        kernels::qspmm_u_mul_e_row_scaled_transposed(reverse, dy_q, alpha_q, dz_rows);
        break;
    }
    context.make_progress();
    Tensor d_el_rows = d_el.slice_rows(first_row, last_row);
    kernels::edge_segment_sum(reverse, d_scores, d_el_rows);
    Tensor no_da;
    kernels::head_scores_backward(z.slice_rows(first_row, last_row), d_el_rows, reverse.num_rows,
                                  attention_src_.value, dz_rows, no_da);
  };

  HaloOverlap dz_halo(context, HaloDirection::kBackward);  // dZ's halo rows go home (overlap_schedule.h)
  if (!exchange) {
    edge_gradients(g.csr(), 0, 0);
    z_q = {};
    if (alpha_in_place) make_alpha_operands();
    dz = Tensor::empty(DType::kF32, Shape::mat(rows, width), graph.device);
    source_gradients(g.csr_t(), 0);
    if (!first) dz_halo.post(dz);  // one rank: only counts the exchange
  } else {
    const RowSplit& split = graph.adjacency_with_self_split;
    const ReverseSplit& reverse_split = graph.adjacency_with_self_reverse_split;
    // Every edge from a halo row ends in a boundary row: those rows' gradients come first.
    if (owned > inner) edge_gradients(split.boundary, inner, split.boundary_first_entry);
    dz = Tensor::empty(DType::kF32, Shape::mat(rows, width), graph.device);
    source_gradients(reverse_split.halo, owned);
    dz_halo.post(dz);
    if (inner > 0) edge_gradients(split.inner, 0, 0);
    source_gradients(reverse_split.owned, 0);
  }
  kernels::edge_segment_sum(g.csr(), d_scores, d_er);
  Tensor no_dz, no_da;
  kernels::head_scores_backward(z, d_er, owned, attention_dst_.value, dz, no_da);
  context.make_progress();
  kernels::head_scores_backward(z, d_el, rows, attention_src_.value, no_dz, attention_src_.grad);
  kernels::head_scores_backward(z, d_er, owned, attention_dst_.value, no_dz, attention_dst_.grad);
  // The edge state is read for the last time: released now, not when the next forward replaces it.
  z = alpha_used = Tensor();
  d_scores = Tensor();
  z_ = z_halo_ = scores_ = score_codes_ = alpha_ = alpha_used_ = attention_mask_ = Tensor();
  if (first) {
    linear_.backward(std::move(dz), context, nullptr);  // dW = H_all^T dZ_all
    return;
  }
  dz_halo.finish();  // the owned rows are final: the received halo rows are added to them
  Tensor dz_owned = dz.slice_rows(0, owned);
  dz = Tensor();  // INT8: freed with dZ's codes made, before dH is allocated
  linear_.backward(std::move(dz_owned), context, d_input);
}

}  // namespace tango::trainer
