#include "kernels/cpu/int8_gemm_exact.h"

#include <cblas.h>
#include <oneapi/dnnl/dnnl.h>

#include <algorithm>
#include <cstring>
#include <vector>

namespace tango::kernels::cpu {

namespace {
// Depth of one fp32 GEMM: 512 * 255 * 128 = 16711680 < 2^24, so every partial sum is exact.
constexpr int64_t kExactDepth = 512;
}  // namespace

bool onednn_int8_is_exact() {
  static const bool exact = [] {
    const dnnl_cpu_isa_t isa = dnnl_get_effective_cpu_isa();
    // oneDNN's ISA values are bit sets: an ISA includes the bits of those below it.
    auto has = [isa](dnnl_cpu_isa_t want) {
      return (static_cast<unsigned>(isa) & static_cast<unsigned>(want)) == static_cast<unsigned>(want);
    };
    return has(dnnl_cpu_isa_avx2_vnni) || has(dnnl_cpu_isa_avx512_core_vnni);
  }();
  return exact;
}

void int8_gemm_via_fp32(int64_t m, int64_t n, int64_t k, const void* a, int64_t lda, bool transpose_a,
                        bool a_is_unsigned, const int8_t* b, int64_t ldb, bool transpose_b, int32_t* acc) {
  if (k == 0) {
    std::fill(acc, acc + m * n, 0);
    return;
  }
  const int8_t* as = static_cast<const int8_t*>(a);
  const uint8_t* au = static_cast<const uint8_t*>(a);
  thread_local std::vector<float> af, bf, cf;  // reused: fresh buffers per call cost page faults
  // One depth chunk (k <= 512: every product of a layer's width): sgemm writes its exact integers into
  // acc's own storage (f32 and i32 have the same size), converted in place; no zero fill, no copy.
  const bool one_chunk = k <= kExactDepth;
  for (int64_t k0 = 0; k0 < k; k0 += kExactDepth) {
    const int64_t kc = std::min(kExactDepth, k - k0);
    af.resize(static_cast<size_t>(m * kc));
    bf.resize(static_cast<size_t>(kc * n));
    if (!one_chunk) cf.resize(static_cast<size_t>(m * n));
    // Plain pointers into this thread's buffers: OpenMP workers have thread_locals of their own.
    float* const ap = af.data();
    float* const bp = bf.data();
    float* const cp = one_chunk ? reinterpret_cast<float*>(acc) : cf.data();
    // The chunk of a and of b as fp32, each copied in its storage layout (contiguous reads and writes);
    // sgemm applies the transposes: a's chunk is kc x m (transpose_a) or m x kc, b's n x kc or kc x n.
    const int64_t a_rows = transpose_a ? kc : m, a_cols = transpose_a ? m : kc;
    const int64_t b_rows = transpose_b ? n : kc, b_cols = transpose_b ? kc : n;
    const int64_t a_start = transpose_a ? k0 * lda : k0, b_start = transpose_b ? k0 : k0 * ldb;
    // A stored chunk (rows x cols from src, leading dimension ld) as a dense rows x cols fp32 matrix.
    const auto to_fp32 = [](const auto* src, int64_t rows, int64_t cols, int64_t ld, float* dst) {
#pragma omp parallel for schedule(static)
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < cols; ++c) dst[r * cols + c] = static_cast<float>(src[r * ld + c]);
    };
    if (a_is_unsigned) {
      to_fp32(au + a_start, a_rows, a_cols, lda, ap);
    } else {
      to_fp32(as + a_start, a_rows, a_cols, lda, ap);
    }
    to_fp32(b + b_start, b_rows, b_cols, ldb, bp);
    cblas_sgemm(CblasRowMajor, transpose_a ? CblasTrans : CblasNoTrans,
                transpose_b ? CblasTrans : CblasNoTrans, static_cast<int>(m), static_cast<int>(n),
                static_cast<int>(kc), 1.0f, ap, static_cast<int>(a_cols), bp, static_cast<int>(b_cols), 0.0f,
                cp, static_cast<int>(n));
    if (one_chunk) {
#pragma omp parallel for schedule(static)
      for (int64_t i = 0; i < m * n; ++i) {
        float v;
        std::memcpy(&v, acc + i, sizeof v);
        acc[i] = static_cast<int32_t>(v);
      }
    } else if (k0 == 0) {
#pragma omp parallel for schedule(static)
      for (int64_t i = 0; i < m * n; ++i) acc[i] = static_cast<int32_t>(cp[i]);
    } else {
#pragma omp parallel for schedule(static)
      for (int64_t i = 0; i < m * n; ++i) acc[i] += static_cast<int32_t>(cp[i]);
    }
  }
}

}  // namespace tango::kernels::cpu
