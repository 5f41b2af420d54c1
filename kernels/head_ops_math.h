// Per-element math of GAT's per-head reductions (TANGO_HD, shared by the CPU and CUDA backends).
// A row of z holds `heads` heads of `width` values: z[(r * heads + h) * width + d].
#pragma once

#include <cstdint>

#include "kernels/hd.h"

namespace tango::kernels {

// a * b + c with the product rounded before the sum (no fused multiply-add, which nvcc would otherwise
// contract to), as the host computes it: the CPU and the GPU agree bit for bit.
TANGO_HD inline float mul_add_rounded(float a, float b, float c) {
#if defined(__CUDA_ARCH__)
  return __fadd_rn(__fmul_rn(a, b), c);
#else
  return a * b + c;
#endif
}

// <z[r, h, :], a[h, :]> summed in order d = 0, 1, ... in FP32.
TANGO_HD inline float head_dot(const float* z_rh, const float* a_h, int64_t width) {
  float sum = 0.0f;
  for (int64_t d = 0; d < width; ++d) sum = mul_add_rounded(z_rh[d], a_h[d], sum);
  return sum;
}

// Mean over heads of column d of a row [heads, width]: summed from 0 in head order, then scaled.
TANGO_HD inline float head_mean_value(const float* row, int64_t heads, int64_t width, int64_t d,
                                      float inverse_heads) {
  float sum = 0.0f;
  for (int64_t h = 0; h < heads; ++h) sum += row[h * width + d];
  return sum * inverse_heads;
}

}  // namespace tango::kernels
