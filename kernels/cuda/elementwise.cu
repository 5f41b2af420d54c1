// CUDA FP32 small ops: grid-stride loops over the shared per-element math (elementwise_math.h).
#include "kernels/cuda/elementwise.h"
#include "kernels/cuda/launch.cuh"

namespace tango::kernels::cuda {
namespace {

#define TANGO_GRID_STRIDE(i, n)                                             \
  for (int64_t i = int64_t{blockIdx.x} * blockDim.x + threadIdx.x; i < (n); \
       i += int64_t{gridDim.x} * blockDim.x)

__global__ void bias_add_kernel(float* y, int64_t rows, int64_t cols, const float* bias) {
  TANGO_GRID_STRIDE(i, rows * cols) y[i] += bias[i % cols];
}

// Thread = column; block row y sums strips of kColumnSumRows rows, then one atomicAdd per column.
constexpr int kColumnSumRows = 256;
__global__ void column_sum_kernel(const float* __restrict__ x, int64_t rows, int64_t cols, float* out) {
  const int64_t col = int64_t{blockIdx.x} * blockDim.x + threadIdx.x;
  if (col >= cols) return;
  float sum = 0.0f;
  for (int64_t r0 = int64_t{blockIdx.y} * kColumnSumRows; r0 < rows;
       r0 += int64_t{gridDim.y} * kColumnSumRows) {
    const int64_t r1 = min(rows, r0 + kColumnSumRows);
    for (int64_t r = r0; r < r1; ++r) sum += x[r * cols + col];
  }
  atomicAdd(out + col, sum);
}

__global__ void add_inplace_kernel(float* y, const float* x, int64_t n) {
  TANGO_GRID_STRIDE(i, n) y[i] += x[i];
}

__global__ void activation_forward_kernel(const float* x, int64_t n, Activation kind, float alpha, float* y) {
  TANGO_GRID_STRIDE(i, n) y[i] = activation_value(kind, x[i], alpha);
}

__global__ void activation_backward_kernel(const float* x, const float* dy, int64_t n, Activation kind,
                                           float alpha, float* dx) {
  TANGO_GRID_STRIDE(i, n) dx[i] = dy[i] * activation_derivative(kind, x[i], alpha);
}

__global__ void activation_derivative_codes_kernel(const float* x, const uint8_t* keep_mask, int64_t n,
                                                   Activation kind, float alpha, uint8_t* codes) {
  TANGO_GRID_STRIDE(i, n)
  codes[i] = derivative_code(kind, x[i], alpha, keep_mask == nullptr || keep_mask[i] != 0);
}

__global__ void coded_activation_backward_kernel(const uint8_t* codes, const float* dy, int64_t n,
                                                 float keep_scale, float* dx) {
  TANGO_GRID_STRIDE(i, n) dx[i] = coded_derivative_backward(dy[i], codes[i], keep_scale);
}

}  // namespace

void bias_add(float* y, int64_t rows, int64_t cols, const float* bias, Device device) {
  if (rows * cols == 0) return;
  bias_add_kernel<<<grid_size(rows * cols, device), kThreads, 0, stream_for(device)>>>(y, rows, cols, bias);
  TANGO_CU_CHECK(cudaGetLastError());
}

void column_sum(const float* x, int64_t rows, int64_t cols, float* out, Device device) {
  cudaStream_t stream = stream_for(device);
  TANGO_CU_CHECK(cudaMemsetAsync(out, 0, sizeof(float) * cols, stream));
  if (rows * cols == 0) return;
  const int threads = 128;
  dim3 grid(static_cast<unsigned>((cols + threads - 1) / threads),
            static_cast<unsigned>(std::min<int64_t>((rows + kColumnSumRows - 1) / kColumnSumRows, 4096)));
  column_sum_kernel<<<grid, threads, 0, stream>>>(x, rows, cols, out);
  TANGO_CU_CHECK(cudaGetLastError());
}

void add_inplace(float* y, const float* x, int64_t n, Device device) {
  if (n == 0) return;
  add_inplace_kernel<<<grid_size(n, device), kThreads, 0, stream_for(device)>>>(y, x, n);
  TANGO_CU_CHECK(cudaGetLastError());
}

void activation_forward(const float* x, int64_t n, const ActivationOptions& options, float* y,
                        Device device) {
  if (n == 0) return;
  activation_forward_kernel<<<grid_size(n, device), kThreads, 0, stream_for(device)>>>(x, n, options.kind,
                                                                                       options.alpha, y);
  TANGO_CU_CHECK(cudaGetLastError());
}

void activation_backward(const float* x, const float* dy, int64_t n, const ActivationOptions& options,
                         float* dx, Device device) {
  if (n == 0) return;
  activation_backward_kernel<<<grid_size(n, device), kThreads, 0, stream_for(device)>>>(
      x, dy, n, options.kind, options.alpha, dx);
  TANGO_CU_CHECK(cudaGetLastError());
}

void activation_derivative_codes(const float* x, const uint8_t* keep_mask, int64_t n,
                                 const ActivationOptions& options, uint8_t* codes, Device device) {
  if (n == 0) return;
  activation_derivative_codes_kernel<<<grid_size(n, device), kThreads, 0, stream_for(device)>>>(
      x, keep_mask, n, options.kind, options.alpha, codes);
  TANGO_CU_CHECK(cudaGetLastError());
}

void coded_activation_backward(const uint8_t* codes, const float* dy, int64_t n, float keep_scale, float* dx,
                               Device device) {
  if (n == 0) return;
  coded_activation_backward_kernel<<<grid_size(n, device), kThreads, 0, stream_for(device)>>>(codes, dy, n,
                                                                                              keep_scale, dx);
  TANGO_CU_CHECK(cudaGetLastError());
}

}  // namespace tango::kernels::cuda
