// BitPolicy: which codec each layer's halo messages use, per direction, fixed or adaptive.
//
// Fixed: the configured bits per (layer, direction): 32 (fp32), 16 (bf16), 8, 4 or 2 (per-row
// scales). Adaptive: after the first exchange of a (layer, direction), and then every
// `decide_every` exchanges, the policy picks the cheapest width whose PREDICTED relative error
// ||x - x^|| / ||x|| stays under `max_relative_error`:
//
//   predicted squared error at B bits  E(B) = k * (S_signed / qs(B)^2 + S_unsigned / qu(B)^2)
//   S_signed / S_unsigned = sum over the rows sent of cols * amax_row^2 (signed / non-negative rows)
//   qs(B) = 2^(B-1) - 1, qu(B) = 2^B - 1, k = 1/6 (stochastic) or 1/12 (nearest rounding)
//   calibrated by c = measured error / E(current B) over the window, so E_c(B) = c * E(B).
//
// These sums come out of the fused encode pass for free (EncodeStats); the decision needs one
// allreduce of five doubles so that every rank picks the same width (the receiver must know the
// message size), and takes microseconds. See comm/README.md for why and how it compares to AdaQP.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "comm/codec.h"
#include "comm/exchange_stats.h"

namespace tango::comm {

class Communicator;

struct LayerBits {
  int forward = 32;
  int backward = 32;
};

struct BitPolicyOptions {
  bool adaptive = false;
  Rounding rounding = Rounding::kStochastic;
  double max_relative_error = 0.1;  // adaptive: the error cap per message
  int decide_every = 10;            // adaptive: exchanges between decisions (after the first)
  int min_bits = 2;                 // adaptive: never below this width
};

// The codec for a width: 32 -> fp32, 16 -> bf16, 8/4/2 -> int with per-row scales. Other widths
// are an input error.
Codec codec_for_bits(int bits, Rounding rounding = Rounding::kStochastic);

class BitPolicy {
 public:
  // initial[l] = the widths of layer l (in adaptive mode, where each layer starts).
  BitPolicy(std::vector<LayerBits> initial, BitPolicyOptions options);

  int num_layers() const { return static_cast<int>(bits_.size()); }
  int bits(int layer, Direction direction) const;
  Codec codec(int layer, Direction direction) const {
    return codec_for_bits(bits(layer, direction), options_.rounding);
  }

  // Feeds the statistics of one exchange of (layer, direction); in adaptive mode, decides when due.
  // Collective when a decision is due: every rank calls observe() for the same exchanges.
  void observe(int layer, Direction direction, const ExchangeStats& stats, Communicator& comm);

  // The relative error predicted for `bits` from the window's statistics (summed over ranks).
  static double predicted_relative_error(const EncodeStats& stats, int current_bits, int bits,
                                         Rounding rounding);

  // "L0 fwd=8 bwd=4, L1 fwd=4 bwd=4": for logs and the metrics stream.
  std::string describe() const;

  // What an adaptive policy has learnt since construction: the widths it chose and each (layer,
  // direction)'s open window (this rank's statistics since the last decision, the exchanges in it, the
  // decisions taken). Checkpointed per rank, so a resumed run decides exactly as an unbroken one.
  struct Window {
    EncodeStats stats;
    int calls = 0;
    int decisions = 0;
  };
  struct State {
    std::vector<LayerBits> bits;  // [layer]
    std::vector<Window> windows;  // [layer * 2 + direction]
  };
  State state() const { return {bits_, windows_}; }
  // Takes over a state from state() of a policy with as many layers; another layer count, a width
  // that is not one, or a negative count is an input error.
  void restore(const State& state);

 private:
  Window& window(int layer, Direction direction);

  std::vector<LayerBits> bits_;
  BitPolicyOptions options_;
  std::vector<Window> windows_;  // [layer * 2 + direction]
};

}  // namespace tango::comm
