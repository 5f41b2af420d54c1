// Per-element rules of the per-destination-row INT8 edge quantizer (kernels/edge_quantize.h), shared by
// the CPU and CUDA backends so that both produce the same codes and scales bit for bit.
#pragma once

#include <cstdint>

#include "kernels/hd.h"
#include "kernels/quant_math.h"

namespace tango::kernels {

// Running max |x| of a row; NaN never wins (so a NaN edge value cannot poison its row's scale).
TANGO_HD inline float edge_amax_step(float running, float x) {
  const float a = x < 0.0f ? -x : x;
  return a > running ? a : running;
}

// The row's scale from its max |x| (1 for an all-zero or empty row) and its reciprocal.
TANGO_HD inline float edge_row_scale(float row_amax) {
  return scale_from_amax(row_amax, kQmaxInt8);
}

// Code of one edge value under its row's inverse scale: nearest, ties to even, clamped to [-127, 127].
TANGO_HD inline int8_t edge_code(float x, float inv_scale) {
  return static_cast<int8_t>(quantize_code(x, inv_scale, -kQmaxInt8, kQmaxInt8, false, 0, 0));
}

}  // namespace tango::kernels
