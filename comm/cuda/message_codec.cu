#include <cstring>

#include "comm/cuda/cuda_status.h"
#include "comm/cuda/message_codec.h"
#include "comm/wire_math.h"

namespace tango::comm::cuda {

namespace {
constexpr int kWarpsPerBlock = 8;
constexpr unsigned kFullMask = 0xffffffffu;

__device__ float warp_max(float v) {
  for (int offset = 16; offset > 0; offset /= 2) v = fmaxf(v, __shfl_xor_sync(kFullMask, v, offset));
  return v;
}
__device__ float warp_min(float v) {
  for (int offset = 16; offset > 0; offset /= 2) v = fminf(v, __shfl_xor_sync(kFullMask, v, offset));
  return v;
}
__device__ double warp_sum(double v) {
  for (int offset = 16; offset > 0; offset /= 2) v += __shfl_xor_sync(kFullMask, v, offset);
  return v;
}

struct KernelCodec {
  WireFormat format;
  bool per_row_scales;
  bool stochastic;
  int bits;
  int64_t payload;  // bytes per row of codes
};

KernelCodec kernel_codec(const Codec& codec, int64_t cols) {
  return {codec.format, codec.per_row_scales(), codec.rounding == Rounding::kStochastic, codec.bits(),
          codec.row_payload_bytes(cols)};
}

__global__ void encode_kernel(KernelCodec codec, const float* table, int64_t cols, RowMap map, int64_t rows,
                              EncodeParams params, uint8_t* out, double* stats) {
  int64_t row = static_cast<int64_t>(blockIdx.x) * kWarpsPerBlock + threadIdx.x / 32;
  int lane = threadIdx.x % 32;
  if (row >= rows) return;  // whole warps exit together
  const float* x = table + map[row] * cols;
  float amax = 0.0f, lo = cols > 0 ? x[0] : 0.0f;
  double signal = 0;
  for (int64_t j = lane; j < cols; j += 32) {
    amax = fmaxf(amax, fabsf(x[j]));
    lo = fminf(lo, x[j]);
    signal += static_cast<double>(x[j]) * x[j];
  }
  amax = warp_max(amax);
  lo = warp_min(lo);
  uint8_t* codes = out + (codec.per_row_scales ? 2 * rows : 0) + row * codec.payload;
  double squared_error = 0, signed_amax2 = 0, unsigned_amax2 = 0;
  if (codec.format == WireFormat::kF32 || codec.format == WireFormat::kBF16) {
    for (int64_t j = lane; j < cols; j += 32) {
      if (codec.format == WireFormat::kF32) {
        reinterpret_cast<float*>(codes)[j] = x[j];
      } else {
        uint16_t word = kernels::float_to_bf16_bits(x[j]);
        reinterpret_cast<uint16_t*>(codes)[j] = word;
        double err = static_cast<double>(x[j]) - kernels::bf16_bits_to_float(word);
        squared_error += err * err;
      }
    }
    signed_amax2 = static_cast<double>(cols) * amax * amax;
  } else {
    CodeRange range;
    if (codec.per_row_scales) {
      uint16_t word = row_scale_word(amax, lo, codec.bits);
      if (lane == 0) reinterpret_cast<uint16_t*>(out)[row] = word;
      range = row_code_range(word, codec.bits);
      (range.qmin == 0 ? unsigned_amax2 : signed_amax2) = static_cast<double>(cols) * amax * amax;
    } else {
      range = tensor_code_range(params.tensor_scale, codec.bits);
      double tensor_amax = static_cast<double>(params.tensor_scale) * range.qmax;
      signed_amax2 = static_cast<double>(cols) * tensor_amax * tensor_amax;
    }
    float inv_scale = 1.0f / range.scale;
    int per_byte = 8 / codec.bits;
    uint64_t first_index = static_cast<uint64_t>(row) * static_cast<uint64_t>(cols);
    for (int64_t b = lane; b < codec.payload; b += 32) {
      uint8_t byte = 0;
      for (int slot = 0; slot < per_byte; ++slot) {
        int64_t j = b * per_byte + slot;
        if (j >= cols) break;
        int code = encode_element(x[j], inv_scale, range, codec.stochastic, params.seed, params.stream,
                                  first_index + static_cast<uint64_t>(j));
        byte = kernels::pack_field(byte, code, slot, codec.bits);
        double err = static_cast<double>(x[j]) - kernels::dequantize_code(code, range.scale);
        squared_error += err * err;
      }
      codes[b] = byte;
    }
  }
  squared_error = warp_sum(squared_error);
  signal = warp_sum(signal);
  if (lane == 0) {
    atomicAdd(stats + 0, squared_error);
    atomicAdd(stats + 1, signal);
    atomicAdd(stats + 2, signed_amax2);
    atomicAdd(stats + 3, unsigned_amax2);
  }
}

__global__ void decode_kernel(KernelCodec codec, const uint8_t* in, int64_t rows, int64_t cols,
                              float tensor_scale, float* table, RowMap map, bool accumulate) {
  int64_t row = static_cast<int64_t>(blockIdx.x) * kWarpsPerBlock + threadIdx.x / 32;
  int lane = threadIdx.x % 32;
  if (row >= rows) return;
  float* y = table + map[row] * cols;
  const uint8_t* codes = in + (codec.per_row_scales ? 2 * rows : 0) + row * codec.payload;
  if (codec.format == WireFormat::kF32 || codec.format == WireFormat::kBF16) {
    for (int64_t j = lane; j < cols; j += 32) {
      float v = codec.format == WireFormat::kF32
                    ? reinterpret_cast<const float*>(codes)[j]
                    : kernels::bf16_bits_to_float(reinterpret_cast<const uint16_t*>(codes)[j]);
      y[j] = accumulate ? y[j] + v : v;
    }
    return;
  }
  CodeRange range = codec.per_row_scales
                        ? row_code_range(reinterpret_cast<const uint16_t*>(in)[row], codec.bits)
                        : tensor_code_range(tensor_scale, codec.bits);
  int per_byte = 8 / codec.bits;
  for (int64_t j = lane; j < cols; j += 32) {
    int code = decode_field(codes[j / per_byte], static_cast<int>(j % per_byte), codec.bits, range);
    y[j] = accumulate ? kernels::dequantize_add(y[j], code, range.scale)
                      : kernels::dequantize_code(code, range.scale);
  }
}

__global__ void amax_kernel(const float* table, int64_t cols, RowMap map, int64_t rows, unsigned* amax_bits) {
  int64_t row = static_cast<int64_t>(blockIdx.x) * kWarpsPerBlock + threadIdx.x / 32;
  int lane = threadIdx.x % 32;
  if (row >= rows) return;
  const float* x = table + map[row] * cols;
  float amax = 0.0f;
  for (int64_t j = lane; j < cols; j += 32) amax = fmaxf(amax, fabsf(x[j]));
  amax = warp_max(amax);
  // Non-negative floats order like their bit patterns.
  if (lane == 0) atomicMax(amax_bits, __float_as_uint(amax));
}

// One warp per row, byte by byte (rows of codes are short: F bytes).
__global__ void copy_rows_kernel(const uint8_t* src, RowMap src_map, uint8_t* dst, RowMap dst_map,
                                 int64_t row_bytes, int64_t rows) {
  int64_t row = static_cast<int64_t>(blockIdx.x) * kWarpsPerBlock + threadIdx.x / 32;
  int lane = threadIdx.x % 32;
  if (row >= rows) return;
  const uint8_t* from = src + src_map[row] * row_bytes;
  uint8_t* to = dst + dst_map[row] * row_bytes;
  for (int64_t b = lane; b < row_bytes; b += 32) to[b] = from[b];
}

unsigned blocks_for(int64_t rows) {
  return static_cast<unsigned>((rows + kWarpsPerBlock - 1) / kWarpsPerBlock);
}
}  // namespace

void encode_rows(const Codec& codec, const float* table, int64_t cols, RowMap map, int64_t rows,
                 const EncodeParams& params, uint8_t* out, double* stats_device, cudaStream_t stream) {
  if (rows == 0) return;
  encode_kernel<<<blocks_for(rows), kWarpsPerBlock * 32, 0, stream>>>(kernel_codec(codec, cols), table, cols,
                                                                      map, rows, params, out, stats_device);
  throw_if_cuda_error(cudaGetLastError(), "kernel launch");
}

void decode_rows(const Codec& codec, const uint8_t* in, int64_t rows, int64_t cols, float tensor_scale,
                 float* table, RowMap map, bool accumulate, cudaStream_t stream) {
  if (rows == 0) return;
  decode_kernel<<<blocks_for(rows), kWarpsPerBlock * 32, 0, stream>>>(
      kernel_codec(codec, cols), in, rows, cols, tensor_scale, table, map, accumulate);
  throw_if_cuda_error(cudaGetLastError(), "kernel launch");
}

void gather_row_bytes(const uint8_t* table, int64_t row_bytes, RowMap map, int64_t rows, uint8_t* out,
                      cudaStream_t stream) {
  if (rows == 0) return;
  copy_rows_kernel<<<blocks_for(rows), kWarpsPerBlock * 32, 0, stream>>>(table, map, out, RowMap{nullptr, 0},
                                                                         row_bytes, rows);
  throw_if_cuda_error(cudaGetLastError(), "copy_rows_kernel launch");
}

void scatter_row_bytes(const uint8_t* in, int64_t row_bytes, int64_t rows, uint8_t* table, RowMap map,
                       cudaStream_t stream) {
  if (rows == 0) return;
  copy_rows_kernel<<<blocks_for(rows), kWarpsPerBlock * 32, 0, stream>>>(in, RowMap{nullptr, 0}, table, map,
                                                                         row_bytes, rows);
  throw_if_cuda_error(cudaGetLastError(), "copy_rows_kernel launch");
}

float rows_amax(const float* table, int64_t cols, RowMap map, int64_t rows, unsigned* scratch_device,
                cudaStream_t stream) {
  if (rows == 0) return 0.0f;
  throw_if_cuda_error(cudaMemsetAsync(scratch_device, 0, sizeof(unsigned), stream), "cudaMemsetAsync");
  amax_kernel<<<blocks_for(rows), kWarpsPerBlock * 32, 0, stream>>>(table, cols, map, rows, scratch_device);
  throw_if_cuda_error(cudaGetLastError(), "amax_kernel launch");
  unsigned host_bits = 0;
  throw_if_cuda_error(
      cudaMemcpyAsync(&host_bits, scratch_device, sizeof host_bits, cudaMemcpyDeviceToHost, stream),
      "cudaMemcpyAsync");
  throw_if_cuda_error(cudaStreamSynchronize(stream), "cudaStreamSynchronize");
  float amax;
  std::memcpy(&amax, &host_bits, sizeof amax);
  return amax;
}

}  // namespace tango::comm::cuda
