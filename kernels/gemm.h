// Dense products: FP32 GEMM and the quantized QGEMM (INT8 x INT8 -> INT32 -> FP32), row-major.
//
//   gemm:   out[M, N] = op(a)[M, K] . op(b)[K, N] (+ bias[N])
//   qgemm:  out[M, N] = (op(qa)[M, K] . op(qb)[K, N]) in INT32  * sa[m or 0] * sb  (+ bias[N])
//           with the optional reduce epilogue out_amax[0] = max |out| (the next primitive's amax).
// op(x) = x, or x^T when the transpose flag is set (x then stored [K, M] or [N, K]); the backward of
// y = x w is dx = dy w^T (transpose_b) and dw = x^T dy (transpose_a).
//
// qa is INT8 (codes in [-127, 127]) or, on the CPU, UINT8 ([0, 255], for non-negative activations);
// its scale is per tensor or per row (per row only when qa is not transposed). qb is INT8 with one
// scale. The scales are read where they live (device scalars on a GPU): no host synchronisation.
// CPU: OpenBLAS sgemm; oneDNN's INT8 matmul primitive (AMX / VNNI), or its BLAS-like u8s8s32 call as a
// baseline (CpuInt8Path). GPU: cuBLAS FP32 (TF32 only when allowed), cuBLASLt INT8
// tensor cores plus a fused dequantize / bias / amax epilogue kernel.
#pragma once

#include <cstdint>

#include "core/tensor.h"
#include "kernels/qtensor.h"

namespace tango::kernels {

struct GemmOptions {
  bool transpose_a = false;
  bool transpose_b = false;
  bool allow_tf32 = false;  // GPU only; FP32 stays exact FP32 unless asked
};

// How the CPU runs INT8 x INT8 (oneDNN); ignored on the GPU.
// Default kMatmul: oneDNN's matmul primitive (cpu/int8_matmul.h), which runs on AMX-INT8 tiles where the
// CPU has them and on VNNI otherwise, s8 or u8 A directly. kBlasShiftToUint8 is oneDNN's BLAS-like
// u8s8s32 call with signed A shifted by +128 (a_offset 128); it never uses AMX and is kept as a baseline
// (bench/gemm_bench). On an AMX Xeon, one thread, 200000x256x256: matmul 45 ms CPU, BLAS-like 250 ms,
// FP32 190 ms.
enum class CpuInt8Path : uint8_t {
  kMatmul,            // oneDNN matmul primitive (brgemm: AMX / VNNI), cached per shape
  kBlasShiftToUint8,  // dnnl_gemm_u8s8s32 on a + 128 with a_offset = 128 (u8 A: no shift)
};

struct QGemmOptions {
  bool transpose_a = false;
  bool transpose_b = false;
  CpuInt8Path cpu_int8_path = CpuInt8Path::kMatmul;
  // 0: qb has one scale. B > 0: qb (not transposed, stored [K, N]) has one scale per block of B of its K
  // rows (scales [ceil(K / B)], B <= 65536): the product sums, block by block, s_a s_b[block] (A_q B_q over
  // the block's rows) in INT32 scaled once per block, in block order (the weight gradient X^T dY with dY
  // quantized per row block: trainer/layers/linear_map.h).
  int64_t b_scale_block_rows = 0;
};

// How this CPU runs qgemm: kNative, oneDNN on INT8 hardware (AVX-512 VNNI, AVX-VNNI, AMX); kExactFp32,
// exact fp32 GEMMs over depth chunks (cpu/int8_gemm_exact.h) where oneDNN's 16-bit sums would saturate.
// On kExactFp32 INT8 local math is not faster than FP32 (it still keeps less memory for backward).
enum class CpuInt8Gemm : uint8_t { kNative, kExactFp32 };
CpuInt8Gemm cpu_int8_gemm();
const char* cpu_int8_gemm_name(CpuInt8Gemm kind);  // "native", "exact-fp32"

// `bias` may be an undefined Tensor (no bias).
void gemm(const Tensor& a, const Tensor& b, Tensor& out, const GemmOptions& options = {},
          const Tensor& bias = Tensor());

// `bias` and `out_amax` may be undefined Tensors; a defined out_amax (f32[1]) turns on the reduce
// epilogue. With block scales (options.b_scale_block_rows) a's scale must be per tensor.
void qgemm(const QTensor& qa, const QTensor& qb, Tensor& out, const QGemmOptions& options = {},
           const Tensor& bias = Tensor(), Tensor* out_amax = nullptr);

}  // namespace tango::kernels
