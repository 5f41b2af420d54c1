// The fused CUDA kernels of the message codecs (same wire layout and per-element math as
// comm/cpu/message_codec.h, through comm/wire_math.h). One warp per row: gather + amax/min + scale +
// quantize + pack into the send buffer; unpack + dequantize + scatter(-add) from the receive buffer.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

#include "comm/codec.h"

namespace tango::comm::cuda {

// `map.index` (if set) and all buffers are device pointers. Adds the encoder statistics into
// stats_device[0..4) = {squared_error, squared_signal, signed_amax2, unsigned_amax2} (doubles).
void encode_rows(const Codec& codec, const float* table, int64_t cols, RowMap map, int64_t rows,
                 const EncodeParams& params, uint8_t* out, double* stats_device, cudaStream_t stream);

void decode_rows(const Codec& codec, const uint8_t* in, int64_t rows, int64_t cols, float tensor_scale,
                 float* table, RowMap map, bool accumulate, cudaStream_t stream);

// Largest |x| over the rows, using one unsigned of device scratch (synchronises `stream`).
float rows_amax(const float* table, int64_t cols, RowMap map, int64_t rows, unsigned* scratch_device,
                cudaStream_t stream);

}  // namespace tango::comm::cuda
