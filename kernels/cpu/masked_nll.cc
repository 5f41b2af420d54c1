#include "kernels/cpu/masked_nll.h"

#include <algorithm>

#include "kernels/masked_nll_math.h"

namespace tango::kernels::cpu {

double masked_nll(const float* logits, const int32_t* labels, const uint8_t* mask, int64_t rows,
                  int64_t classes, double normalizer, float* grad) {
  double total = 0.0;
  for (int64_t r = 0; r < rows; ++r) {
    float* grow = grad + r * classes;
    if (!mask[r]) {
      std::fill(grow, grow + classes, 0.0f);
      continue;
    }
    total += nll_row(logits + r * classes, classes, labels[r], normalizer, grow);
  }
  return total;
}

int64_t masked_correct(const float* logits, const int32_t* labels, const uint8_t* mask, int64_t rows,
                       int64_t classes) {
  int64_t correct = 0;
  for (int64_t r = 0; r < rows; ++r) {
    if (mask[r] && first_argmax(logits + r * classes, classes) == labels[r]) ++correct;
  }
  return correct;
}

}  // namespace tango::kernels::cpu
