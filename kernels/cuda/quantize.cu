// CUDA quantization kernels: grid-stride loops with 16-byte loads where the pointer allows and scalar
// tails (Tango's tail indexed one past the element it meant, bug 2), block reductions over
// threadIdx.x / 32 (bug 3), and the per-element rules of kernels/quant_math.h (scale 1 for a zero
// tensor, bug 4; rint and clamp, bug 5).
#include <cuda_runtime.h>

#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/quantize.h"
#include "kernels/quant_math.h"

namespace tango::kernels::cuda {
namespace {

bool aligned16(const void* p) {
  return reinterpret_cast<uintptr_t>(p) % 16 == 0;
}

__global__ void amax_kernel(const float* __restrict__ x, int64_t n, bool vector_loads, float* out) {
  float m = 0.0f;
  const int64_t stride = int64_t{gridDim.x} * blockDim.x;
  const int64_t tid = int64_t{blockIdx.x} * blockDim.x + threadIdx.x;
  int64_t scalar_begin = 0;
  if (vector_loads) {
    const int64_t n4 = n / 4;
    const float4* x4 = reinterpret_cast<const float4*>(x);
    for (int64_t i = tid; i < n4; i += stride) {
      float4 v = x4[i];
      m = fmaxf(m, fmaxf(fmaxf(fabsf(v.x), fabsf(v.y)), fmaxf(fabsf(v.z), fabsf(v.w))));
    }
    scalar_begin = n4 * 4;
  }
  for (int64_t i = scalar_begin + tid; i < n; i += stride) m = fmaxf(m, fabsf(x[i]));
  m = block_max(m);
  if (threadIdx.x == 0) atomic_max_nonneg(out, m);
}

// One warp per row.
__global__ void amax_rows_kernel(const float* __restrict__ x, int64_t rows, int64_t cols, float* out) {
  const int lane = threadIdx.x % 32;
  const int64_t warps = int64_t{gridDim.x} * kWarpsPerBlock;
  for (int64_t r = int64_t{blockIdx.x} * kWarpsPerBlock + threadIdx.x / 32; r < rows; r += warps) {
    const float* row = x + r * cols;
    float m = 0.0f;
    for (int64_t j = lane; j < cols; j += 32) m = fmaxf(m, fabsf(row[j]));
    m = warp_max(m);
    if (lane == 0) out[r] = m;
  }
}

struct CodeParams {
  int qmin, qmax, bits;
  bool stochastic;
  uint64_t key;  // stream_key(seed, stream)
};

template <class Code>
__device__ inline Code code_at(float x, float inv_scale, const CodeParams& p, int64_t index) {
  return static_cast<Code>(
      quantize_code(x, inv_scale, p.qmin, p.qmax, p.stochastic, p.key, static_cast<uint64_t>(index)));
}

// Per-tensor scale, byte codes: four elements per step (one float4 load, one 4-byte store) when aligned.
template <class Code>
__global__ void quantize_tensor_kernel(const float* __restrict__ x, int64_t n, const float* amax,
                                       CodeParams p, bool vector_io, Code* __restrict__ values) {
  const float inv_scale = 1.0f / scale_from_amax(*amax, p.qmax);
  const int64_t stride = int64_t{gridDim.x} * blockDim.x;
  const int64_t tid = int64_t{blockIdx.x} * blockDim.x + threadIdx.x;
  int64_t scalar_begin = 0;
  if (vector_io) {
    const int64_t n4 = n / 4;
    for (int64_t i = tid; i < n4; i += stride) {
      float4 v = reinterpret_cast<const float4*>(x)[i];
      const int64_t e = i * 4;
      uchar4 packed;
      packed.x = static_cast<unsigned char>(code_at<Code>(v.x, inv_scale, p, e));
      packed.y = static_cast<unsigned char>(code_at<Code>(v.y, inv_scale, p, e + 1));
      packed.z = static_cast<unsigned char>(code_at<Code>(v.z, inv_scale, p, e + 2));
      packed.w = static_cast<unsigned char>(code_at<Code>(v.w, inv_scale, p, e + 3));
      reinterpret_cast<uchar4*>(values)[i] = packed;
    }
    scalar_begin = n4 * 4;
  }
  for (int64_t i = scalar_begin + tid; i < n; i += stride) values[i] = code_at<Code>(x[i], inv_scale, p, i);
}

__global__ void write_tensor_scale_kernel(const float* amax, int qmax, float* scales) {
  scales[0] = scale_from_amax(*amax, qmax);
}

// One warp per row: per-row scales and/or packed 4-/2-bit codes. amax may alias scales: every lane reads
// its row's amax before lane 0 overwrites it.
__global__ void quantize_rows_kernel(const float* __restrict__ x, int64_t rows, int64_t cols,
                                     const float* amax, bool per_row, CodeParams p, void* values,
                                     float* scales) {
  const int lane = threadIdx.x % 32;
  const int64_t warps = int64_t{gridDim.x} * kWarpsPerBlock;
  const int64_t row_bytes = packed_row_bytes(cols, p.bits);
  for (int64_t r = int64_t{blockIdx.x} * kWarpsPerBlock + threadIdx.x / 32; r < rows; r += warps) {
    const float scale = scale_from_amax(amax[per_row ? r : 0], p.qmax);
    __syncwarp();
    if (per_row && lane == 0) scales[r] = scale;
    const float inv_scale = 1.0f / scale;
    const float* row = x + r * cols;
    if (p.bits == 8) {
      if (p.qmin < 0) {
        int8_t* out = static_cast<int8_t*>(values) + r * cols;
        for (int64_t j = lane; j < cols; j += 32)
          out[j] = code_at<int8_t>(row[j], inv_scale, p, r * cols + j);
      } else {
        uint8_t* out = static_cast<uint8_t*>(values) + r * cols;
        for (int64_t j = lane; j < cols; j += 32)
          out[j] = code_at<uint8_t>(row[j], inv_scale, p, r * cols + j);
      }
      continue;
    }
    const int per_byte = 8 / p.bits;
    uint8_t* out = static_cast<uint8_t*>(values) + r * row_bytes;
    for (int64_t b = lane; b < row_bytes; b += 32) {
      uint8_t byte = 0;
      for (int slot = 0; slot < per_byte; ++slot) {
        const int64_t j = b * per_byte + slot;
        if (j < cols) byte = pack_field(byte, code_at<int>(row[j], inv_scale, p, r * cols + j), slot, p.bits);
      }
      out[b] = byte;
    }
  }
}

__global__ void dequantize_kernel(const void* __restrict__ values, const float* __restrict__ scales,
                                  int64_t rows, int64_t cols, int bits, bool is_signed, bool per_row,
                                  float* __restrict__ out) {
  const int64_t n = rows * cols;
  const int64_t row_bytes = packed_row_bytes(cols, bits);
  const int per_byte = 8 / bits;
  for (int64_t i = int64_t{blockIdx.x} * blockDim.x + threadIdx.x; i < n;
       i += int64_t{gridDim.x} * blockDim.x) {
    const int64_t r = i / cols, j = i - r * cols;
    int code;
    if (bits == 8)
      code = is_signed ? static_cast<const int8_t*>(values)[i] : static_cast<const uint8_t*>(values)[i];
    else
      code = unpack_field(static_cast<const uint8_t*>(values)[r * row_bytes + j / per_byte],
                          static_cast<int>(j % per_byte), bits);
    out[i] = dequantize_code(code, scales[per_row ? r : 0]);
  }
}

__global__ void to_bf16_kernel(const float* __restrict__ x, int64_t n, uint16_t* __restrict__ out) {
  for (int64_t i = int64_t{blockIdx.x} * blockDim.x + threadIdx.x; i < n;
       i += int64_t{gridDim.x} * blockDim.x)
    out[i] = float_to_bf16_bits(x[i]);
}

__global__ void from_bf16_kernel(const uint16_t* __restrict__ x, int64_t n, float* __restrict__ out) {
  for (int64_t i = int64_t{blockIdx.x} * blockDim.x + threadIdx.x; i < n;
       i += int64_t{gridDim.x} * blockDim.x)
    out[i] = bf16_bits_to_float(x[i]);
}

}  // namespace

void amax(const float* x, int64_t n, float* out, Device device) {
  cudaStream_t stream = stream_for(device);
  TANGO_CU_CHECK(cudaMemsetAsync(out, 0, sizeof(float), stream));
  if (n == 0) return;
  const bool vector_loads = aligned16(x);
  amax_kernel<<<grid_size(vector_loads ? n / 4 + 1 : n, device), kThreads, 0, stream>>>(x, n, vector_loads,
                                                                                        out);
  TANGO_CU_CHECK(cudaGetLastError());
}

void amax_rows(const float* x, int64_t rows, int64_t cols, float* out, Device device) {
  if (rows == 0) return;
  cudaStream_t stream = stream_for(device);
  amax_rows_kernel<<<grid_size(rows * 32, device), kThreads, 0, stream>>>(x, rows, cols, out);
  TANGO_CU_CHECK(cudaGetLastError());
}

void quantize_from_amax(const float* x, int64_t rows, int64_t cols, const float* amax,
                        const QuantizeOptions& options, void* values, float* scales, Device device) {
  cudaStream_t stream = stream_for(device);
  const int qmax = format_qmax(options.format);
  CodeParams p{options.format == QuantFormat::kUint8 ? 0 : -qmax, qmax, format_bits(options.format),
               options.rounding == Rounding::kStochastic, stream_key(options.seed, options.stream)};
  const bool per_row = options.granularity == ScaleGranularity::kPerRow;
  const int64_t n = rows * cols;
  if (!per_row && p.bits == 8) {
    if (n > 0) {
      const bool vector_io = aligned16(x) && reinterpret_cast<uintptr_t>(values) % 4 == 0;
      const int grid = grid_size(vector_io ? n / 4 + 1 : n, device);
      if (p.qmin < 0)
        quantize_tensor_kernel<<<grid, kThreads, 0, stream>>>(x, n, amax, p, vector_io,
                                                              static_cast<int8_t*>(values));
      else
        quantize_tensor_kernel<<<grid, kThreads, 0, stream>>>(x, n, amax, p, vector_io,
                                                              static_cast<uint8_t*>(values));
      TANGO_CU_CHECK(cudaGetLastError());
    }
  } else if (rows > 0) {
    quantize_rows_kernel<<<grid_size(rows * 32, device), kThreads, 0, stream>>>(x, rows, cols, amax, per_row,
                                                                                p, values, scales);
    TANGO_CU_CHECK(cudaGetLastError());
  }
  // After the codes: the per-tensor scale may overwrite the amax the kernels above read.
  if (!per_row) write_tensor_scale_kernel<<<1, 1, 0, stream>>>(amax, qmax, scales);
  TANGO_CU_CHECK(cudaGetLastError());
}

void dequantize(const void* values, const float* scales, int64_t rows, int64_t cols,
                const QuantizeOptions& options, float* out, Device device) {
  if (rows * cols == 0) return;
  cudaStream_t stream = stream_for(device);
  dequantize_kernel<<<grid_size(rows * cols, device), kThreads, 0, stream>>>(
      values, scales, rows, cols, format_bits(options.format), options.format != QuantFormat::kUint8,
      options.granularity == ScaleGranularity::kPerRow, out);
  TANGO_CU_CHECK(cudaGetLastError());
}

void cast_to_bf16(const float* x, int64_t n, uint16_t* out, Device device) {
  if (n == 0) return;
  to_bf16_kernel<<<grid_size(n, device), kThreads, 0, stream_for(device)>>>(x, n, out);
  TANGO_CU_CHECK(cudaGetLastError());
}

void cast_from_bf16(const uint16_t* x, int64_t n, float* out, Device device) {
  if (n == 0) return;
  from_bf16_kernel<<<grid_size(n, device), kThreads, 0, stream_for(device)>>>(x, n, out);
  TANGO_CU_CHECK(cudaGetLastError());
}

}  // namespace tango::kernels::cuda
