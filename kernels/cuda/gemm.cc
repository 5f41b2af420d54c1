// Host side of the CUDA GEMMs: cuBLAS / cuBLASLt descriptors, operand layout for INT8 tensor cores,
// workspace carving and cached algorithm choices. Kernels live in gemm_epilogue.cu.
#include "kernels/cuda/gemm.h"

#include <algorithm>
#include <map>
#include <mutex>
#include <utility>

#include "core/check_cuda.h"
#include "kernels/cuda/cuda_context.h"
#include "kernels/cuda/elementwise.h"
#include "kernels/cuda/gemm_epilogue.cuh"
#include "kernels/cuda/lt_algo_key.h"
#include "kernels/quant_math.h"

namespace tango::kernels::cuda {
namespace {

constexpr size_t kLtWorkspaceBytes = size_t{32} << 20;

size_t align_up(size_t bytes) {
  return (bytes + 255) / 256 * 256;
}

// The cuBLASLt algorithm for one INT8 problem on operands of the key's alignments, chosen once by the
// heuristic (lt_algo_key.h: told the real alignments, so it never picks a kernel that assumes more).
cublasLtMatmulAlgo_t int8_algo(cublasLtHandle_t lt, cublasLtMatmulDesc_t op, cublasLtMatrixLayout_t la,
                               cublasLtMatrixLayout_t lb, cublasLtMatrixLayout_t lc, const Int8AlgoKey& key) {
  static std::mutex mutex;
  static std::map<Int8AlgoKey, cublasLtMatmulAlgo_t> cache;
  std::lock_guard lock(mutex);
  if (auto it = cache.find(key); it != cache.end()) return it->second;
  cublasLtMatmulPreference_t preference;
  TANGO_CUBLAS_CHECK(cublasLtMatmulPreferenceCreate(&preference));
  size_t workspace = kLtWorkspaceBytes;
  TANGO_CUBLAS_CHECK(cublasLtMatmulPreferenceSetAttribute(
      preference, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &workspace, sizeof workspace));
  const std::pair<cublasLtMatmulPreferenceAttributes_t, uint32_t> alignments[] = {
      {CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES, key.align_a},
      {CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES, key.align_b},
      {CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES, key.align_c},
      {CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES, key.align_c}};
  for (const auto& [attribute, bytes] : alignments)
    TANGO_CUBLAS_CHECK(cublasLtMatmulPreferenceSetAttribute(preference, attribute, &bytes, sizeof bytes));
  cublasLtMatmulHeuristicResult_t result{};
  int found = 0;
  TANGO_CUBLAS_CHECK(cublasLtMatmulAlgoGetHeuristic(lt, op, la, lb, lc, lc, preference, 1, &result, &found));
  cublasLtMatmulPreferenceDestroy(preference);
  TANGO_CHECK(found > 0, "cuBLASLt has no INT8 algorithm for m={} n={} k={} (alignments A {} B {} C {})",
              key.m, key.n, key.k, key.align_a, key.align_b, key.align_c);
  cache.emplace(key, result.algo);
  return result.algo;
}

}  // namespace

void sgemm(const GemmShape& s, const float* a, const float* b, const float* bias, bool allow_tf32, float* out,
           Device device) {
  if (s.m == 0 || s.n == 0) return;
  CudaContext& ctx = CudaContext::get(device);
  if (s.k == 0) {
    TANGO_CUDA_CHECK(cudaMemsetAsync(out, 0, sizeof(float) * s.m * s.n, ctx.stream()));
  } else {
    // Row-major C = op(A) op(B) is column-major C^T = op(B)^T op(A)^T: swap the operands.
    const float alpha = 1.0f, beta = 0.0f;
    const int64_t lda = s.transpose_a ? s.m : s.k, ldb = s.transpose_b ? s.k : s.n;
    TANGO_CUBLAS_CHECK(
        cublasGemmEx(ctx.cublas(), s.transpose_b ? CUBLAS_OP_T : CUBLAS_OP_N,
                     s.transpose_a ? CUBLAS_OP_T : CUBLAS_OP_N, static_cast<int>(s.n), static_cast<int>(s.m),
                     static_cast<int>(s.k), &alpha, b, CUDA_R_32F, static_cast<int>(ldb), a, CUDA_R_32F,
                     static_cast<int>(lda), &beta, out, CUDA_R_32F, static_cast<int>(s.n),
                     allow_tf32 ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
  }
  if (bias) bias_add(out, s.m, s.n, bias, device);
}

void qgemm(const GemmShape& s, const int8_t* a, const int8_t* b, const float* a_scales, bool a_scale_per_row,
           const float* b_scale, int64_t b_scale_block, const float* bias, float* out, float* out_amax,
           Device device) {
  if (out_amax) zero_on_stream(out_amax, device);
  if (s.m == 0 || s.n == 0) return;
  CudaContext& ctx = CudaContext::get(device);
  // INT32 chunks of the reduction; with block scales of b, a chunk is a block (its own scale).
  const int64_t chunk_length = b_scale_block > 0 ? b_scale_block : kMaxInt32ReductionLength;
  const int64_t chunks = std::max<int64_t>(1, (s.k + chunk_length - 1) / chunk_length);
  const int64_t chunk_k = std::min<int64_t>(s.k, chunk_length);
  // INT8 tensor cores take K-major operands ("TN" in cuBLASLt's column-major terms) with K a multiple
  // of 4 (16 here) on 16-byte aligned pointers. a [m, K] and b stored [n, K] qualify as they are when K
  // fits one INT32 chunk; anything else is packed (transposed, zero-padded) into the workspace.
  const bool aligned_k = chunks == 1 && s.k > 0 && s.k % 16 == 0;
  const int64_t kk = aligned_k ? s.k : std::max<int64_t>(16, (chunk_k + 15) / 16 * 16);
  const bool a_direct = aligned_k && !s.transpose_a && reinterpret_cast<uintptr_t>(a) % 16 == 0;
  // The INT32 result's leading dimension (n) must be a multiple of 4 too: pad b with zero rows.
  const int64_t n_padded = (s.n + 3) / 4 * 4;
  const bool b_direct =
      aligned_k && s.transpose_b && n_padded == s.n && reinterpret_cast<uintptr_t>(b) % 16 == 0;
  const size_t a_bytes = a_direct ? 0 : align_up(s.m * kk), b_bytes = b_direct ? 0 : align_up(n_padded * kk);
  const size_t acc_bytes = align_up(sizeof(int32_t) * s.m * n_padded);
  auto* base = static_cast<char*>(ctx.workspace(a_bytes + b_bytes + acc_bytes + kLtWorkspaceBytes));
  auto* a_packed = reinterpret_cast<int8_t*>(base);
  auto* b_packed = reinterpret_cast<int8_t*>(base + a_bytes);
  auto* acc = reinterpret_cast<int32_t*>(base + a_bytes + b_bytes);
  void* lt_workspace = base + a_bytes + b_bytes + acc_bytes;

  // Column-major view: D[n, m] = B_nk^T(op T of the stored [kk, n]) x A_mk (the stored [kk, m]).
  cublasLtMatmulDesc_t op;
  TANGO_CUBLAS_CHECK(cublasLtMatmulDescCreate(&op, CUBLAS_COMPUTE_32I, CUDA_R_32I));
  const cublasOperation_t transpose = CUBLAS_OP_T, no_transpose = CUBLAS_OP_N;
  TANGO_CUBLAS_CHECK(
      cublasLtMatmulDescSetAttribute(op, CUBLASLT_MATMUL_DESC_TRANSA, &transpose, sizeof transpose));
  TANGO_CUBLAS_CHECK(
      cublasLtMatmulDescSetAttribute(op, CUBLASLT_MATMUL_DESC_TRANSB, &no_transpose, sizeof no_transpose));
  for (int64_t chunk = 0; chunk < chunks; ++chunk) {
    const int64_t k0 = chunk * chunk_length, kc = std::min(chunk_length, s.k - k0);
    const int8_t* a_op = a;
    const int8_t* b_op = b;
    if (!a_direct) {
      launch_pack_int8(a, s.transpose_a ? s.m : s.k, s.transpose_a, s.m, s.m, k0, kc, kk, a_packed, device);
      a_op = a_packed;
    }
    if (!b_direct) {
      launch_pack_int8(b, s.transpose_b ? s.k : s.n, !s.transpose_b, s.n, n_padded, k0, kc, kk, b_packed,
                       device);
      b_op = b_packed;
    }
    cublasLtMatrixLayout_t la, lb, lc;
    TANGO_CUBLAS_CHECK(cublasLtMatrixLayoutCreate(&la, CUDA_R_8I, kk, n_padded, kk));
    TANGO_CUBLAS_CHECK(cublasLtMatrixLayoutCreate(&lb, CUDA_R_8I, kk, s.m, kk));
    TANGO_CUBLAS_CHECK(cublasLtMatrixLayoutCreate(&lc, CUDA_R_32I, n_padded, s.m, n_padded));
    const Int8AlgoKey key{
        device.ordinal,        s.m, n_padded, kk, operand_alignment(b_op), operand_alignment(a_op),
        operand_alignment(acc)};
    cublasLtMatmulAlgo_t algo = int8_algo(ctx.cublas_lt(), op, la, lb, lc, key);
    const int32_t alpha = 1, beta = 0;
    TANGO_CUBLAS_CHECK(cublasLtMatmul(ctx.cublas_lt(), op, &alpha, b_op, la, a_op, lb, &beta, acc, lc, acc,
                                      lc, &algo, lt_workspace, kLtWorkspaceBytes, ctx.stream()));
    cublasLtMatrixLayoutDestroy(la);
    cublasLtMatrixLayoutDestroy(lb);
    cublasLtMatrixLayoutDestroy(lc);
    launch_qgemm_epilogue(
        {acc, n_padded, s.m, s.n, a_scales, a_scale_per_row, b_scale + (b_scale_block > 0 ? chunk : 0), bias,
         chunk == 0, chunk == chunks - 1, out, out_amax},
        device);
  }
  cublasLtMatmulDescDestroy(op);
}

}  // namespace tango::kernels::cuda
