#include "kernels/cpu/keyed_dropout.h"

#include <algorithm>

#include "kernels/keyed_dropout_math.h"

namespace tango::kernels::cpu {

void keyed_dropout(const float* x, int64_t rows, int64_t cols, const int64_t* global_ids, float p,
                   uint64_t key, float* y, uint8_t* mask) {
  const int64_t pairs_per_row = (cols + 1) / 2;
  const float keep_scale = 1.0f / (1.0f - p);
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t pair = 0; pair < pairs_per_row; ++pair) {
      float draws[2];
      row_dropout_draws(key, static_cast<uint64_t>(global_ids[r]), static_cast<uint64_t>(pairs_per_row),
                        static_cast<uint64_t>(pair), draws);
      for (int64_t j = 2 * pair; j < std::min(cols, 2 * pair + 2); ++j) {
        const bool kept = draws[j - 2 * pair] >= p;
        mask[r * cols + j] = kept ? 1 : 0;
        y[r * cols + j] = keyed_dropout_value(x[r * cols + j], kept, keep_scale);
      }
    }
  }
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
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) dx[i] = keyed_dropout_value(dy[i], mask[i] != 0, keep_scale);
}

}  // namespace tango::kernels::cpu
