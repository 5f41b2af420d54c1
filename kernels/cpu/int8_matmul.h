// INT8 x INT8 -> INT32 products through oneDNN's matmul primitive, cached per shape.
//
// Why the primitive and not oneDNN's BLAS-like dnnl_gemm_s8s8s32: the primitive dispatches to the
// brgemm kernels, which use the CPU's best INT8 unit: AMX tiles on Sapphire Rapids and later, VNNI
// otherwise. The BLAS-like call never uses AMX. On an AMX Xeon (oneDNN ISA avx512_core_amx, one
// thread) a 200000x256x256 product took 45 ms CPU through the primitive, 250 ms through
// dnnl_gemm_s8s8s32 and 190 ms for FP32 (docs/BENCHMARKS.md). A primitive costs ~0.1-0.6 ms to create, so
// they are created once per (shape, strides, types) and reused: training repeats a handful of shapes
// every epoch.
#pragma once

#include <cstdint>

namespace tango::kernels::cpu {

// One product: c[m, n] (row stride n) = op(a)[m, k] . op(b)[k, n] in INT32, exact.
// a: m x k codes, u8 when a_unsigned else s8, element (i, p) at a[ta ? p * lda + i : i * lda + p].
// b: s8, element (p, j) at b[tb ? j * ldb + p : p * ldb + j].
struct Int8MatmulShape {
  int64_t m, n, k, lda, ldb;
  bool transpose_a, transpose_b, a_unsigned;
  bool operator==(const Int8MatmulShape&) const = default;
};

void int8_matmul(const Int8MatmulShape& shape, const void* a, const int8_t* b, int32_t* c);

// Primitives created so far (for tests: a repeated shape must not create another).
int64_t int8_matmul_primitives_created();

}  // namespace tango::kernels::cpu
