#include "kernels/cpu/gemm.h"

#include <cblas.h>
#include <oneapi/dnnl/dnnl.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <vector>

#include "core/error.h"
#include "kernels/cpu/amax_bits.h"
#include "kernels/cpu/int8_gemm_exact.h"
#include "kernels/cpu/int8_matmul.h"
#include "kernels/cpu/isa_clones.h"
#include "kernels/quant_math.h"

namespace tango::kernels::cpu {
namespace {

void check_dnnl(dnnl_status_t status, const char* what) {
  TANGO_CHECK(status == dnnl_success, "oneDNN {} failed with status {}", what, static_cast<int>(status));
}

// One row of the QGEMM epilogue (quant_math.h qgemm_epilogue), vectorised per ISA; returns max |dst| as
// float bits (amax_bits.h) when track_amax. `in` and `dst` may be the same bytes (the INT32 accumulators
// converted in place): element j is read before it is written and no other element is touched, which is
// what ivdep promises (GCC's run-time overlap check would otherwise send exact aliasing to a scalar loop).
// fp-contract=off: the FMA clones must not fuse the scale multiply with the bias add (qgemm_epilogue
// rounds twice, like the GPU's __fmul_rn / __fadd_rn).
[[gnu::optimize("fp-contract=off")]] TANGO_ISA_CLONES uint32_t epilogue_row(const int32_t* in, int64_t n,
                                                                            float scale, const float* bias,
                                                                            bool first, bool track_amax,
                                                                            float* dst) {
  if (first && bias != nullptr) {
#pragma GCC ivdep
    for (int64_t j = 0; j < n; ++j) dst[j] = qgemm_epilogue(in[j], scale, bias[j], true, 0.0f);
  } else if (first) {
#pragma GCC ivdep
    for (int64_t j = 0; j < n; ++j) dst[j] = qgemm_epilogue(in[j], scale, 0.0f, true, 0.0f);
  } else {
#pragma GCC ivdep
    for (int64_t j = 0; j < n; ++j) dst[j] = qgemm_epilogue(in[j], scale, 0.0f, false, dst[j]);
  }
  return track_amax ? amax_bits(dst, n) : 0u;
}

}  // namespace

void sgemm(const GemmShape& s, const float* a, const float* b, const float* bias, float* out) {
  if (s.m == 0 || s.n == 0) return;
  if (s.k == 0) {
    for (int64_t i = 0; i < s.m; ++i)
      for (int64_t j = 0; j < s.n; ++j) out[i * s.n + j] = bias ? bias[j] : 0.0f;
    return;
  }
  const int64_t lda = s.transpose_a ? s.m : s.k, ldb = s.transpose_b ? s.k : s.n;
  float beta = 0.0f;
  if (bias) {  // out = bias broadcast, then out += a b (beta = 1)
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < s.m; ++i) std::copy(bias, bias + s.n, out + i * s.n);
    beta = 1.0f;
  }
  cblas_sgemm(CblasRowMajor, s.transpose_a ? CblasTrans : CblasNoTrans,
              s.transpose_b ? CblasTrans : CblasNoTrans, static_cast<int>(s.m), static_cast<int>(s.n),
              static_cast<int>(s.k), 1.0f, a, static_cast<int>(lda), b, static_cast<int>(ldb), beta, out,
              static_cast<int>(s.n));
}

