// Per-row math of the trainer's loss and accuracy (TANGO_HD, shared by the CPU and CUDA backends):
// log-softmax + negative log-likelihood in double precision with its gradient, and the first arg-max.
#pragma once

#include <cmath>
#include <cstdint>

#include "kernels/hd.h"

namespace tango::kernels {

// Index of the first maximum of z[0, cols) (as std::max_element and torch.argmax).
TANGO_HD inline int64_t first_argmax(const float* z, int64_t cols) {
  int64_t best = 0;
  for (int64_t j = 1; j < cols; ++j) {
    if (z[best] < z[j]) best = j;
  }
  return best;
}

// -log_softmax(z)[label] of one row, in double, and grad[j] = (softmax(z)[j] - [j == label]) / normalizer.
TANGO_HD inline double nll_row(const float* z, int64_t cols, int32_t label, double normalizer, float* grad) {
  const double zmax = z[first_argmax(z, cols)];
  double sum = 0.0;
  for (int64_t j = 0; j < cols; ++j) sum += exp(z[j] - zmax);
  const double log_sum = zmax + log(sum);
  for (int64_t j = 0; j < cols; ++j) {
    const double p = exp(z[j] - log_sum);
    grad[j] = static_cast<float>((p - (j == label ? 1.0 : 0.0)) / normalizer);
  }
  return log_sum - z[label];
}

}  // namespace tango::kernels
