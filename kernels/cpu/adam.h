// CPU Adam / AdamW step on host pointers; dispatched from kernels/adam.cc.
#pragma once

#include <cstdint>

#include "kernels/optim_math.h"

namespace tango::kernels::cpu {

void adam_step(float* param, const float* grad, float* m, float* v, int64_t n, const AdamCoefficients& c);

}  // namespace tango::kernels::cpu
