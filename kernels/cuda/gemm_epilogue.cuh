// Kernels around the cuBLASLt INT8 GEMM (fmt-free, for gemm.cc to launch):
// - pack_int8: copies a [k, rows] or [rows, k] INT8 operand block into the [rows_padded, k_padded] K-major,
//   zero-padded layout INT8 tensor cores take ("TN" in cuBLASLt's column-major terms).
// - qgemm_epilogue: out = acc * (sa * sb) (+ bias on the first chunk, + out on later ones) and, on the
//   last chunk, max|out| into out_amax through a block reduction and one atomic per block.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

#include "core/device.h"

namespace tango::kernels::cuda {

// Rows in [rows, rows_padded) and depths in [k_count, k_padded) are written as zeros.
void launch_pack_int8(const int8_t* src, int64_t ld, bool src_k_major, int64_t rows, int64_t rows_padded,
                      int64_t k0, int64_t k_count, int64_t k_padded, int8_t* dst, Device device);

struct EpilogueArgs {
  const int32_t* acc;  // [m, acc_ld]
  int64_t acc_ld;
  int64_t m, n;
  const float* a_scales;
  bool a_scale_per_row;
  const float* b_scale;
  const float* bias;  // may be null
  bool first_chunk, last_chunk;
  float* out;
  float* out_amax;  // may be null; zeroed by the launcher before the first chunk
};
void launch_qgemm_epilogue(const EpilogueArgs& args, Device device);
// Zeroes out_amax on the stream (before the chunks' epilogues run).
void zero_on_stream(float* value, Device device);

}  // namespace tango::kernels::cuda
