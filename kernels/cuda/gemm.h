// CUDA dense products: cuBLAS FP32 GEMM and cuBLASLt INT8 tensor-core GEMM with the fused
// dequantize / bias / amax epilogue (gemm_epilogue.cu). Device pointers; no host synchronisation.
#pragma once

#include <cstdint>

#include "core/device.h"
#include "kernels/cpu/gemm.h"

namespace tango::kernels::cuda {

using cpu::GemmShape;

void sgemm(const GemmShape& shape, const float* a, const float* b, const float* bias, bool allow_tf32,
           float* out, Device device);
// out_amax (device f32[1]) may be null; a_scales has m entries when a_scale_per_row; b_scale one entry, or
// one per block of b_scale_block rows of the reduction (kernels/gemm.h QGemmOptions).
void qgemm(const GemmShape& shape, const int8_t* a, const int8_t* b, const float* a_scales,
           bool a_scale_per_row, const float* b_scale, int64_t b_scale_block, const float* bias, float* out,
           float* out_amax, Device device);

}  // namespace tango::kernels::cuda
