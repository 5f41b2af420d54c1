// CPU dense products: OpenBLAS sgemm and oneDNN integer GEMMs with a fused dequantize / bias / amax
// epilogue applied to cache-sized blocks of rows. Row-major; lda etc. follow BLAS conventions.
#pragma once

#include <cstdint>

#include "kernels/gemm.h"

namespace tango::kernels::cpu {

struct GemmShape {
  int64_t m, n, k;
  bool transpose_a, transpose_b;
};

void sgemm(const GemmShape& shape, const float* a, const float* b, const float* bias, float* out);

// a_is_unsigned: a holds u8 codes; otherwise i8 codes run as `path` says. a_scales has m entries when
// a_scale_per_row, else 1. b_scale has one entry, or one per block of b_scale_block rows of the reduction
// (b_scale_block > 0, kernels/gemm.h QGemmOptions). Returns max |out| (0 for an empty output).
float qgemm(const GemmShape& shape, const void* a, bool a_is_unsigned, const int8_t* b, const float* a_scales,
            bool a_scale_per_row, const float* b_scale, int64_t b_scale_block, const float* bias,
            CpuInt8Path path, float* out);

}  // namespace tango::kernels::cpu
