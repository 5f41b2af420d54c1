// CUDA loss and accuracy over masked rows (fmt-free: launched from kernels/masked_nll.cc). Results go
// to device memory (no host sync): *loss_sum (f64) and *correct (i64) are overwritten.
#pragma once

#include <cstdint>

#include "core/device.h"

namespace tango::kernels::cuda {

void masked_nll(const float* logits, const int32_t* labels, const uint8_t* mask, int64_t rows,
                int64_t classes, double normalizer, float* grad, double* loss_sum, Device device);
void masked_correct(const float* logits, const int32_t* labels, const uint8_t* mask, int64_t rows,
                    int64_t classes, int64_t* correct, Device device);

}  // namespace tango::kernels::cuda
