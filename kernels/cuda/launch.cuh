// Launch shapes and block-wide reductions shared by the dense CUDA kernels.
// Reductions index their shared slots with threadIdx.x / 32 (Tango's scale_reduce used the hardware
// %warpid, which is not a 0-based warp index within the block, and could drop warps from the max).
#pragma once

#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>

#include "kernels/cuda/cuda_check.cuh"

namespace tango::kernels::cuda {

constexpr int kThreads = 256;
constexpr int kWarpsPerBlock = kThreads / 32;

// Blocks for a grid-stride loop over `work` items: enough to fill every SM a few times, no more.
inline int grid_size(int64_t work, Device device, int threads = kThreads) {
  int64_t needed = (work + threads - 1) / threads;
  return static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(needed, int64_t{sm_count(device)} * 8)));
}

__device__ inline float warp_max(float v) {
  for (int offset = 16; offset > 0; offset /= 2) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, offset));
  return v;
}

__device__ inline float warp_sum(float v) {
  for (int offset = 16; offset > 0; offset /= 2) v += __shfl_xor_sync(0xffffffffu, v, offset);
  return v;
}

// Max over the block (blockDim.x a multiple of 32, at most 1024); the result is valid in thread 0.
__device__ inline float block_max(float v) {
  __shared__ float warp_results[32];
  v = warp_max(v);
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  if (lane == 0) warp_results[warp] = v;
  __syncthreads();
  v = threadIdx.x < blockDim.x / 32 ? warp_results[lane] : 0.0f;
  if (warp == 0) v = warp_max(v);
  __syncthreads();  // warp_results may be reused by the caller's next reduction
  return v;
}

// atomicMax for non-negative floats: their bit patterns order like unsigned integers.
__device__ inline void atomic_max_nonneg(float* address, float value) {
  atomicMax(reinterpret_cast<unsigned int*>(address), __float_as_uint(value));
}

}  // namespace tango::kernels::cuda
