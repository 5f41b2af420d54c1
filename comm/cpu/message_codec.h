// The fused CPU passes of the message codecs (OpenMP over rows; layout in comm/codec.h).
//
// encode_rows: gather + per-row amax + scale + quantize + pack, in one pass over the source rows,
// straight into the send buffer. decode_rows: unpack + dequantize + scatter (or scatter-add, for
// backward gradients) straight from the receive buffer into the table. The per-element arithmetic
// is kernels/quant_math.h, shared with the CUDA kernels.
#pragma once

#include <cstdint>

#include "comm/codec.h"

namespace tango::comm::cpu {

// Encodes rows map[0..rows) of `table` (row stride `cols` floats) into `out`
// (codec.message_bytes(rows, cols) bytes) and adds the encoder's statistics to *stats.
void encode_rows(const Codec& codec, const float* table, int64_t cols, RowMap map, int64_t rows,
                 const EncodeParams& params, uint8_t* out, EncodeStats* stats);

// Decodes a message of `rows` rows into table rows map[0..rows); adds to them when `accumulate`.
// Rows of `map` must be distinct (they are written in parallel).
void decode_rows(const Codec& codec, const uint8_t* in, int64_t rows, int64_t cols, float tensor_scale,
                 float* table, RowMap map, bool accumulate);

// Largest |x| over rows map[0..rows) of `table` (the per-tensor scale's local input).
float rows_amax(const float* table, int64_t cols, RowMap map, int64_t rows);

}  // namespace tango::comm::cpu
