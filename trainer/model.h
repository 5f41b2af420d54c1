// The model: a stack of graph layers with dropout before every layer and an activation after every
// layer but the last, forward and backward by hand. Dropout masks are keyed by (seed, epoch, layer,
// GLOBAL node id, column), so a node's mask is the same on whichever rank owns or mirrors it: K ranks
// compute what 1 rank computes, dropout included.
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

  std::vector<Parameter*> parameters();
  // Moves every parameter (drawn on the host) to `device`, with zero gradients there. Once, before
  // the optimizer is made.
  void to(Device device);
  int num_layers() const { return static_cast<int>(layers_.size()); }
  // While set (not null), forward and backward measure every named quantization of layer l into it
  // (trainer/quant_telemetry.h); the trainer sets it around the training passes of telemetry epochs.
  void set_quant_telemetry(QuantTelemetry* telemetry) { quant_telemetry_ = telemetry; }
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
  std::vector<Tensor> dropout_masks_;    // per layer input, when dropped_
  std::vector<Tensor> pre_activations_;  // per hidden layer: the activation's input
};

// Dropout stream of (epoch, layer): distinct for every pair.
uint64_t dropout_stream(int64_t epoch, int layer);

}  // namespace tango::trainer
