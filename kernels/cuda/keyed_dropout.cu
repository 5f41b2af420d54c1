// CUDA keyed dropouts: grid-stride loops over the shared per-element draws (keyed_dropout_math.h).
#include "kernels/cuda/keyed_dropout.h"
#include "kernels/cuda/launch.cuh"
#include "kernels/elementwise_math.h"
#include "kernels/keyed_dropout_math.h"

namespace tango::kernels::cuda {
namespace {

// Grid-stride over (row, column pair): one hash gives both columns' draws; element(index, kept) for each
// of the pair's one or two columns (index = r * cols + j). The row dropouts' shared loop.
template <class Element>
__device__ void for_each_row_pair(int64_t rows, int64_t cols, const int64_t* __restrict__ global_ids, float p,
                                  uint64_t key, Element element) {
  const int64_t pairs_per_row = (cols + 1) / 2;
  for (int64_t i = int64_t{blockIdx.x} * blockDim.x + threadIdx.x; i < rows * pairs_per_row;
       i += int64_t{gridDim.x} * blockDim.x) {
    const int64_t r = i / pairs_per_row, pair = i % pairs_per_row;
    float draws[2];
    row_dropout_draws(key, static_cast<uint64_t>(global_ids[r]), static_cast<uint64_t>(pairs_per_row),
                      static_cast<uint64_t>(pair), draws);
    const int64_t end = min(cols, 2 * pair + 2);
    for (int64_t j = 2 * pair; j < end; ++j) element(r * cols + j, p == 0.0f || draws[j - 2 * pair] >= p);
  }
}

__global__ void keyed_dropout_kernel(const float* __restrict__ x, int64_t rows, int64_t cols,
                                     const int64_t* __restrict__ global_ids, float p, uint64_t key,
                                     float keep_scale, float* y, uint8_t* mask) {
  for_each_row_pair(rows, cols, global_ids, p, key, [=](int64_t i, bool kept) {
    mask[i] = kept ? 1 : 0;
    y[i] = keyed_dropout_value(x[i], kept, keep_scale);
  });
}

// Warp = row; lanes stride over the row's (entry, head) pairs.
__global__ void keyed_edge_dropout_kernel(const int64_t* __restrict__ indptr,
                                          const int32_t* __restrict__ indices, int64_t rows,
                                          const int64_t* __restrict__ row_ids,
                                          const int64_t* __restrict__ global_ids, int64_t num_global_nodes,
                                          int64_t heads, float p, uint64_t key, float keep_scale,
                                          float* values, uint8_t* mask) {
  const int64_t warps = int64_t{gridDim.x} * (blockDim.x / 32);
  const int lane = threadIdx.x % 32;
  for (int64_t r = int64_t{blockIdx.x} * (blockDim.x / 32) + threadIdx.x / 32; r < rows; r += warps) {
    const int64_t first = indptr[r], count = (indptr[r + 1] - first) * heads;
    const uint64_t dst = static_cast<uint64_t>(row_ids[r]);
    for (int64_t k = lane; k < count; k += 32) {
      const int64_t e = first + k / heads, h = k % heads;
      const bool kept = edge_dropout_draw(key, dst, static_cast<uint64_t>(global_ids[indices[e]]),
                                          static_cast<uint64_t>(num_global_nodes),
                                          static_cast<uint64_t>(heads), static_cast<uint64_t>(h)) >= p;
      mask[e * heads + h] = kept ? 1 : 0;
      values[e * heads + h] = keyed_dropout_value(values[e * heads + h], kept, keep_scale);
    }
  }
}

// keyed_dropout_kernel with the activation before it and the derivative codes beside it, in place.
__global__ void activation_dropout_codes_kernel(float* y, int64_t rows, int64_t cols,
                                                const int64_t* __restrict__ global_ids, float p, uint64_t key,
                                                float keep_scale, Activation kind, float alpha,
                                                uint8_t* __restrict__ codes) {
  for_each_row_pair(rows, cols, global_ids, p, key, [=](int64_t i, bool kept) {
    const float value = y[i];
    codes[i] = derivative_code(kind, value, alpha, kept);
    y[i] = keyed_dropout_value(activation_value(kind, value, alpha), kept, keep_scale);
  });
}

__global__ void masked_dropout_backward_kernel(const float* dy, const uint8_t* mask, int64_t n,
                                               float keep_scale, float* dx) {
  for (int64_t i = int64_t{blockIdx.x} * blockDim.x + threadIdx.x; i < n;
       i += int64_t{gridDim.x} * blockDim.x)
    dx[i] = keyed_dropout_value(dy[i], mask[i] != 0, keep_scale);
}

}  // namespace

void keyed_dropout(const float* x, int64_t rows, int64_t cols, const int64_t* global_ids, float p,
                   uint64_t key, float* y, uint8_t* mask, Device device) {
  const int64_t work = rows * ((cols + 1) / 2);
  if (work == 0) return;
  keyed_dropout_kernel<<<grid_size(work, device), kThreads, 0, stream_for(device)>>>(
      x, rows, cols, global_ids, p, key, 1.0f / (1.0f - p), y, mask);
  TANGO_CU_CHECK(cudaGetLastError());
}

void keyed_edge_dropout(const int64_t* indptr, const int32_t* indices, int64_t rows, const int64_t* row_ids,
                        const int64_t* global_ids, int64_t num_global_nodes, int64_t heads, float p,
                        uint64_t key, float* values, uint8_t* mask, Device device) {
  if (rows == 0 || heads == 0) return;
  keyed_edge_dropout_kernel<<<grid_size(rows * 32, device), kThreads, 0, stream_for(device)>>>(
      indptr, indices, rows, row_ids, global_ids, num_global_nodes, heads, p, key, 1.0f / (1.0f - p), values,
      mask);
  TANGO_CU_CHECK(cudaGetLastError());
}

void masked_dropout_backward(const float* dy, const uint8_t* mask, int64_t n, float p, float* dx,
                             Device device) {
  if (n == 0) return;
  masked_dropout_backward_kernel<<<grid_size(n, device), kThreads, 0, stream_for(device)>>>(
      dy, mask, n, 1.0f / (1.0f - p), dx);
  TANGO_CU_CHECK(cudaGetLastError());
}

void activation_dropout_codes(float* y, int64_t rows, int64_t cols, const int64_t* global_ids, float p,
                              uint64_t key, const ActivationOptions& activation, uint8_t* codes,
                              Device device) {
  const int64_t work = rows * ((cols + 1) / 2);
  if (work == 0) return;
  activation_dropout_codes_kernel<<<grid_size(work, device), kThreads, 0, stream_for(device)>>>(
      y, rows, cols, global_ids, p, key, 1.0f / (1.0f - p), activation.kind, activation.alpha, codes);
  TANGO_CU_CHECK(cudaGetLastError());
}

}  // namespace tango::kernels::cuda
