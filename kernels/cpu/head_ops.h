// CPU (OpenMP) per-head reductions on host pointers; kernels/head_ops.cc checks and dispatches.
#pragma once

#include <cstdint>

namespace tango::kernels::cpu {

void head_scores(const float* z, int64_t rows, const float* a, int64_t heads, int64_t width, float* out);
void head_scores_backward(const float* z, const float* ds, int64_t rows, const float* a, int64_t heads,
                          int64_t width, float* dz, float* da);
void head_mean(const float* x, int64_t rows, int64_t heads, int64_t width, float* out);
void head_mean_backward(const float* dy, int64_t rows, int64_t heads, int64_t width, float* dx);

}  // namespace tango::kernels::cpu
