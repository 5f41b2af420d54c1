#include "kernels/cpu/quantize.h"

#include <cmath>

#include "kernels/quant_math.h"

namespace tango::kernels::cpu {
namespace {

// Flat loop specialised on code type and rounding, so the nearest path vectorises.
template <class Code, bool kStochastic>
void quantize_flat(const float* x, int64_t n, float inv_scale, int qmin, int qmax,
                   const QuantizeOptions& options, void* values) {
  Code* out = static_cast<Code*>(values);
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i)
    out[i] = static_cast<Code>(quantize_code(x[i], inv_scale, qmin, qmax, kStochastic, options.seed,
                                             options.stream, static_cast<uint64_t>(i)));
}

}  // namespace

float amax(const float* x, int64_t n) {
  float result = 0.0f;
#pragma omp parallel for reduction(max : result) schedule(static)
  for (int64_t i = 0; i < n; ++i) {
    float a = std::fabs(x[i]);
    result = a > result ? a : result;  // NaN never wins
  }
  return result;
}

void amax_rows(const float* x, int64_t rows, int64_t cols, float* out) {
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < rows; ++r) {
    const float* row = x + r * cols;
    float m = 0.0f;
    for (int64_t j = 0; j < cols; ++j) {
      float a = std::fabs(row[j]);
      m = a > m ? a : m;
    }
    out[r] = m;
  }
}

void quantize_from_amax(const float* x, int64_t rows, int64_t cols, const float* amax,
                        const QuantizeOptions& options, void* values, float* scales) {
  const int qmax = format_qmax(options.format);
  const int qmin = options.format == QuantFormat::kUint8 ? 0 : -qmax;
  const int bits = format_bits(options.format);
  const bool per_row = options.granularity == ScaleGranularity::kPerRow;
  const bool stochastic = options.rounding == Rounding::kStochastic;
  // amax and scales may be the same buffer (quantize() reduces into the scales): read before writing.
  const float tensor_scale = per_row ? 1.0f : scale_from_amax(amax[0], qmax);
  if (!per_row) scales[0] = tensor_scale;
  const int64_t row_bytes = packed_row_bytes(cols, bits);
  if (!per_row && bits == 8) {  // one scale, byte codes: a flat loop parallelises even a single row
    const float inv_scale = 1.0f / tensor_scale;
    if (options.format == QuantFormat::kInt8)
      stochastic ? quantize_flat<int8_t, true>(x, rows * cols, inv_scale, qmin, qmax, options, values)
                 : quantize_flat<int8_t, false>(x, rows * cols, inv_scale, qmin, qmax, options, values);
    else
      stochastic ? quantize_flat<uint8_t, true>(x, rows * cols, inv_scale, qmin, qmax, options, values)
                 : quantize_flat<uint8_t, false>(x, rows * cols, inv_scale, qmin, qmax, options, values);
    return;
  }
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < rows; ++r) {
    float scale = per_row ? scale_from_amax(amax[r], qmax) : tensor_scale;
    if (per_row) scales[r] = scale;
    const float inv_scale = 1.0f / scale;
    const float* row = x + r * cols;
    auto code = [&](int64_t j) {
      return quantize_code(row[j], inv_scale, qmin, qmax, stochastic, options.seed, options.stream,
                           static_cast<uint64_t>(r * cols + j));
    };
    if (bits == 8) {
      if (options.format == QuantFormat::kInt8) {
        int8_t* out = static_cast<int8_t*>(values) + r * cols;
        for (int64_t j = 0; j < cols; ++j) out[j] = static_cast<int8_t>(code(j));
      } else {
        uint8_t* out = static_cast<uint8_t*>(values) + r * cols;
        for (int64_t j = 0; j < cols; ++j) out[j] = static_cast<uint8_t>(code(j));
      }
      continue;
    }
    const int per_byte = 8 / bits;
    uint8_t* out = static_cast<uint8_t*>(values) + r * row_bytes;
    for (int64_t b = 0; b < row_bytes; ++b) {
      uint8_t byte = 0;
      for (int slot = 0; slot < per_byte; ++slot) {
        int64_t j = b * per_byte + slot;
        if (j < cols) byte = pack_field(byte, code(j), slot, bits);
      }
      out[b] = byte;
    }
  }
}

void dequantize(const void* values, const float* scales, int64_t rows, int64_t cols,
                const QuantizeOptions& options, float* out) {
  const int bits = format_bits(options.format);
  const bool per_row = options.granularity == ScaleGranularity::kPerRow;
  const int64_t row_bytes = packed_row_bytes(cols, bits);
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < rows; ++r) {
    const float scale = scales[per_row ? r : 0];
    float* row = out + r * cols;
    if (options.format == QuantFormat::kInt8) {
      const int8_t* in = static_cast<const int8_t*>(values) + r * cols;
      for (int64_t j = 0; j < cols; ++j) row[j] = dequantize_code(in[j], scale);
    } else if (options.format == QuantFormat::kUint8) {
      const uint8_t* in = static_cast<const uint8_t*>(values) + r * cols;
      for (int64_t j = 0; j < cols; ++j) row[j] = dequantize_code(in[j], scale);
    } else {
      const int per_byte = 8 / bits;
      const uint8_t* in = static_cast<const uint8_t*>(values) + r * row_bytes;
      for (int64_t j = 0; j < cols; ++j)
        row[j] = dequantize_code(unpack_field(in[j / per_byte], static_cast<int>(j % per_byte), bits), scale);
    }
  }
}

void cast_to_bf16(const float* x, int64_t n, uint16_t* out) {
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) out[i] = float_to_bf16_bits(x[i]);
}

void cast_from_bf16(const uint16_t* x, int64_t n, float* out) {
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) out[i] = bf16_bits_to_float(x[i]);
}

}  // namespace tango::kernels::cpu
