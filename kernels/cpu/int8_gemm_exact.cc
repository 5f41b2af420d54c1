#include "kernels/cpu/int8_gemm_exact.h"

#include <cblas.h>
#include <oneapi/dnnl/dnnl.h>

#include <algorithm>
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
  std::fill(acc, acc + m * n, 0);
  if (k == 0) return;
  const int8_t* as = static_cast<const int8_t*>(a);
  const uint8_t* au = static_cast<const uint8_t*>(a);
  thread_local std::vector<float> af, bf, cf;  // reused: fresh buffers per call cost page faults
  for (int64_t k0 = 0; k0 < k; k0 += kExactDepth) {
    const int64_t kc = std::min(kExactDepth, k - k0);
    af.resize(static_cast<size_t>(m * kc));
    bf.resize(static_cast<size_t>(kc * n));
    cf.resize(static_cast<size_t>(m * n));
    // Plain pointers into this thread's buffers: OpenMP workers have thread_locals of their own.
    float* const ap = af.data();
    float* const bp = bf.data();
    const float* const cp = cf.data();
    // op(a)[:, k0:k0+kc] as a row-major m x kc float matrix, op(b)[k0:k0+kc, :] as kc x n.
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < m; ++i)
      for (int64_t kk = 0; kk < kc; ++kk) {
        const int64_t at = transpose_a ? (k0 + kk) * lda + i : i * lda + k0 + kk;
        ap[i * kc + kk] = a_is_unsigned ? static_cast<float>(au[at]) : static_cast<float>(as[at]);
      }
#pragma omp parallel for schedule(static)
    for (int64_t kk = 0; kk < kc; ++kk)
      for (int64_t j = 0; j < n; ++j)
        bp[kk * n + j] = static_cast<float>(transpose_b ? b[j * ldb + k0 + kk] : b[(k0 + kk) * ldb + j]);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(m), static_cast<int>(n),
                static_cast<int>(kc), 1.0f, ap, static_cast<int>(kc), bp, static_cast<int>(n), 0.0f,
                cf.data(), static_cast<int>(n));
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < m * n; ++i) acc[i] += static_cast<int32_t>(cp[i]);
  }
}

}  // namespace tango::kernels::cpu
