// CPU loss and accuracy over masked rows on host pointers; kernels/masked_nll.cc checks and dispatches.
#pragma once

#include <cstdint>

namespace tango::kernels::cpu {

// Rows summed in order (deterministic); returns the loss sum.
double masked_nll(const float* logits, const int32_t* labels, const uint8_t* mask, int64_t rows,
                  int64_t classes, double normalizer, float* grad);
int64_t masked_correct(const float* logits, const int32_t* labels, const uint8_t* mask, int64_t rows,
                       int64_t classes);

}  // namespace tango::kernels::cpu
