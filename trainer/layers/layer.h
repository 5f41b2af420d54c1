// The interface of one graph layer with an explicit forward and backward (no autograd engine), and
// what a layer sees of the distributed run: its part of the graph, its halo link and the precision.
//
// Tables: a layer's input is [num_rows, F_in] at layer 0 (owned rows, then the halo rows whose input
// features the part file carries) and [num_owned, F_in] after it. Its output is [num_owned, F_out],
// before any activation (the model applies dropout and activations between layers). A layer that
// needs other ranks' rows gets them through its HaloLink: forward fills the halo rows of a
// [num_rows, F] table from their owners; backward sends halo-row gradients home, where they are added
// to the owners' rows.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "trainer/config.h"
#include "trainer/dist_graph.h"
#include "trainer/layers/saved_bytes.h"

namespace tango::trainer {

enum class HaloDirection { kForward, kBackward };

class HaloLink {
 public:
  virtual ~HaloLink() = default;
  // Starts moving rows of `table` ([num_rows, F]); the table must stay alive until wait().
  virtual void post(HaloDirection direction, Tensor& table) = 0;
  virtual void wait() = 0;
  // An exchange a one-rank run does not make, at the point where a multi-rank run would post it: only
  // counted (the count keys stochastic rounding and is checkpointed, so it must not depend on the rank
  // count). Moves nothing, changes no value.
  virtual void skip(HaloDirection /*direction*/) {}
  // Advances a posted exchange without blocking (MPI moves a large host message only inside MPI calls);
  // nothing when none is in flight. Changes no value.
  virtual void progress() {}
  void exchange(HaloDirection direction, Tensor& table) {
    post(direction, table);
    wait();
  }
};

struct LayerContext {
  const DistGraph* graph = nullptr;
  HaloLink* halo = nullptr;  // null: nothing to exchange (one rank)
  Precision precision = Precision::kFP32;
  GatAttention gat_attention = GatAttention::kFP32;
  bool overlap = true;  // compute inner rows while the halo is in flight
  // Attention dropout (GAT): on in training passes, masks keyed by (seed, stream, global edge).
  float attention_dropout = 0.0f;
  uint64_t seed = 0;
  uint64_t attention_dropout_stream = 0;
  // Stochastic rounding of INT8 weight-gradient operands (layers/linear_map.h): keyed by (seed, stream),
  // the stream by (epoch, layer); each LinearMap adds its tensor id.
  uint64_t gradient_rounding_stream = 0;
  bool training = false;
  // Backward only, may be empty: drives the progress of communication started earlier (the weight
  // gradients' allreduce: MPI advances a non-blocking collective only inside MPI calls).
  std::function<void()> progress;
  // Layers call this between the kernels that run while something is in flight (the halo exchange they
  // posted, the allreduce): it changes no value.
  void make_progress() const {
    if (progress) progress();
    if (halo != nullptr) halo->progress();
  }
  // Whether layers > 0 exchange: on every rank of a multi-rank run, also on one whose part has no halo row
  // (its exchanges are empty), so that what is decided collectively inside an exchange (the adaptive bit
  // policy) sees every rank at the same point.
  bool exchanges() const { return graph->num_parts > 1; }
  HaloLink& halo_link() const {
    TANGO_CHECK(halo != nullptr, "part {} of {} needs a halo link", graph->part_id, graph->num_parts);
    return *halo;
  }
};

struct Parameter {
  std::string name;  // "layer0.weight": checkpoint key
  Tensor value;      // f32
  Tensor grad;       // f32, same shape: this rank's contribution until the trainer allreduces it
};

class Layer {
 public:
  virtual ~Layer() = default;
  // Computes the layer's output for the owned rows; caches what backward needs. `input` is taken by
  // value: the layer drops it after its last read, so a caller that moves its tensor in has it freed
  // inside the layer (a peak-memory matter: the layer's own temporaries need not sit beside it).
  virtual Tensor forward(Tensor input, const LayerContext& context) = 0;
  // Given dL/d output ([num_owned, F_out]), writes the parameters' gradients and, when `d_input` is
  // not null, dL/d input for the owned rows ([num_owned, F_in]) with the halo contributions summed in.
  // `d_output` is taken by value like forward's input (INT8: dropped once its codes are made).
  virtual void backward(Tensor d_output, const LayerContext& context, Tensor* d_input) = 0;
  // What the layer holds now from its last forward for a backward (trainer/layers/README.md, "What a
  // layer keeps for backward"): after a forward, the state backward will read; after a backward, what
  // it did not release.
  virtual SavedBytes saved_bytes() const = 0;
  // Drops that state (the model calls it before a training forward, so that what an evaluation forward
  // left is not held beside the new state).
  virtual void release_saved() = 0;
  virtual std::vector<Parameter*> parameters() = 0;
  virtual int64_t in_features() const = 0;
  virtual int64_t out_features() const = 0;
};

// Glorot/Xavier uniform in [-a, a], a = sqrt(6 / (fan_in + fan_out)), each element drawn from a
// counter-based RNG keyed by (seed, layer, tensor id, element index): every rank draws the same
// weights without a broadcast, at any rank count.
void glorot_init(Tensor& weight, int64_t fan_in, int64_t fan_out, uint64_t seed, int layer, int tensor_id);
Parameter make_parameter(std::string name, Shape shape);

// A [num_rows, F] table whose owned rows are a copy of `owned` ([num_owned, F]); halo rows unset.
// A part without halo rows gets `owned` itself (shared, not copied): callers only read the owned rows.
Tensor table_from_owned(const Tensor& owned, const LayerContext& context);

}  // namespace tango::trainer
