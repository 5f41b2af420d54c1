#include "comm/bit_policy.h"

#include <cmath>

#include "comm/communicator.h"
#include "core/error.h"

namespace tango::comm {

namespace {
constexpr int kCandidateBits[] = {2, 4, 8, 16, 32};

bool valid_bits(int bits) {
  return bits == 32 || bits == 16 || bits == 8 || bits == 4 || bits == 2;
}

// Unscaled squared-error model at `bits` (see bit_policy.h); 16/32 bits use bf16's / no rounding.
double model_squared_error(const EncodeStats& stats, int bits, Rounding rounding) {
  if (bits == 32) return 0.0;
  if (bits == 16) {
    // bf16 keeps 8 significant bits: relative rounding error up to 2^-9, variance about 2^-18 / 3.
    return stats.squared_signal * std::ldexp(1.0, -18) / 3.0;
  }
  double k = rounding == Rounding::kStochastic ? 1.0 / 6.0 : 1.0 / 12.0;
  double qs = (1 << (bits - 1)) - 1, qu = (1 << bits) - 1;
  return k * (stats.signed_amax2 / (qs * qs) + stats.unsigned_amax2 / (qu * qu));
}
}  // namespace

Codec codec_for_bits(int bits, Rounding rounding) {
  TANGO_CHECK_INPUT(valid_bits(bits), "halo message width {} bits is not one of 32, 16, 8, 4, 2", bits);
  if (bits == 32) return Codec::fp32();
  if (bits == 16) return Codec::bf16();
  return Codec::integer(bits, ScaleGranularity::kPerRow, rounding);
}

BitPolicy::BitPolicy(std::vector<LayerBits> initial, BitPolicyOptions options)
    : bits_(std::move(initial)), options_(options), windows_(bits_.size() * 2) {
  for (size_t l = 0; l < bits_.size(); ++l)
    TANGO_CHECK_INPUT(valid_bits(bits_[l].forward) && valid_bits(bits_[l].backward),
                      "layer {}: halo widths fwd={} bwd={} must each be 32, 16, 8, 4 or 2", l,
                      bits_[l].forward, bits_[l].backward);
  TANGO_CHECK_INPUT(options_.max_relative_error > 0, "adaptive halo bits: max relative error {} must be > 0",
                    options_.max_relative_error);
  TANGO_CHECK_INPUT(options_.decide_every >= 1, "adaptive halo bits: decide_every {} must be >= 1",
                    options_.decide_every);
  TANGO_CHECK_INPUT(valid_bits(options_.min_bits), "adaptive halo bits: min_bits {} is not a width",
                    options_.min_bits);
}

int BitPolicy::bits(int layer, Direction direction) const {
  TANGO_CHECK(layer >= 0 && layer < num_layers(), "layer {} of {}", layer, num_layers());
  return direction == Direction::kForward ? bits_[layer].forward : bits_[layer].backward;
}

BitPolicy::Window& BitPolicy::window(int layer, Direction direction) {
  return windows_[static_cast<size_t>(layer) * 2 + static_cast<size_t>(direction)];
}

double BitPolicy::predicted_relative_error(const EncodeStats& stats, int current_bits, int bits,
                                           Rounding rounding) {
  if (stats.squared_signal <= 0) return 0.0;
  double model_now = model_squared_error(stats, current_bits, rounding);
  // Calibrate the model on what the current width really did (when it made any error at all).
  double calibration = model_now > 0 && stats.squared_error > 0 ? stats.squared_error / model_now : 1.0;
  return std::sqrt(calibration * model_squared_error(stats, bits, rounding) / stats.squared_signal);
}

void BitPolicy::observe(int layer, Direction direction, const ExchangeStats& stats, Communicator& comm) {
  if (!options_.adaptive) return;
  Window& w = window(layer, direction);
  w.stats.add(stats.quantization);
  ++w.calls;
  bool due = w.decisions == 0 ? w.calls >= 1 : w.calls >= options_.decide_every;
  if (!due) return;
  // Every rank must reach the same decision: sum the window over ranks (one small allreduce).
  double sums[4] = {w.stats.squared_error, w.stats.squared_signal, w.stats.signed_amax2,
                    w.stats.unsigned_amax2};
  comm.allreduce(std::span<double>(sums, 4), ReduceOp::kSum);
  EncodeStats total{sums[0], sums[1], sums[2], sums[3]};
  int current = bits(layer, direction);
  int chosen = 32;
  for (int candidate : kCandidateBits) {
    if (candidate < options_.min_bits) continue;
    if (predicted_relative_error(total, current, candidate, options_.rounding) <=
        options_.max_relative_error) {
      chosen = candidate;
      break;
    }
  }
  (direction == Direction::kForward ? bits_[layer].forward : bits_[layer].backward) = chosen;
  w = Window{{}, 0, w.decisions + 1};
}

void BitPolicy::restore(const State& state) {
  TANGO_CHECK_INPUT(state.bits.size() == bits_.size() && state.windows.size() == windows_.size(),
                    "bit policy state of {} layers and {} windows does not fit a policy of {} layers",
                    state.bits.size(), state.windows.size(), bits_.size());
  for (size_t l = 0; l < state.bits.size(); ++l)
    TANGO_CHECK_INPUT(valid_bits(state.bits[l].forward) && valid_bits(state.bits[l].backward),
                      "bit policy state: layer {} widths fwd={} bwd={} must each be 32, 16, 8, 4 or 2", l,
                      state.bits[l].forward, state.bits[l].backward);
  for (const Window& w : state.windows)
    TANGO_CHECK_INPUT(w.calls >= 0 && w.decisions >= 0,
                      "bit policy state: window counts {} / {} are negative", w.calls, w.decisions);
  bits_ = state.bits;
  windows_ = state.windows;
}

std::string BitPolicy::describe() const {
  std::string text;
  for (int l = 0; l < num_layers(); ++l)
    text += fmt::format("{}L{} fwd={} bwd={}", l ? ", " : "", l, bits_[l].forward, bits_[l].backward);
  return text;
}

}  // namespace tango::comm
