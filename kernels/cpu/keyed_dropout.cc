#include "kernels/cpu/keyed_dropout.h"

#include <algorithm>

#include "kernels/cpu/isa_clones.h"
#include "kernels/cpu/parallel_spans.h"
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

void keyed_edge_dropout(const int64_t* indptr, const int32_t* indices, int64_t rows,
                        const int64_t* global_ids, int64_t num_global_nodes, int64_t heads, float p,
                        uint64_t key, float* values, uint8_t* mask) {
  const float keep_scale = 1.0f / (1.0f - p);
#pragma omp parallel for schedule(dynamic, 64)
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t e = indptr[r]; e < indptr[r + 1]; ++e) {
      for (int64_t h = 0; h < heads; ++h) {
        const bool kept = edge_dropout_draw(key, static_cast<uint64_t>(global_ids[r]),
                                            static_cast<uint64_t>(global_ids[indices[e]]),
                                            static_cast<uint64_t>(num_global_nodes),
                                            static_cast<uint64_t>(heads), static_cast<uint64_t>(h)) >= p;
        mask[e * heads + h] = kept ? 1 : 0;
        values[e * heads + h] = keyed_dropout_value(values[e * heads + h], kept, keep_scale);
      }
    }
  }
}

void masked_dropout_backward(const float* dy, const uint8_t* mask, int64_t n, float p, float* dx) {
  const float keep_scale = 1.0f / (1.0f - p);
  for_each_span(n, [&](int64_t begin, int64_t count) {
    dropout_backward_span(dy + begin, mask + begin, count, keep_scale, dx + begin);
  });
}

}  // namespace tango::kernels::cpu
