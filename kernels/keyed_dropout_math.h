// Per-element math of the trainer's keyed dropouts, shared by the CPU and CUDA backends (TANGO_HD):
// the keep draws are pure functions of (key, GLOBAL node or edge id, column or head), so a node or edge
// gets the same mask on every rank, at any rank count, on either backend.
#pragma once

#include <cstdint>

#include "kernels/hd.h"
#include "kernels/quant_math.h"

namespace tango::kernels {

constexpr float kUnit24 = 1.0f / 16777216.0f;

// Row dropout: one 64-bit draw per pair of columns, hash(key, global_id * pairs_per_row + pair), split
// into two 24-bit uniforms: draws[0] for column 2 * pair, draws[1] for column 2 * pair + 1.
TANGO_HD inline void row_dropout_draws(uint64_t key, uint64_t global_id, uint64_t pairs_per_row,
                                       uint64_t pair, float draws[2]) {
  const uint64_t bits = mix64(key + global_id * pairs_per_row + pair);
  draws[0] = static_cast<float>(static_cast<uint32_t>(bits >> 40)) * kUnit24;
  draws[1] = static_cast<float>(static_cast<uint32_t>((bits >> 8) & 0xFFFFFFu)) * kUnit24;
}

// The draw of one column alone, equal to what row_dropout_draws gives it. A loop over columns hashes each
// pair twice this way, but every lane does the same work, so the CPU loop vectorises (the pair loop
// cannot: one 64-bit hash feeds two columns).
TANGO_HD inline float row_dropout_draw(uint64_t key, uint64_t global_id, uint64_t pairs_per_row,
                                       uint64_t column) {
  const uint64_t bits = mix64(key + global_id * pairs_per_row + column / 2);
  const uint64_t shift = (column & 1) != 0 ? 8 : 40;
  return static_cast<float>(static_cast<int32_t>((bits >> shift) & 0xFFFFFFu)) *
         kUnit24;  // signed: see uniform_from_bits
}

// Edge dropout: the uniform of head `head` of the global edge (destination id, source id).
TANGO_HD inline float edge_dropout_draw(uint64_t key, uint64_t dst_id, uint64_t src_id,
                                        uint64_t num_global_nodes, uint64_t heads, uint64_t head) {
  const uint64_t edge = dst_id * num_global_nodes + src_id;
  return keyed_uniform(key, edge * heads + head);
}

// Inverted dropout of one value given its draw: kept (draw >= p) values are scaled by keep_scale.
TANGO_HD inline float keyed_dropout_value(float x, bool kept, float keep_scale) {
  return kept ? x * keep_scale : 0.0f;
}

}  // namespace tango::kernels
