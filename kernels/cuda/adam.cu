#include "kernels/cuda/adam.h"
#include "kernels/cuda/launch.cuh"

namespace tango::kernels::cuda {
namespace {

__global__ void adam_kernel(float* param, const float* grad, float* m, float* v, int64_t n,
                            AdamCoefficients c) {
  for (int64_t i = int64_t{blockIdx.x} * blockDim.x + threadIdx.x; i < n;
       i += int64_t{gridDim.x} * blockDim.x)
    adam_update(param[i], grad[i], m[i], v[i], c);
}

}  // namespace

void adam_step(float* param, const float* grad, float* m, float* v, int64_t n, const AdamCoefficients& c,
               Device device) {
  if (n == 0) return;
  adam_kernel<<<grid_size(n, device), kThreads, 0, stream_for(device)>>>(param, grad, m, v, n, c);
  TANGO_CU_CHECK(cudaGetLastError());
}

}  // namespace tango::kernels::cuda
