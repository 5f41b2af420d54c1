#include "kernels/cpu/elementwise.h"

#include <omp.h>

#include <algorithm>
#include <vector>

namespace tango::kernels::cpu {

void bias_add(float* y, int64_t rows, int64_t cols, const float* bias) {
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t j = 0; j < cols; ++j) y[r * cols + j] += bias[j];
}

void add_inplace(float* y, const float* x, int64_t n) {
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) y[i] += x[i];
}

void column_sum(const float* x, int64_t rows, int64_t cols, float* out) {
  // Per-thread partial sums over a static row split, then added in thread order (deterministic for a
  // fixed thread count).
  const int threads = omp_get_max_threads();
  std::vector<float> partial(static_cast<size_t>(threads * cols), 0.0f);
#pragma omp parallel num_threads(threads)
  {
    float* mine = partial.data() + omp_get_thread_num() * cols;
#pragma omp for schedule(static)
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t j = 0; j < cols; ++j) mine[j] += x[r * cols + j];
  }
  std::fill(out, out + cols, 0.0f);
  for (int t = 0; t < threads; ++t)
    for (int64_t j = 0; j < cols; ++j) out[j] += partial[t * cols + j];
}

void activation_forward(const float* x, int64_t n, const ActivationOptions& options, float* y) {
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) y[i] = activation_value(options.kind, x[i], options.alpha);
}

void activation_backward(const float* x, const float* dy, int64_t n, const ActivationOptions& options,
                         float* dx) {
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) dx[i] = dy[i] * activation_derivative(options.kind, x[i], options.alpha);
}

void dropout_apply(const float* in, int64_t n, const DropoutOptions& options, float* out) {
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i)
    out[i] = in[i] * dropout_factor(options.p, options.seed, options.stream, static_cast<uint64_t>(i));
}

}  // namespace tango::kernels::cpu
