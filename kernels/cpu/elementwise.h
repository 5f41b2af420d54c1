// CPU (OpenMP) FP32 small ops on host pointers; kernels/elementwise.cc checks and dispatches.
#pragma once

#include <cstdint>

#include "kernels/elementwise.h"

namespace tango::kernels::cpu {

void bias_add(float* y, int64_t rows, int64_t cols, const float* bias);
void column_sum(const float* x, int64_t rows, int64_t cols, float* out);
void add_inplace(float* y, const float* x, int64_t n);
void activation_forward(const float* x, int64_t n, const ActivationOptions& options, float* y);
void activation_backward(const float* x, const float* dy, int64_t n, const ActivationOptions& options,
                         float* dx);
// keep_mask may be null (all kept).
void activation_derivative_codes(const float* x, const uint8_t* keep_mask, int64_t n,
                                 const ActivationOptions& options, uint8_t* codes);
void coded_activation_backward(const uint8_t* codes, const float* dy, int64_t n, float keep_scale, float* dx);

}  // namespace tango::kernels::cpu
