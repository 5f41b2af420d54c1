#include "kernels/cpu/head_ops.h"

#include <cstddef>
#include <vector>

#include "kernels/head_ops_math.h"

namespace tango::kernels::cpu {

void head_scores(const float* z, int64_t rows, const float* a, int64_t heads, int64_t width, float* out) {
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t h = 0; h < heads; ++h)
      out[r * heads + h] = head_dot(z + (r * heads + h) * width, a + h * width, width);
  }
}

void head_scores_backward(const float* z, const float* ds, int64_t rows, const float* a, int64_t heads,
                          int64_t width, float* dz, float* da) {
  if (dz != nullptr) {
#pragma omp parallel for schedule(static)
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t h = 0; h < heads; ++h) {
        const float g = ds[r * heads + h];
        for (int64_t d = 0; d < width; ++d) {
          const int64_t i = (r * heads + h) * width + d;
          dz[i] = mul_add_rounded(g, a[h * width + d], dz[i]);
        }
      }
    }
  }
  if (da == nullptr) return;
  // Rows in order: the double sums are deterministic.
  std::vector<double> sums(static_cast<size_t>(heads * width), 0.0);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t h = 0; h < heads; ++h) {
      const float g = ds[r * heads + h];
      for (int64_t d = 0; d < width; ++d)
        sums[h * width + d] += static_cast<double>(g) * z[(r * heads + h) * width + d];
    }
  }
  for (size_t i = 0; i < sums.size(); ++i) da[i] = static_cast<float>(sums[i]);
}

void head_mean(const float* x, int64_t rows, int64_t heads, int64_t width, float* out) {
  const float inverse_heads = 1.0f / static_cast<float>(heads);
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t d = 0; d < width; ++d)
      out[r * width + d] = head_mean_value(x + r * heads * width, heads, width, d, inverse_heads);
  }
}

void head_mean_backward(const float* dy, int64_t rows, int64_t heads, int64_t width, float* dx) {
  const float inverse_heads = 1.0f / static_cast<float>(heads);
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t h = 0; h < heads; ++h) {
      for (int64_t d = 0; d < width; ++d) dx[(r * heads + h) * width + d] = dy[r * width + d] * inverse_heads;
    }
  }
}

}  // namespace tango::kernels::cpu
