#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/softmax_nll.h"

namespace tango::kernels::cuda {
namespace {

// One warp per row: max and argmax (first maximum), log-sum-exp, log-probs; masked rows add their
// NLL, correctness and 1 to stats[1..3] (one atomic each per row).
__global__ void softmax_nll_forward_kernel(const float* __restrict__ logits,
                                           const int32_t* __restrict__ labels,
                                           const uint8_t* __restrict__ mask, int64_t rows, int64_t classes,
                                           float* __restrict__ log_probs, float* stats) {
  const int lane = threadIdx.x % 32;
  const int64_t warps = int64_t{gridDim.x} * kWarpsPerBlock;
  for (int64_t r = int64_t{blockIdx.x} * kWarpsPerBlock + threadIdx.x / 32; r < rows; r += warps) {
    const float* in = logits + r * classes;
    float best = -INFINITY;
    int64_t best_index = classes;
    for (int64_t c = lane; c < classes; c += 32)
      if (in[c] > best) best = in[c], best_index = c;  // first maximum within the lane
    for (int offset = 16; offset > 0; offset /= 2) {
      float other = __shfl_xor_sync(0xffffffffu, best, offset);
      int64_t other_index = __shfl_xor_sync(0xffffffffu, best_index, offset);
      if (other > best || (other == best && other_index < best_index)) best = other, best_index = other_index;
    }
    float sum = 0.0f;
    for (int64_t c = lane; c < classes; c += 32) sum += expf(in[c] - best);
    sum = warp_sum(sum);
    const float log_sum = logf(sum);
    float* out = log_probs + r * classes;
    for (int64_t c = lane; c < classes; c += 32) out[c] = in[c] - best - log_sum;
    if (lane == 0 && (!mask || mask[r])) {
      const int32_t label = labels[r];
      atomicAdd(stats + 1, -(in[label] - best - log_sum));
      atomicAdd(stats + 2, best_index == label ? 1.0f : 0.0f);
      atomicAdd(stats + 3, 1.0f);
    }
  }
}

__global__ void mean_loss_kernel(float* stats) {
  stats[0] = stats[3] > 0.0f ? stats[1] / stats[3] : 0.0f;
}

__global__ void softmax_nll_backward_kernel(const float* __restrict__ log_probs,
                                            const int32_t* __restrict__ labels,
                                            const uint8_t* __restrict__ mask, int64_t rows, int64_t classes,
                                            const float* count, float* __restrict__ dlogits) {
  const float scale = *count > 0.0f ? 1.0f / *count : 0.0f;
  for (int64_t i = int64_t{blockIdx.x} * blockDim.x + threadIdx.x; i < rows * classes;
       i += int64_t{gridDim.x} * blockDim.x) {
    const int64_t r = i / classes, c = i - r * classes;
    const bool active = !mask || mask[r];
    dlogits[i] = active ? (expf(log_probs[i]) - (c == labels[r] ? 1.0f : 0.0f)) * scale : 0.0f;
  }
}

}  // namespace

void softmax_nll_forward(const float* logits, const int32_t* labels, const uint8_t* mask, int64_t rows,
                         int64_t classes, float* log_probs, float* stats, Device device) {
  cudaStream_t stream = stream_for(device);
  TANGO_CU_CHECK(cudaMemsetAsync(stats, 0, 4 * sizeof(float), stream));
  if (rows > 0) {
    softmax_nll_forward_kernel<<<grid_size(rows * 32, device), kThreads, 0, stream>>>(
        logits, labels, mask, rows, classes, log_probs, stats);
    TANGO_CU_CHECK(cudaGetLastError());
  }
  mean_loss_kernel<<<1, 1, 0, stream>>>(stats);
  TANGO_CU_CHECK(cudaGetLastError());
}

void softmax_nll_backward(const float* log_probs, const int32_t* labels, const uint8_t* mask, int64_t rows,
                          int64_t classes, const float* count, float* dlogits, Device device) {
  if (rows * classes == 0) return;
  softmax_nll_backward_kernel<<<grid_size(rows * classes, device), kThreads, 0, stream_for(device)>>>(
      log_probs, labels, mask, rows, classes, count, dlogits);
  TANGO_CU_CHECK(cudaGetLastError());
}

}  // namespace tango::kernels::cuda
