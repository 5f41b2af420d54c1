// CUDA log-softmax + NLL (one warp per row; stats accumulated with atomics on the device).
#pragma once

#include <cstdint>

#include "core/device.h"

namespace tango::kernels::cuda {

void softmax_nll_forward(const float* logits, const int32_t* labels, const uint8_t* mask, int64_t rows,
                         int64_t classes, float* log_probs, float* stats, Device device);
void softmax_nll_backward(const float* log_probs, const int32_t* labels, const uint8_t* mask, int64_t rows,
                          int64_t classes, const float* count, float* dlogits, Device device);

}  // namespace tango::kernels::cuda
