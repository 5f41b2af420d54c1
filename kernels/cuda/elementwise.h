// CUDA FP32 small ops on device pointers (fmt-free: launched from .cc dispatch files and gemm.cc).
#pragma once

#include <cstdint>

#include "core/device.h"
#include "kernels/elementwise_options.h"

namespace tango::kernels::cuda {

void bias_add(float* y, int64_t rows, int64_t cols, const float* bias, Device device);
void column_sum(const float* x, int64_t rows, int64_t cols, float* out, Device device);
void add_inplace(float* y, const float* x, int64_t n, Device device);
void activation_forward(const float* x, int64_t n, const ActivationOptions& options, float* y, Device device);
void activation_backward(const float* x, const float* dy, int64_t n, const ActivationOptions& options,
                         float* dx, Device device);
void activation_derivative_codes(const float* x, const uint8_t* keep_mask, int64_t n,
                                 const ActivationOptions& options, uint8_t* codes, Device device);
void coded_activation_backward(const uint8_t* codes, const float* dy, int64_t n, float keep_scale, float* dx,
                               Device device);

}  // namespace tango::kernels::cuda
