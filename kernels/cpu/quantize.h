// CPU (OpenMP) quantization kernels on raw host pointers; kernels/quantize.cc checks the Tensors and
// calls these. The per-element rules come from kernels/quant_math.h, shared with the CUDA backend.
#pragma once

#include <cstdint>

#include "kernels/quant_options.h"

namespace tango::kernels::cpu {

float amax(const float* x, int64_t n);
void amax_rows(const float* x, int64_t rows, int64_t cols, float* out);
// amax: 1 value (per tensor) or `rows` values (per row). values: i8/u8 codes as the format says.
void quantize_from_amax(const float* x, int64_t rows, int64_t cols, const float* amax,
                        const QuantizeOptions& options, void* values, float* scales);
void dequantize(const void* values, const float* scales, int64_t rows, int64_t cols,
                const QuantizeOptions& options, float* out);
void cast_to_bf16(const float* x, int64_t n, uint16_t* out);
void cast_from_bf16(const uint16_t* x, int64_t n, float* out);

}  // namespace tango::kernels::cpu
