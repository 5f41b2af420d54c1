// CUDA per-head reductions: grid-stride loops over the shared math (head_ops_math.h); da's column sums
// in double, one atomic per (block, column), so their order varies in the last bits from run to run.
#include "kernels/cuda/head_ops.h"
#include "kernels/cuda/launch.cuh"
#include "kernels/head_ops_math.h"

namespace tango::kernels::cuda {
namespace {

#define TANGO_HEAD_GRID_STRIDE(i, n)                                        \
  for (int64_t i = int64_t{blockIdx.x} * blockDim.x + threadIdx.x; i < (n); \
       i += int64_t{gridDim.x} * blockDim.x)

__global__ void head_scores_kernel(const float* __restrict__ z, int64_t rows, const float* __restrict__ a,
                                   int64_t heads, int64_t width, float* out) {
  TANGO_HEAD_GRID_STRIDE(i, rows * heads) {
    const int64_t h = i % heads;
    out[i] = head_dot(z + i * width, a + h * width, width);
  }
}

__global__ void head_scores_dz_kernel(const float* __restrict__ ds, int64_t rows, const float* __restrict__ a,
                                      int64_t heads, int64_t width, float* dz) {
  TANGO_HEAD_GRID_STRIDE(i, rows * heads * width) {
    const int64_t rh = i / width, h = rh % heads, d = i % width;
    dz[i] = mul_add_rounded(ds[rh], a[h * width + d], dz[i]);
  }
}

// Thread = column j of [heads * width] (blockIdx.x), block row y = a strip of rows; one atomic each.
constexpr int kStripRows = 512;
__global__ void head_scores_da_kernel(const float* __restrict__ z, const float* __restrict__ ds, int64_t rows,
                                      int64_t heads, int64_t width, double* sums) {
  const int64_t columns = heads * width;
  const int64_t j = int64_t{blockIdx.x} * blockDim.x + threadIdx.x;
  if (j >= columns) return;
  const int64_t h = j / width;
  double sum = 0.0;
  for (int64_t r0 = int64_t{blockIdx.y} * kStripRows; r0 < rows; r0 += int64_t{gridDim.y} * kStripRows) {
    const int64_t r1 = min(rows, r0 + kStripRows);
    for (int64_t r = r0; r < r1; ++r) sum += static_cast<double>(ds[r * heads + h]) * z[r * columns + j];
  }
  atomicAdd(sums + j, sum);
}

__global__ void doubles_to_floats_kernel(const double* in, int64_t n, float* out) {
  TANGO_HEAD_GRID_STRIDE(i, n) out[i] = static_cast<float>(in[i]);
}

__global__ void head_mean_kernel(const float* __restrict__ x, int64_t rows, int64_t heads, int64_t width,
                                 float inverse_heads, float* out) {
  TANGO_HEAD_GRID_STRIDE(i, rows * width) {
    const int64_t r = i / width, d = i % width;
    out[i] = head_mean_value(x + r * heads * width, heads, width, d, inverse_heads);
  }
}

__global__ void head_mean_backward_kernel(const float* __restrict__ dy, int64_t rows, int64_t heads,
                                          int64_t width, float inverse_heads, float* dx) {
  TANGO_HEAD_GRID_STRIDE(i, rows * heads * width) {
    const int64_t r = i / (heads * width), d = i % width;
    dx[i] = dy[r * width + d] * inverse_heads;
  }
}

}  // namespace

void head_scores(const float* z, int64_t rows, const float* a, int64_t heads, int64_t width, float* out,
                 Device device) {
  if (rows * heads == 0) return;
  head_scores_kernel<<<grid_size(rows * heads, device), kThreads, 0, stream_for(device)>>>(z, rows, a, heads,
                                                                                           width, out);
  TANGO_CU_CHECK(cudaGetLastError());
}

void head_scores_backward(const float* z, const float* ds, int64_t rows, const float* a, int64_t heads,
                          int64_t width, float* dz, float* da, double* scratch, Device device) {
  cudaStream_t stream = stream_for(device);
  const int64_t columns = heads * width;
  if (columns == 0) return;
  if (dz != nullptr && rows > 0) {
    head_scores_dz_kernel<<<grid_size(rows * columns, device), kThreads, 0, stream>>>(ds, rows, a, heads,
                                                                                      width, dz);
    TANGO_CU_CHECK(cudaGetLastError());
  }
  if (da == nullptr) return;
  TANGO_CU_CHECK(cudaMemsetAsync(scratch, 0, sizeof(double) * columns, stream));
  if (rows > 0) {
    const int threads = 128;
    dim3 grid(static_cast<unsigned>((columns + threads - 1) / threads),
              static_cast<unsigned>(std::min<int64_t>((rows + kStripRows - 1) / kStripRows, 2048)));
    head_scores_da_kernel<<<grid, threads, 0, stream>>>(z, ds, rows, heads, width, scratch);
    TANGO_CU_CHECK(cudaGetLastError());
  }
  doubles_to_floats_kernel<<<grid_size(columns, device), kThreads, 0, stream>>>(scratch, columns, da);
  TANGO_CU_CHECK(cudaGetLastError());
}

void head_mean(const float* x, int64_t rows, int64_t heads, int64_t width, float* out, Device device) {
  if (rows * width == 0) return;
  head_mean_kernel<<<grid_size(rows * width, device), kThreads, 0, stream_for(device)>>>(
      x, rows, heads, width, 1.0f / static_cast<float>(heads), out);
  TANGO_CU_CHECK(cudaGetLastError());
}

void head_mean_backward(const float* dy, int64_t rows, int64_t heads, int64_t width, float* dx,
                        Device device) {
  if (rows * heads * width == 0) return;
  head_mean_backward_kernel<<<grid_size(rows * heads * width, device), kThreads, 0, stream_for(device)>>>(
      dy, rows, heads, width, 1.0f / static_cast<float>(heads), dx);
  TANGO_CU_CHECK(cudaGetLastError());
}

}  // namespace tango::kernels::cuda
