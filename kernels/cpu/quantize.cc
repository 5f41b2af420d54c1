#include "kernels/cpu/quantize.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <type_traits>
#include <vector>

#include "kernels/cpu/amax_bits.h"
#include "kernels/cpu/isa_clones.h"
#include "kernels/cpu/parallel_spans.h"
#include "kernels/quant_math.h"

namespace tango::kernels::cpu {
namespace {

// Codes for x[0, n) whose flat indices start at index0; specialised on code type and rounding so the
// nearest path vectorises.
template <class Code, bool kStochastic>
[[gnu::always_inline]] inline void quantize_span(const float* __restrict x, int64_t n, float inv_scale,
                                                 int qmin, int qmax, uint64_t key, int64_t index0,
                                                 Code* __restrict out) {
  for (int64_t i = 0; i < n; ++i)
    out[i] = static_cast<Code>(
        quantize_code(x[i], inv_scale, qmin, qmax, kStochastic, key, static_cast<uint64_t>(index0 + i)));
}

// The nearest-rounding byte spans, compiled per ISA (cpu/isa_clones.h): 16 floats per AVX-512 instruction
// instead of 4, which takes the per-tensor pass to about the memory bandwidth.
TANGO_ISA_CLONES void nearest_span_i8(const float* x, int64_t n, float inv_scale, int qmin, int qmax,
                                      uint64_t, int64_t, int8_t* out) {
  quantize_span<int8_t, false>(x, n, inv_scale, qmin, qmax, 0, 0, out);
}
TANGO_ISA_CLONES void nearest_span_u8(const float* x, int64_t n, float inv_scale, int qmin, int qmax,
                                      uint64_t, int64_t, uint8_t* out) {
  quantize_span<uint8_t, false>(x, n, inv_scale, qmin, qmax, 0, 0, out);
}

// Stochastic rounding spans: the 32-bit-lane hash (core/counter_hash.h) vectorises in the clones too.
TANGO_ISA_CLONES void stochastic_span_i8(const float* x, int64_t n, float inv_scale, int qmin, int qmax,
                                         uint64_t key, int64_t index0, int8_t* out) {
  quantize_span<int8_t, true>(x, n, inv_scale, qmin, qmax, key, index0, out);
}
TANGO_ISA_CLONES void stochastic_span_u8(const float* x, int64_t n, float inv_scale, int qmin, int qmax,
                                         uint64_t key, int64_t index0, uint8_t* out) {
  quantize_span<uint8_t, true>(x, n, inv_scale, qmin, qmax, key, index0, out);
}

// The span function of a byte format and rounding.
template <class Code, bool kStochastic>
constexpr auto byte_span() {
  if constexpr (std::is_same_v<Code, int8_t>)
    return kStochastic ? stochastic_span_i8 : nearest_span_i8;
  else
    return kStochastic ? stochastic_span_u8 : nearest_span_u8;
}

// Byte codes (INT8 / UINT8): one scale for everything (flat, in cache-sized chunks) or one per row.
template <class Code, bool kStochastic>
void quantize_bytes(const float* x, int64_t rows, int64_t cols, const float* amax, bool per_row,
                    float tensor_scale, int qmin, int qmax, uint64_t key, void* values, float* scales) {
  Code* out = static_cast<Code*>(values);
  if (!per_row) {  // a flat loop parallelises even a single row
    const int64_t n = rows * cols, chunk = kSpan;
    const float inv_scale = 1.0f / tensor_scale;
#pragma omp parallel for schedule(static)
    for (int64_t begin = 0; begin < n; begin += chunk)
      byte_span<Code, kStochastic>()(x + begin, std::min(chunk, n - begin), inv_scale, qmin, qmax, key, begin,
                                     out + begin);
    return;
  }
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < rows; ++r) {
    const float scale = scale_from_amax(amax[r], qmax);  // read before scales[r] (maybe amax[r]) is written
    scales[r] = scale;
    byte_span<Code, kStochastic>()(x + r * cols, cols, 1.0f / scale, qmin, qmax, key, r * cols,
                                   out + r * cols);
  }
}

}  // namespace

namespace {

// amax_bits compiled per ISA.
TANGO_ISA_CLONES uint32_t amax_bits_span(const float* x, int64_t n) {
  return amax_bits(x, n);
}

}  // namespace

float amax(const float* x, int64_t n) {
  uint32_t result = 0;
#pragma omp parallel for reduction(max : result) schedule(static)
  for (int64_t begin = 0; begin < n; begin += kSpan)
    result = std::max(result, amax_bits_span(x + begin, std::min(kSpan, n - begin)));
  return std::bit_cast<float>(result);
}

void amax_rows(const float* x, int64_t rows, int64_t cols, float* out) {
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < rows; ++r) out[r] = std::bit_cast<float>(amax_bits_span(x + r * cols, cols));
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
  const uint64_t key = stream_key(options.seed, options.stream);
  if (bits == 8) {
    if (options.format == QuantFormat::kInt8)
      (stochastic ? quantize_bytes<int8_t, true> : quantize_bytes<int8_t, false>)(x, rows, cols, amax,
                                                                                  per_row, tensor_scale, qmin,
                                                                                  qmax, key, values, scales);
    else
      (stochastic ? quantize_bytes<uint8_t, true>
                  : quantize_bytes<uint8_t, false>)(x, rows, cols, amax, per_row, tensor_scale, qmin, qmax,
                                                    key, values, scales);
    return;
  }
  // Packed 4-/2-bit codes, a row at a time (rows start on byte boundaries): codes first (the
  // vectorised span loop), then packing.
  auto span = stochastic ? quantize_span<int8_t, true> : quantize_span<int8_t, false>;
  const int per_byte = 8 / bits;
#pragma omp parallel
  {
    std::vector<int8_t> codes(static_cast<size_t>(cols));
#pragma omp for schedule(static)
    for (int64_t r = 0; r < rows; ++r) {
      const float scale = per_row ? scale_from_amax(amax[r], qmax) : tensor_scale;
      if (per_row) scales[r] = scale;
      span(x + r * cols, cols, 1.0f / scale, qmin, qmax, key, r * cols, codes.data());
      uint8_t* out = static_cast<uint8_t*>(values) + r * row_bytes;
      for (int64_t b = 0; b < row_bytes; ++b) {
        uint8_t byte = 0;
        for (int slot = 0; slot < per_byte && b * per_byte + slot < cols; ++slot)
          byte = pack_field(byte, codes[b * per_byte + slot], slot, bits);
        out[b] = byte;
      }
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
