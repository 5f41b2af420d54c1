// CPU log-softmax + NLL on host pointers; dispatched from kernels/softmax_nll.cc.
#pragma once

#include <cstdint>

namespace tango::kernels::cpu {

// mask may be null (all rows). stats: see kernels/softmax_nll.h.
void softmax_nll_forward(const float* logits, const int32_t* labels, const uint8_t* mask, int64_t rows,
                         int64_t classes, float* log_probs, float* stats);
void softmax_nll_backward(const float* log_probs, const int32_t* labels, const uint8_t* mask, int64_t rows,
                          int64_t classes, const float* count, float* dlogits);

}  // namespace tango::kernels::cpu
