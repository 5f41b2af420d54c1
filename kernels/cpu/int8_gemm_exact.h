// INT8 x INT8 -> INT32 products that are exact on every x86 CPU.
//
// oneDNN's INT8 GEMMs (the matmul primitive and the BLAS-like u8s8s32 call) are exact where the CPU
// has VNNI (AVX-512 VNNI, AVX-VNNI) or AMX. Without them (AVX2 machines such as AMD Zen 1-3), oneDNN
// multiplies u8 x s8 pairs with vpmaddubsw, whose 16-bit sums saturate: 255 * 127 * 2 > 32767, and
// signed A is shifted to u8 first, so any input may saturate. Seen on an AVX2-only AMD EPYC: 1x7x3
// gave 13.2 where the exact product gives -4.9. There, Tango's QGEMM takes the path below instead:
// fp32 GEMMs (OpenBLAS) over depth chunks of at most 512, where every partial sum is an integer
// below 512 * 255 * 128 < 2^24 and so exact in fp32, converted to int32 per chunk.
#pragma once

#include <cstdint>

namespace tango::kernels::cpu {

// True when oneDNN's INT8 GEMMs cannot saturate on this CPU (VNNI or AMX present).
bool onednn_int8_is_exact();

// acc[m x n] (row-major, leading dimension n) = op(a)[m x k] . op(b)[k x n], exactly. `a` holds s8 or
// u8 codes (a_is_unsigned), stored k x m when transpose_a (leading dimension lda), else m x k; `b`
// holds s8 codes, stored n x k when transpose_b (leading dimension ldb), else k x n.
void int8_gemm_via_fp32(int64_t m, int64_t n, int64_t k, const void* a, int64_t lda, bool transpose_a,
                        bool a_is_unsigned, const int8_t* b, int64_t ldb, bool transpose_b, int32_t* acc);

}  // namespace tango::kernels::cpu
