#include "kernels/cpu/keyed_dropout.h"

#include <algorithm>
#include <cstdint>

#include "kernels/cpu/isa_clones.h"
#include "kernels/cpu/parallel_spans.h"
#include "kernels/elementwise_math.h"
#include "kernels/keyed_dropout_math.h"

namespace tango::kernels::cpu {

namespace {

// One row of the row dropout: the per-column draw (keyed_dropout_math.h) vectorises; 64-bit multiplies
// are one AVX-512DQ instruction, and AVX2 emulates them with 32-bit ones.
TANGO_ISA_CLONES void dropout_row(const float* x, int64_t cols, uint64_t key, uint64_t global_id,
                                  uint64_t pairs_per_row, float p, float keep_scale, float* y,
                                  uint8_t* mask) {
  for (int64_t j = 0; j < cols; ++j) {
    const bool kept = row_dropout_draw(key, global_id, pairs_per_row, static_cast<uint64_t>(j)) >= p;
    mask[j] = kept ? 1 : 0;
    y[j] = keyed_dropout_value(x[j], kept, keep_scale);
  }
}

TANGO_ISA_CLONES void dropout_backward_span(const float* dy, const uint8_t* mask, int64_t n, float keep_scale,
                                            float* dx) {
  for (int64_t i = 0; i < n; ++i) dx[i] = keyed_dropout_value(dy[i], mask[i] != 0, keep_scale);
}

// The entries [first, last) of one destination row, every head. kHeads > 0: the head count as a constant,
// so the per-edge head loop is unrolled into one vector of lanes (the 32-bit-lane hash of
// core/counter_hash.h); with a run-time count of 8 the loop stayed scalar (shorter than the clone's vector).
template <int64_t kHeads>
[[gnu::always_inline]] inline void edge_dropout_entries(int64_t first, int64_t last, const int32_t* indices,
                                                        uint64_t dst_id, const int64_t* global_ids,
                                                        uint64_t num_global_nodes, int64_t run_time_heads,
                                                        float p, float keep_scale, uint64_t key,
                                                        float* values, uint8_t* mask) {
  const int64_t heads = kHeads > 0 ? kHeads : run_time_heads;
  for (int64_t e = first; e < last; ++e) {
    const uint64_t src_id = static_cast<uint64_t>(global_ids[indices[e]]);
    float* v = values + e * heads;
    uint8_t* m = mask + e * heads;
    // The draw of head h is keyed_uniform(key, base + h) (edge_dropout_draw). When the heads' indices share
    // their high word, the lanes differ only in the low word: 32-bit lanes, as hash32 is written for.
    const uint64_t base = (dst_id * num_global_nodes + src_id) * static_cast<uint64_t>(heads);
    const uint32_t low = static_cast<uint32_t>(base);
    if (low <= UINT32_MAX - static_cast<uint32_t>(heads)) {
      const Hash32Key lane_key = hash32_key(key, static_cast<uint32_t>(base >> 32));
      if constexpr (kHeads > 0) {  // hashes first, into a register-sized array: the SLP vectoriser's shape
        uint32_t bits[kHeads];
        for (int64_t h = 0; h < kHeads; ++h) bits[h] = hash32(lane_key, low + static_cast<uint32_t>(h));
        for (int64_t h = 0; h < kHeads; ++h) {
          const bool kept = uniform_from_bits(bits[h]) >= p;
          m[h] = kept ? 1 : 0;
          v[h] = keyed_dropout_value(v[h], kept, keep_scale);
        }
      } else {
        for (int64_t h = 0; h < heads; ++h) {
          const bool kept = uniform_from_bits(hash32(lane_key, low + static_cast<uint32_t>(h))) >= p;
          m[h] = kept ? 1 : 0;
          v[h] = keyed_dropout_value(v[h], kept, keep_scale);
        }
      }
      continue;
    }
    for (int64_t h = 0; h < heads; ++h) {
      const bool kept = edge_dropout_draw(key, dst_id, src_id, num_global_nodes, static_cast<uint64_t>(heads),
                                          static_cast<uint64_t>(h)) >= p;
      m[h] = kept ? 1 : 0;
      v[h] = keyed_dropout_value(v[h], kept, keep_scale);
    }
  }
}

TANGO_ISA_CLONES void edge_dropout_row(int64_t first, int64_t last, const int32_t* indices, uint64_t dst_id,
                                       const int64_t* global_ids, uint64_t num_global_nodes, int64_t heads,
                                       float p, float keep_scale, uint64_t key, float* values,
                                       uint8_t* mask) {
  switch (heads) {
#define TANGO_EDGE_DROPOUT_HEADS(k)                                                                      \
  case k:                                                                                                \
    return edge_dropout_entries<k>(first, last, indices, dst_id, global_ids, num_global_nodes, heads, p, \
                                   keep_scale, key, values, mask);
    TANGO_EDGE_DROPOUT_HEADS(4)
    TANGO_EDGE_DROPOUT_HEADS(8)
    TANGO_EDGE_DROPOUT_HEADS(16)
#undef TANGO_EDGE_DROPOUT_HEADS
    default:
      return edge_dropout_entries<0>(first, last, indices, dst_id, global_ids, num_global_nodes, heads, p,
                                     keep_scale, key, values, mask);
  }
}

}  // namespace

void keyed_dropout(const float* x, int64_t rows, int64_t cols, const int64_t* global_ids, float p,
                   uint64_t key, float* y, uint8_t* mask) {
  const uint64_t pairs_per_row = static_cast<uint64_t>((cols + 1) / 2);
  const float keep_scale = 1.0f / (1.0f - p);
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < rows; ++r)
    dropout_row(x + r * cols, cols, key, static_cast<uint64_t>(global_ids[r]), pairs_per_row, p, keep_scale,
                y + r * cols, mask + r * cols);
}

