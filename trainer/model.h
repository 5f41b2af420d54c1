// The model: a stack of graph layers with dropout before every layer and an activation after every
// layer but the last, forward and backward by hand. Dropout masks are keyed by (seed, epoch, layer,
// GLOBAL node id, column), so a node's mask is the same on whichever rank owns or mirrors it: K ranks
// compute what 1 rank computes, dropout included.
// What a training forward keeps for backward between the layers (trainer/layers/README.md): fp32, each
// hidden layer's output y (the activation's input) and each dropout's u8 mask; int8, one u8 code per
// element of each hidden activation, act'(y) in 1/255 steps with the following dropout's keep bit folded
// in (ops.h activation_codes: exact for ReLU, ELU's derivative to 1/510), and layer 0's dropout mask.
// Backward releases each as it is used; an evaluation forward (training = false) keeps none of it.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "kernels/elementwise_math.h"
#include "trainer/config.h"
#include "trainer/layers/layer.h"
#include "trainer/quant_telemetry.h"

namespace tango::trainer {

class Model {
 public:
  // Layer sizes from the config: in_features -> hidden ... -> num_classes.
  Model(const TrainConfig& config, int64_t in_features, int32_t num_classes);

  // Logits of the owned rows [num_owned, classes]. `epoch` keys the dropout masks; training = false
  // runs without dropout (evaluation). halos[l] is layer l's link (may be null with one rank).
  // `last_hidden`, when given, gets the last hidden layer's output after its activation (what the output
  // layer reads; [num_owned, width]; undefined with one layer).
  Tensor forward(const DistGraph& graph, const std::vector<HaloLink*>& halos, bool training, int64_t epoch,
                 Tensor* last_hidden = nullptr);
  // From dL/d logits, fills every parameter's grad (this rank's share). `layer_done(l)`, when given,
  // is called as soon as layer l's gradients are final (last layer first): the trainer starts their
  // allreduce there while the layers below run backward.
  // `progress` goes to the layers (LayerContext::progress).
  void backward(const Tensor& d_logits, const std::vector<HaloLink*>& halos,
                const std::function<void(int)>& layer_done = {}, const std::function<void()>& progress = {});

  // What layer l and the model's state around it (the dropout before it, the activation after it) hold
  // for backward now.
  SavedBytes saved_bytes(int layer) const;

  std::vector<Parameter*> parameters();
  // Moves every parameter (drawn on the host) to `device`, with zero gradients there. Once, before
  // the optimizer is made.
  void to(Device device);
  int num_layers() const { return static_cast<int>(layers_.size()); }
  // While set (not null), forward and backward measure every named quantization of layer l into it
  // (trainer/quant_telemetry.h); the trainer sets it around the training passes of telemetry epochs.
  void set_quant_telemetry(QuantTelemetry* telemetry) { quant_telemetry_ = telemetry; }
  const Layer& layer(int index) const { return *layers_[index]; }
  Layer& layer(int index) { return *layers_[index]; }

 private:
  LayerContext context(int layer, const std::vector<HaloLink*>& halos) const;
  kernels::Activation activation_kind() const;

  TrainConfig config_;
  std::vector<std::unique_ptr<Layer>> layers_;
  const DistGraph* graph_ = nullptr;
  QuantTelemetry* quant_telemetry_ = nullptr;
  bool dropped_ = false;  // the last forward was a training pass with some dropout
  int64_t epoch_ = 0;
  std::vector<Tensor> dropout_masks_;     // per layer input, when dropped_ (int8: layer 0's only)
  std::vector<Tensor> pre_activations_;   // fp32, per hidden layer: the activation's input
  std::vector<Tensor> activation_codes_;  // int8, per hidden layer: u8 derivative codes, dropout folded in
};

// Dropout stream of (epoch, layer): distinct for every pair.
uint64_t dropout_stream(int64_t epoch, int layer);

}  // namespace tango::trainer
