// CUDA quantization kernels on device pointers, run on the device's CudaContext stream without any
// host synchronisation (amax and scales are device buffers). kernels/quantize.cc dispatches here.
#pragma once

#include <cstdint>

#include "core/device.h"
#include "kernels/quant_options.h"

namespace tango::kernels::cuda {

void amax(const float* x, int64_t n, float* out, Device device);
void amax_rows(const float* x, int64_t rows, int64_t cols, float* out, Device device);
// amax and scales may be the same buffer (quantize() reduces into the scales first).
void quantize_from_amax(const float* x, int64_t rows, int64_t cols, const float* amax,
                        const QuantizeOptions& options, void* values, float* scales, Device device);
void dequantize(const void* values, const float* scales, int64_t rows, int64_t cols,
                const QuantizeOptions& options, float* out, Device device);
void cast_to_bf16(const float* x, int64_t n, uint16_t* out, Device device);
void cast_from_bf16(const uint16_t* x, int64_t n, float* out, Device device);

}  // namespace tango::kernels::cuda