void keyed_edge_dropout(const int64_t* indptr, const int32_t* indices, int64_t rows, const int64_t* row_ids,
                        const int64_t* global_ids, int64_t num_global_nodes, int64_t heads, float p,
                        uint64_t key, float* values, uint8_t* mask) {
  const float keep_scale = 1.0f / (1.0f - p);
#pragma omp parallel for schedule(dynamic, 64)
  for (int64_t r = 0; r < rows; ++r)
    edge_dropout_row(indptr[r], indptr[r + 1], indices, static_cast<uint64_t>(row_ids[r]), global_ids,
                     static_cast<uint64_t>(num_global_nodes), heads, p, keep_scale, key, values, mask);
}

void masked_dropout_backward(const float* dy, const uint8_t* mask, int64_t n, float p, float* dx) {
  const float keep_scale = 1.0f / (1.0f - p);
  for_each_span(n, [&](int64_t begin, int64_t count) {
    dropout_backward_span(dy + begin, mask + begin, count, keep_scale, dx + begin);
  });
}

namespace {

// One row of activation_dropout_codes, one activation kind per function so that the element loop has no
// switch: ReLU's vectorises (its clones); ELU calls expf, which stays scalar as in the two kernels this one
// fuses (elementwise.cc), so the bits are theirs.
template <Activation kKind>
[[gnu::always_inline]] inline void activation_dropout_codes_row(float* y, int64_t cols, uint64_t key,
                                                                uint64_t id, uint64_t pairs_per_row, float p,
                                                                float keep_scale, float alpha,
                                                                uint8_t* codes) {
  for (int64_t j = 0; j < cols; ++j) {
    const bool kept = p == 0.0f || row_dropout_draw(key, id, pairs_per_row, static_cast<uint64_t>(j)) >= p;
    const float value = y[j];
    codes[j] = derivative_code(kKind, value, alpha, kept);
    y[j] = keyed_dropout_value(activation_value(kKind, value, alpha), kept, keep_scale);
  }
}
using DropoutCodesRow = void (*)(float*, int64_t, uint64_t, uint64_t, uint64_t, float, float, float,
                                 uint8_t*);
TANGO_ISA_CLONES void relu_dropout_codes_row(float* y, int64_t cols, uint64_t key, uint64_t id,
                                             uint64_t pairs_per_row, float p, float keep_scale, float alpha,
                                             uint8_t* codes) {
  activation_dropout_codes_row<Activation::kRelu>(y, cols, key, id, pairs_per_row, p, keep_scale, alpha,
                                                  codes);
}
TANGO_ISA_CLONES void leaky_relu_dropout_codes_row(float* y, int64_t cols, uint64_t key, uint64_t id,
                                                   uint64_t pairs_per_row, float p, float keep_scale,
                                                   float alpha, uint8_t* codes) {
  activation_dropout_codes_row<Activation::kLeakyRelu>(y, cols, key, id, pairs_per_row, p, keep_scale, alpha,
                                                       codes);
}
TANGO_ISA_CLONES void identity_dropout_codes_row(float* y, int64_t cols, uint64_t key, uint64_t id,
                                                 uint64_t pairs_per_row, float p, float keep_scale,
                                                 float alpha, uint8_t* codes) {
  activation_dropout_codes_row<Activation::kIdentity>(y, cols, key, id, pairs_per_row, p, keep_scale, alpha,
                                                      codes);
}
void elu_dropout_codes_row(float* y, int64_t cols, uint64_t key, uint64_t id, uint64_t pairs_per_row, float p,
                           float keep_scale, float alpha, uint8_t* codes) {
  activation_dropout_codes_row<Activation::kElu>(y, cols, key, id, pairs_per_row, p, keep_scale, alpha,
                                                 codes);
}

}  // namespace

void activation_dropout_codes(float* y, int64_t rows, int64_t cols, const int64_t* global_ids, float p,
                              uint64_t key, const ActivationOptions& activation, uint8_t* codes) {
  const uint64_t pairs_per_row = static_cast<uint64_t>((cols + 1) / 2);
  const float keep_scale = 1.0f / (1.0f - p);
  const DropoutCodesRow row = activation.kind == Activation::kRelu        ? relu_dropout_codes_row
                              : activation.kind == Activation::kLeakyRelu ? leaky_relu_dropout_codes_row
                              : activation.kind == Activation::kElu       ? elu_dropout_codes_row
                                                                          : identity_dropout_codes_row;
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < rows; ++r) {
    const uint64_t id = static_cast<uint64_t>(global_ids[r]);
    row(y + r * cols, cols, key, id, pairs_per_row, p, keep_scale, activation.alpha, codes + r * cols);
  }
}

}  // namespace tango::kernels::cpu
