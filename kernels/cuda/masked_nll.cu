// CUDA loss and accuracy over masked rows: a thread per row runs the shared row math
// (masked_nll_math.h, double precision); block sums are added with one atomic per block, so the loss
// sum's order (unlike the CPU's row order) varies from run to run in its last bits.
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/masked_nll.h"
#include "kernels/masked_nll_math.h"

namespace tango::kernels::cuda {
namespace {

__device__ inline double warp_sum_double(double v) {
  for (int offset = 16; offset > 0; offset /= 2) v += __shfl_xor_sync(0xffffffffu, v, offset);
  return v;
}

// Sum over the block (blockDim.x == kThreads); valid in thread 0.
__device__ inline double block_sum_double(double v) {
  __shared__ double warp_results[kWarpsPerBlock];
  v = warp_sum_double(v);
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  if (lane == 0) warp_results[warp] = v;
  __syncthreads();
  v = lane < kWarpsPerBlock ? warp_results[lane] : 0.0;
  if (warp == 0) v = warp_sum_double(v);
  return v;
}

__global__ void masked_nll_kernel(const float* __restrict__ logits, const int32_t* __restrict__ labels,
                                  const uint8_t* __restrict__ mask, int64_t rows, int64_t classes,
                                  double normalizer, float* grad, double* loss_sum) {
  double local = 0.0;
  // Threads past the last row keep local = 0 and still reach the block sum below (it has a barrier).
  for (int64_t r = int64_t{blockIdx.x} * blockDim.x + threadIdx.x; r < rows;
       r += int64_t{gridDim.x} * blockDim.x) {
    float* grow = grad + r * classes;
    if (!mask[r]) {
      for (int64_t j = 0; j < classes; ++j) grow[j] = 0.0f;
      continue;
    }
    local += nll_row(logits + r * classes, classes, labels[r], normalizer, grow);
  }
  const double block = block_sum_double(local);
  if (threadIdx.x == 0 && block != 0.0) atomicAdd(loss_sum, block);
}

__global__ void masked_correct_kernel(const float* __restrict__ logits, const int32_t* __restrict__ labels,
                                      const uint8_t* __restrict__ mask, int64_t rows, int64_t classes,
                                      unsigned long long* correct) {
  unsigned long long local = 0;
  for (int64_t r = int64_t{blockIdx.x} * blockDim.x + threadIdx.x; r < rows;
       r += int64_t{gridDim.x} * blockDim.x) {
    if (mask[r] && first_argmax(logits + r * classes, classes) == labels[r]) ++local;
  }
  for (int offset = 16; offset > 0; offset /= 2) local += __shfl_xor_sync(0xffffffffu, local, offset);
  if (threadIdx.x % 32 == 0 && local != 0) atomicAdd(correct, local);
}

}  // namespace

void masked_nll(const float* logits, const int32_t* labels, const uint8_t* mask, int64_t rows,
                int64_t classes, double normalizer, float* grad, double* loss_sum, Device device) {
  cudaStream_t stream = stream_for(device);
  TANGO_CU_CHECK(cudaMemsetAsync(loss_sum, 0, sizeof(double), stream));
  if (rows == 0) return;
  masked_nll_kernel<<<grid_size(rows, device), kThreads, 0, stream>>>(logits, labels, mask, rows, classes,
                                                                      normalizer, grad, loss_sum);
  TANGO_CU_CHECK(cudaGetLastError());
}

void masked_correct(const float* logits, const int32_t* labels, const uint8_t* mask, int64_t rows,
                    int64_t classes, int64_t* correct, Device device) {
  static_assert(sizeof(unsigned long long) == sizeof(int64_t));
  cudaStream_t stream = stream_for(device);
  TANGO_CU_CHECK(cudaMemsetAsync(correct, 0, sizeof(int64_t), stream));
  if (rows == 0) return;
  masked_correct_kernel<<<grid_size(rows, device), kThreads, 0, stream>>>(
      logits, labels, mask, rows, classes, reinterpret_cast<unsigned long long*>(correct));
  TANGO_CU_CHECK(cudaGetLastError());
}

}  // namespace tango::kernels::cuda
