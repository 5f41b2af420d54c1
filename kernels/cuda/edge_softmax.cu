#include <cuda_runtime.h>

#include "kernels/cuda/edge_softmax.h"
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/sparse_rows.cuh"

namespace tango::kernels::cuda {

namespace {

__global__ void edge_softmax_kernel(EdgeSoftmaxArgs a) {
  const int64_t r = warp_row();
  if (r >= a.csr.num_rows) return;
  const int lane = threadIdx.x % 32;
  const int64_t first = a.csr.indptr[r], last = a.csr.indptr[r + 1], heads = a.heads;
  for (int64_t h = 0; h < heads; ++h) {
    float max = -INFINITY;
    for (int64_t p = first + lane; p < last; p += 32)
      max = fmaxf(max, a.scores[canonical_edge(a.csr, p) * heads + h]);
    max = warp_max(max);
    float sum = 0.0f;
    for (int64_t p = first + lane; p < last; p += 32) {
      const int64_t i = canonical_edge(a.csr, p) * heads + h;
      const float ex = expf(a.scores[i] - max);
      a.out[i] = ex;
      sum += ex;
    }
    const float inv = 1.0f / warp_sum(sum);
    for (int64_t p = first + lane; p < last; p += 32) a.out[canonical_edge(a.csr, p) * heads + h] *= inv;
  }
}

__global__ void edge_softmax_backward_kernel(EdgeSoftmaxArgs a) {
  const int64_t r = warp_row();
  if (r >= a.csr.num_rows) return;
  const int lane = threadIdx.x % 32;
  const int64_t first = a.csr.indptr[r], last = a.csr.indptr[r + 1], heads = a.heads;
  for (int64_t h = 0; h < heads; ++h) {
    float weighted = 0.0f;
    for (int64_t p = first + lane; p < last; p += 32) {
      const int64_t i = canonical_edge(a.csr, p) * heads + h;
      weighted += a.probs[i] * a.grad_probs[i];
    }
    weighted = warp_sum(weighted);
    for (int64_t p = first + lane; p < last; p += 32) {
      const int64_t i = canonical_edge(a.csr, p) * heads + h;
      a.out[i] = a.probs[i] * (a.grad_probs[i] - weighted);
    }
  }
}

}  // namespace

void edge_softmax(const EdgeSoftmaxArgs& a, Device device) {
  if (a.csr.num_rows == 0) return;
  edge_softmax_kernel<<<row_blocks(a.csr.num_rows), kRowWarps * 32, 0, stream_for(device)>>>(a);
  TANGO_CU_CHECK(cudaGetLastError());
}

void edge_softmax_backward(const EdgeSoftmaxArgs& a, Device device) {
  if (a.csr.num_rows == 0) return;
  edge_softmax_backward_kernel<<<row_blocks(a.csr.num_rows), kRowWarps * 32, 0, stream_for(device)>>>(a);
  TANGO_CU_CHECK(cudaGetLastError());
}

}  // namespace tango::kernels::cuda
