#include "kernels/cpu/softmax_nll.h"

#include <cmath>

namespace tango::kernels::cpu {

void softmax_nll_forward(const float* logits, const int32_t* labels, const uint8_t* mask, int64_t rows,
                         int64_t classes, float* log_probs, float* stats) {
  double loss_sum = 0.0, correct = 0.0, count = 0.0;
#pragma omp parallel for schedule(static) reduction(+ : loss_sum, correct, count)
  for (int64_t r = 0; r < rows; ++r) {
    const float* in = logits + r * classes;
    float* out = log_probs + r * classes;
    float max_value = in[0];
    int64_t argmax = 0;
    for (int64_t c = 1; c < classes; ++c)
      if (in[c] > max_value) max_value = in[c], argmax = c;
    float sum = 0.0f;
    for (int64_t c = 0; c < classes; ++c) sum += std::exp(in[c] - max_value);
    const float log_sum = std::log(sum);
    for (int64_t c = 0; c < classes; ++c) out[c] = in[c] - max_value - log_sum;
    if (mask && !mask[r]) continue;
    loss_sum -= out[labels[r]];
    correct += argmax == labels[r] ? 1.0 : 0.0;
    count += 1.0;
  }
  stats[1] = static_cast<float>(loss_sum);
  stats[2] = static_cast<float>(correct);
  stats[3] = static_cast<float>(count);
  stats[0] = count > 0 ? static_cast<float>(loss_sum / count) : 0.0f;
}

void softmax_nll_backward(const float* log_probs, const int32_t* labels, const uint8_t* mask, int64_t rows,
                          int64_t classes, const float* count, float* dlogits) {
  const float scale = count[0] > 0.0f ? 1.0f / count[0] : 0.0f;
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < rows; ++r) {
    float* out = dlogits + r * classes;
    const float* in = log_probs + r * classes;
    const bool active = !mask || mask[r];
    for (int64_t c = 0; c < classes; ++c)
      out[c] = active ? (std::exp(in[c]) - (c == labels[r] ? 1.0f : 0.0f)) * scale : 0.0f;
  }
}

}  // namespace tango::kernels::cpu
