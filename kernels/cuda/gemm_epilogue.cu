#include "kernels/cuda/gemm_epilogue.cuh"
#include "kernels/cuda/launch.cuh"
#include "kernels/quant_math.h"

namespace tango::kernels::cuda {
namespace {

// One thread per destination byte; consecutive threads write consecutive k (coalesced stores).
__global__ void pack_int8_kernel(const int8_t* __restrict__ src, int64_t ld, bool src_k_major, int64_t rows,
                                 int64_t rows_padded, int64_t k0, int64_t k_count, int64_t k_padded,
                                 int8_t* __restrict__ dst) {
  const int64_t total = rows_padded * k_padded;
  for (int64_t i = int64_t{blockIdx.x} * blockDim.x + threadIdx.x; i < total;
       i += int64_t{gridDim.x} * blockDim.x) {
    const int64_t r = i / k_padded, kk = i - r * k_padded;
    int8_t value = 0;
    if (r < rows && kk < k_count) value = src_k_major ? src[(k0 + kk) * ld + r] : src[r * ld + k0 + kk];
    dst[i] = value;
  }
}

__global__ void qgemm_epilogue_kernel(EpilogueArgs a) {
  const int64_t total = a.m * a.n;
  const float sb = *a.b_scale;
  float local_max = 0.0f;
  for (int64_t i = int64_t{blockIdx.x} * blockDim.x + threadIdx.x; i < total;
       i += int64_t{gridDim.x} * blockDim.x) {
    const int64_t r = i / a.n, j = i - r * a.n;
    const float scale = a.a_scales[a.a_scale_per_row ? r : 0] * sb;
    const float result = qgemm_epilogue(a.acc[r * a.acc_ld + j], scale, a.bias ? a.bias[j] : 0.0f,
                                        a.first_chunk, a.first_chunk ? 0.0f : a.out[i]);
    a.out[i] = result;
    local_max = fmaxf(local_max, fabsf(result));
  }
  if (a.out_amax && a.last_chunk) {
    local_max = block_max(local_max);
    if (threadIdx.x == 0) atomic_max_nonneg(a.out_amax, local_max);
  }
}

}  // namespace

void launch_pack_int8(const int8_t* src, int64_t ld, bool src_k_major, int64_t rows, int64_t rows_padded,
                      int64_t k0, int64_t k_count, int64_t k_padded, int8_t* dst, Device device) {
  if (rows_padded * k_padded == 0) return;
  pack_int8_kernel<<<grid_size(rows_padded * k_padded, device), kThreads, 0, stream_for(device)>>>(
      src, ld, src_k_major, rows, rows_padded, k0, k_count, k_padded, dst);
  TANGO_CU_CHECK(cudaGetLastError());
}

void launch_qgemm_epilogue(const EpilogueArgs& args, Device device) {
  if (args.m * args.n == 0) return;
  qgemm_epilogue_kernel<<<grid_size(args.m * args.n, device), kThreads, 0, stream_for(device)>>>(args);
  TANGO_CU_CHECK(cudaGetLastError());
}

void zero_on_stream(float* value, Device device) {
  TANGO_CU_CHECK(cudaMemsetAsync(value, 0, sizeof(float), stream_for(device)));
}

}  // namespace tango::kernels::cuda
