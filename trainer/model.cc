#include "trainer/model.h"

#include <spdlog/spdlog.h>

#include "trainer/layers/gat_layer.h"
#include "trainer/layers/gcn_layer.h"
#include "trainer/layers/mlp_layer.h"
#include "trainer/layers/sage_layer.h"
#include "trainer/ops.h"

namespace tango::trainer {
namespace {

std::unique_ptr<Layer> make_layer(const TrainConfig& config, int index, int64_t in, int64_t out) {
  const bool last = index + 1 == config.layers;
  switch (config.model) {
    case ModelKind::kGAT: {
      // Hidden layers: `heads` heads of `hidden` columns each, concatenated (heads * hidden wide, as in
      // the GAT paper's 8 x 8 on cora); output: 1 head, averaged.
      if (last) return std::make_unique<GatLayer>(index, in, 1, out, /*mean_heads=*/true, config.seed);
      return std::make_unique<GatLayer>(index, in, config.heads, out, false, config.seed);
    }
    case ModelKind::kGCN: return std::make_unique<GcnLayer>(index, in, out, config.seed);
    case ModelKind::kMLP: return std::make_unique<MlpLayer>(index, in, out, config.seed);
    case ModelKind::kSAGE: return std::make_unique<SageLayer>(index, in, out, config.seed);
    default: TANGO_FAIL("no layer for --model {}", model_name(config.model));
  }
}

}  // namespace

uint64_t dropout_stream(int64_t epoch, int layer) {
  return (static_cast<uint64_t>(epoch) << 8) + static_cast<uint64_t>(layer) + 1;
}

// The configuration was checked by validate_config() (trainer/config.h).
Model::Model(const TrainConfig& config, int64_t in_features, int32_t num_classes) : config_(config) {
  int64_t in = in_features;
  for (int l = 0; l < config.layers; ++l) {
    const int64_t out = l + 1 == config.layers ? num_classes : config.hidden;
    layers_.push_back(make_layer(config, l, in, out));
    in = layers_.back()->out_features();
  }
}

std::vector<Parameter*> Model::parameters() {
  std::vector<Parameter*> all;
  for (auto& layer : layers_) {
    for (Parameter* p : layer->parameters()) all.push_back(p);
  }
  return all;
}

void Model::to(Device device) {
  for (Parameter* p : parameters()) {
    if (p->value.device() == device) continue;
    p->value = p->value.to(device);
    p->grad = Tensor::zeros(DType::kF32, p->grad.shape(), device);
  }
}

kernels::Activation Model::activation_kind() const {
  return config_.activation == "elu" ? kernels::Activation::kElu : kernels::Activation::kRelu;
}

LayerContext Model::context(int layer, const std::vector<HaloLink*>& halos) const {
  LayerContext context;
  context.graph = graph_;
  context.halo = layer < static_cast<int>(halos.size()) ? halos[layer] : nullptr;
  context.precision = config_.precision;
  context.gat_attention = config_.gat_attention;
  context.overlap = config_.overlap;
  context.attention_dropout = static_cast<float>(config_.attn_dropout);
  context.seed = config_.seed;
  context.attention_dropout_stream = dropout_stream(epoch_, layer) + 128;
  context.gradient_rounding_stream = dropout_stream(epoch_, layer) + (uint64_t{1} << 62);
  context.training = dropped_;
  return context;
}

Tensor Model::forward(const DistGraph& graph, const std::vector<HaloLink*>& halos, bool training,
                      int64_t epoch, Tensor* last_hidden) {
  graph_ = &graph;
  epoch_ = epoch;
  const float p = static_cast<float>(config_.dropout);
  dropped_ = training && (p > 0.0f || config_.attn_dropout > 0.0);
  if (training) {
    for (auto& layer : layers_) layer->release_saved();  // what an evaluation forward left
  }
  dropout_masks_.assign(layers_.size(), Tensor());
  pre_activations_.assign(layers_.size(), Tensor());
  activation_codes_.assign(layers_.size(), Tensor());
  // int8 training keeps one u8 code per hidden element for backward instead of the activation's input and
  // the dropout mask (ops.h activate_dropout_coded).
  const bool coded = config_.precision == Precision::kINT8 && training;
  Tensor h = graph.input;
  bool h_dropped = false;  // h is the previous layer's output with this layer's dropout applied (coded)
  for (int l = 0; l < num_layers(); ++l) {
    Tensor x = std::move(h);
    if (dropped_ && p > 0.0f && !h_dropped) {
      // In place on an activation only this loop holds (not the input features, not the embeddings the
      // caller keeps), so that the layer's input does not sit beside a second copy.
      const bool in_place = l > 0 && !(last_hidden != nullptr && l + 1 == num_layers());
      const Tensor in = x;
      if (!in_place) x = Tensor::empty(DType::kF32, in.shape(), in.device());
      dropout_masks_[l] = Tensor::empty(DType::kU8, in.shape(), in.device());
      dropout(in, x, dropout_masks_[l], p, config_.seed, dropout_stream(epoch, l), graph.global_ids);
    }
    if (coded && l > 0 && !h_dropped) {
      // int8 beside --embeddings: the previous activation and this dropout become one u8 code per element.
      activation_codes_[l - 1] =
          activation_codes(pre_activations_[l - 1], dropout_masks_[l], activation_kind(), 1.0f);
      pre_activations_[l - 1] = Tensor();
      dropout_masks_[l] = Tensor();
    }
    Tensor y;
    {
      const QuantTelemetry::Scope measured(quant_telemetry_, l, QuantPass::kForward, graph.num_owned,
                                           graph.num_rows());
      y = layers_[l]->forward(std::move(x), context(l, halos));  // freed inside, after its last read
    }
    if (spdlog::should_log(spdlog::level::debug)) {
      const MemoryStats memory = memory_stats(graph_->device.kind);
      spdlog::debug("layer {} {} forward done: {:.1f} MiB of live tensors, peak {:.1f} MiB this epoch", l,
                    training ? "training" : "evaluation", memory.current_bytes / 1048576.0,
                    memory.peak_bytes / 1048576.0);
    }
    h_dropped = false;
    if (l + 1 < num_layers()) {
      const bool keep_hidden = last_hidden != nullptr && l + 2 == num_layers();
      if (coded && !keep_hidden) {
        // y becomes the next layer's input in place (activation, then that layer's dropout), and backward
        // reads the codes only.
        activation_codes_[l] =
            activate_dropout_coded(y, activation_kind(), 1.0f, dropped_ ? p : 0.0f, config_.seed,
                                   dropout_stream(epoch, l + 1), graph.global_ids);
        h = std::move(y);
        h_dropped = true;
        continue;
      }
      if (training) pre_activations_[l] = y;  // an evaluation pass has no backward
      h = Tensor::empty(DType::kF32, y.shape(), y.device());
      activate(y, h, activation_kind(), 1.0f);
      if (keep_hidden) *last_hidden = h;
    } else {
      h = std::move(y);
    }
  }
  return h;
}

void Model::backward(const Tensor& d_logits, const std::vector<HaloLink*>& halos,
                     const std::function<void(int)>& layer_done, const std::function<void()>& progress) {
  Tensor d = d_logits;
  for (int l = num_layers() - 1; l >= 0; --l) {
    Tensor d_input;
    LayerContext layer_context = context(l, halos);
    layer_context.progress = progress;
    {
      const QuantTelemetry::Scope measured(quant_telemetry_, l, QuantPass::kBackward, graph_->num_owned,
                                           graph_->num_rows());
      layers_[l]->backward(std::move(d), layer_context, l > 0 ? &d_input : nullptr);
    }
    if (layer_done) layer_done(l);
    if (spdlog::should_log(spdlog::level::debug)) {
      const MemoryStats memory = memory_stats(graph_->device.kind);
      spdlog::debug("layer {} backward done: {:.1f} MiB of live tensors, peak {:.1f} MiB this epoch", l,
                    memory.current_bytes / 1048576.0, memory.peak_bytes / 1048576.0);
    }
    if (l == 0) break;
    const float p = static_cast<float>(config_.dropout);
    if (activation_codes_[l - 1].defined()) {
      // The dropout was folded into the codes when it ran (forward: dropped_ && p > 0).
      coded_activation_backward(activation_codes_[l - 1], dropped_ && p > 0.0f ? dropout_keep_scale(p) : 1.0f,
                                d_input);
    } else {
      if (dropout_masks_[l].defined()) dropout_backward(d_input, dropout_masks_[l], p, d_input);
      activate_backward(pre_activations_[l - 1], d_input, activation_kind(), 1.0f);
    }
    // Read for the last time: released now, not when the next forward replaces them.
    activation_codes_[l - 1] = pre_activations_[l - 1] = dropout_masks_[l] = Tensor();
    d = d_input;
  }
  dropout_masks_[0] = Tensor();
}

SavedBytes Model::saved_bytes(int layer) const {
  SavedBytes saved = layers_[layer]->saved_bytes();
  const auto l = static_cast<size_t>(layer);
  if (l < dropout_masks_.size()) saved.add(dropout_masks_[l]);
  if (l < pre_activations_.size()) saved.add(pre_activations_[l]);
  if (l < activation_codes_.size()) saved.add(activation_codes_[l]);
  return saved;
}

}  // namespace tango::trainer
