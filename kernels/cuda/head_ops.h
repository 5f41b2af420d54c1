// CUDA per-head reductions of GAT (fmt-free: launched from kernels/head_ops.cc).
#pragma once

#include <cstdint>

#include "core/device.h"

namespace tango::kernels::cuda {

void head_scores(const float* z, int64_t rows, const float* a, int64_t heads, int64_t width, float* out,
                 Device device);
// scratch: heads * width doubles of device memory for da's sums.
void head_scores_backward(const float* z, const float* ds, int64_t rows, const float* a, int64_t heads,
                          int64_t width, float* dz, float* da, double* scratch, Device device);
void head_mean(const float* x, int64_t rows, int64_t heads, int64_t width, float* out, Device device);
void head_mean_backward(const float* dy, int64_t rows, int64_t heads, int64_t width, float* dx,
                        Device device);

}  // namespace tango::kernels::cuda
