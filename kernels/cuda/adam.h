// CUDA Adam / AdamW step (one thread per element over kernels/optim_math.h).
#pragma once

#include <cstdint>

#include "core/device.h"
#include "kernels/optim_math.h"

namespace tango::kernels::cuda {

void adam_step(float* param, const float* grad, float* m, float* v, int64_t n, const AdamCoefficients& c,
               Device device);

}  // namespace tango::kernels::cuda
