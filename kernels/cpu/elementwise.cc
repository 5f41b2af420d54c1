#include "kernels/cpu/elementwise.h"

#include <omp.h>

#include <algorithm>
#include <vector>

#include "kernels/cpu/isa_clones.h"
#include "kernels/cpu/parallel_spans.h"

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

namespace {

// One activation kind per span function, so the compiler sees a branch-free select it can vectorise
// (a switch on the kind inside the element loop kept every kind scalar). ELU calls expf, which stays
// scalar (a vector expf may differ from the scalar one in the last bit); its span is not cloned.
template <Activation kKind>
[[gnu::always_inline]] inline void activation_span(const float* x, int64_t n, float alpha, float* y) {
  for (int64_t i = 0; i < n; ++i) y[i] = activation_value(kKind, x[i], alpha);
}
template <Activation kKind>
[[gnu::always_inline]] inline void derivative_span(const float* x, const float* dy, int64_t n, float alpha,
                                                   float* dx) {
  for (int64_t i = 0; i < n; ++i) dx[i] = dy[i] * activation_derivative(kKind, x[i], alpha);
}

TANGO_ISA_CLONES void relu_span(const float* x, int64_t n, float alpha, float* y) {
  activation_span<Activation::kRelu>(x, n, alpha, y);
}
TANGO_ISA_CLONES void leaky_relu_span(const float* x, int64_t n, float alpha, float* y) {
  activation_span<Activation::kLeakyRelu>(x, n, alpha, y);
}
void elu_span(const float* x, int64_t n, float alpha, float* y) {
  activation_span<Activation::kElu>(x, n, alpha, y);
}
TANGO_ISA_CLONES void relu_derivative_span(const float* x, const float* dy, int64_t n, float alpha,
                                           float* dx) {
  derivative_span<Activation::kRelu>(x, dy, n, alpha, dx);
}
TANGO_ISA_CLONES void leaky_relu_derivative_span(const float* x, const float* dy, int64_t n, float alpha,
                                                 float* dx) {
  derivative_span<Activation::kLeakyRelu>(x, dy, n, alpha, dx);
}
void elu_derivative_span(const float* x, const float* dy, int64_t n, float alpha, float* dx) {
  derivative_span<Activation::kElu>(x, dy, n, alpha, dx);
}

}  // namespace

void activation_forward(const float* x, int64_t n, const ActivationOptions& options, float* y) {
  if (options.kind == Activation::kIdentity) {
    if (y != x) std::copy(x, x + n, y);
    return;
  }
  auto span = options.kind == Activation::kRelu        ? relu_span
              : options.kind == Activation::kLeakyRelu ? leaky_relu_span
                                                       : elu_span;
  for_each_span(n, [&](int64_t begin, int64_t count) { span(x + begin, count, options.alpha, y + begin); });
}

void activation_backward(const float* x, const float* dy, int64_t n, const ActivationOptions& options,
                         float* dx) {
  if (options.kind == Activation::kIdentity) {
    if (dx != dy) std::copy(dy, dy + n, dx);
    return;
  }
  auto span = options.kind == Activation::kRelu        ? relu_derivative_span
              : options.kind == Activation::kLeakyRelu ? leaky_relu_derivative_span
                                                       : elu_derivative_span;
  for_each_span(n, [&](int64_t begin, int64_t count) {
    span(x + begin, dy + begin, count, options.alpha, dx + begin);
  });
}

void activation_derivative_codes(const float* x, const uint8_t* keep_mask, int64_t n,
                                 const ActivationOptions& options, uint8_t* codes) {
  for_each_span(n, [&](int64_t begin, int64_t count) {
    for (int64_t i = begin; i < begin + count; ++i)
      codes[i] =
          derivative_code(options.kind, x[i], options.alpha, keep_mask == nullptr || keep_mask[i] != 0);
  });
}

TANGO_ISA_CLONES void coded_backward_span(const uint8_t* codes, const float* dy, int64_t n, float keep_scale,
                                          float* dx) {
  for (int64_t i = 0; i < n; ++i) dx[i] = coded_derivative_backward(dy[i], codes[i], keep_scale);
}

void coded_activation_backward(const uint8_t* codes, const float* dy, int64_t n, float keep_scale,
                               float* dx) {
  for_each_span(n, [&](int64_t begin, int64_t count) {
    coded_backward_span(codes + begin, dy + begin, count, keep_scale, dx + begin);
  });
}

}  // namespace tango::kernels::cpu
