// Launch shape of the "one warp per CSR row" sparse kernels: blocks of kRowWarps warps, row = global warp id.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

namespace tango::kernels::cuda {

constexpr int kRowWarps = 8;
constexpr unsigned kAllLanes = 0xffffffffu;

__device__ __forceinline__ int64_t warp_row() {
  return (static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x) / 32;
}

inline unsigned row_blocks(int64_t rows) {
  return static_cast<unsigned>((rows + kRowWarps - 1) / kRowWarps);
}

}  // namespace tango::kernels::cuda