float qgemm(const GemmShape& s, const void* a, bool a_is_unsigned, const int8_t* b, const float* a_scales,
            bool a_scale_per_row, const float* b_scale, int64_t b_scale_block, const float* bias,
            CpuInt8Path path, float* out) {
  if (s.m == 0 || s.n == 0) return 0.0f;
  const int64_t lda = s.transpose_a ? s.m : s.k, ldb = s.transpose_b ? s.k : s.n;
  const char ta = s.transpose_a ? 'T' : 'N', tb = s.transpose_b ? 'T' : 'N';
  const bool shift = !a_is_unsigned && path == CpuInt8Path::kBlasShiftToUint8 && onednn_int8_is_exact();
  // Signed codes as offset-binary u8: (q + 128) with a_offset 128, so oneDNN computes (u - 128) . b = q . b.
  // Adding 128 to a two's-complement byte is flipping its top bit.
  thread_local std::vector<uint8_t> shifted;  // reused: a fresh buffer per call costs page faults
  const uint8_t* a_u8 = static_cast<const uint8_t*>(a);
  if (shift && s.k > 0) {
    const int64_t bytes = s.m * s.k;
    shifted.resize(static_cast<size_t>(bytes));
    const uint8_t* src = static_cast<const uint8_t*>(a);
    uint8_t* dst = shifted.data();  // the caller's buffer: worker threads have their own thread_locals
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < bytes; ++i) dst[i] = src[i] ^ 0x80u;
    a_u8 = dst;
  }
  // One oneDNN call over all rows (per-call overhead is large for small M). A single INT32 chunk is
  // accumulated in `out` itself (f32 and i32 have the same size) and converted in place; longer
  // reductions accumulate their chunks through a separate INT32 buffer. With block scales of b, a chunk is
  // a block (its own scale).
  const int64_t chunk_length = b_scale_block > 0 ? b_scale_block : kMaxInt32ReductionLength;
  const int64_t k_chunks = std::max<int64_t>(1, (s.k + chunk_length - 1) / chunk_length);
  thread_local std::vector<int32_t> chunk_buffer;
  if (k_chunks > 1) chunk_buffer.resize(static_cast<size_t>(s.m * s.n));
  int32_t* acc = k_chunks > 1 ? chunk_buffer.data() : reinterpret_cast<int32_t*>(out);
  uint32_t amax = 0;
  for (int64_t chunk = 0; chunk < k_chunks; ++chunk) {
    const int64_t k0 = chunk * chunk_length;
    const int64_t kc = std::min(chunk_length, s.k - k0);
    const float sb = b_scale[b_scale_block > 0 ? chunk : 0];
    // Depth k0.. of op(a) and op(b), in their storage layouts.
    const int64_t a_offset = s.transpose_a ? k0 * lda : k0;
    const int64_t b_offset = s.transpose_b ? k0 : k0 * ldb;
    const int32_t zero = 0;
    if (kc <= 0) {
      std::fill(acc, acc + s.m * s.n, 0);
    } else if (!onednn_int8_is_exact()) {  // no VNNI/AMX: oneDNN's 16-bit sums would saturate
      int8_gemm_via_fp32(s.m, s.n, kc, static_cast<const uint8_t*>(a) + a_offset, lda, s.transpose_a,
                         a_is_unsigned, b + b_offset, ldb, s.transpose_b, acc);
    } else if (path == CpuInt8Path::kMatmul) {
      const void* a_chunk = static_cast<const uint8_t*>(a) + a_offset;  // one byte per code either way
      int8_matmul({s.m, s.n, kc, lda, ldb, s.transpose_a, s.transpose_b, a_is_unsigned}, a_chunk,
                  b + b_offset, acc);
    } else {
      check_dnnl(dnnl_gemm_u8s8s32(ta, tb, 'F', s.m, s.n, kc, 1.0f, a_u8 + a_offset, lda,
                                   static_cast<uint8_t>(shift ? 128 : 0), b + b_offset, ldb, 0, 0.0f, acc,
                                   s.n, &zero),
                 "gemm_u8s8s32");
    }
    // Epilogue: dequantize with the scale product, add the bias, track max |out| after the last chunk.
    const bool first = chunk == 0, last = chunk == k_chunks - 1;
#pragma omp parallel for schedule(static) reduction(max : amax)
    for (int64_t r = 0; r < s.m; ++r) {
      const float scale = a_scales[a_scale_per_row ? r : 0] * sb;
      amax = std::max(amax, epilogue_row(acc + r * s.n, s.n, scale, bias, first, last, out + r * s.n));
    }
  }
  return std::bit_cast<float>(amax);
}

}  // namespace tango::kernels::cpu
