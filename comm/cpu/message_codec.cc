#include "comm/cpu/message_codec.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "comm/wire_math.h"

namespace tango::comm::cpu {

namespace {
// Below this many elements a message is coded by one thread: waking a team costs more.
constexpr int64_t kParallelElements = 1 << 15;

struct RowExtent {
  float amax = 0;
  float min = 0;
};

RowExtent row_extent(const float* x, int64_t cols) {
  float amax = 0, lo = cols > 0 ? x[0] : 0.0f;
  for (int64_t j = 0; j < cols; ++j) {
    amax = std::max(amax, std::fabs(x[j]));
    lo = std::min(lo, x[j]);
  }
  return {amax, lo};
}

// Codes of one row into `codes`; returns the row's squared error. The rounding mode is a template
// argument so the per-element loop carries no branch on it.
template <bool kStochastic>
double quantize_row(const float* x, int64_t cols, CodeRange range, const EncodeParams& params,
                    uint64_t first_index, int* codes) {
  const float inv_scale = 1.0f / range.scale;
  float squared_error = 0;
  for (int64_t j = 0; j < cols; ++j) {
    codes[j] = encode_element(x[j], inv_scale, range, kStochastic, params.seed, params.stream,
                              first_index + static_cast<uint64_t>(j));
    float err = x[j] - kernels::dequantize_code(codes[j], range.scale);
    squared_error += err * err;
  }
  return squared_error;
}

// Packs one row of codes, 8 / kBits to a byte (kernels/quant_math.h's field layout).
template <int kBits>
void pack_row(const int* codes, int64_t cols, uint8_t* out) {
  constexpr int kPerByte = 8 / kBits;
  int64_t full = cols / kPerByte;
  for (int64_t b = 0; b < full; ++b) {
    uint8_t byte = 0;
    for (int slot = 0; slot < kPerByte; ++slot)
      byte = kernels::pack_field(byte, codes[b * kPerByte + slot], slot, kBits);
    out[b] = byte;
  }
  if (full * kPerByte < cols) {
    uint8_t byte = 0;
    for (int64_t j = full * kPerByte; j < cols; ++j)
      byte = kernels::pack_field(byte, codes[j], static_cast<int>(j - full * kPerByte), kBits);
    out[full] = byte;
  }
}

double encode_row_codes(const float* x, int64_t cols, int bits, CodeRange range, bool stochastic,
                        const EncodeParams& params, uint64_t first_index, uint8_t* out) {
  thread_local std::vector<int> codes;
  if (static_cast<int64_t>(codes.size()) < cols) codes.resize(static_cast<size_t>(cols));
  double squared_error = stochastic ? quantize_row<true>(x, cols, range, params, first_index, codes.data())
                                    : quantize_row<false>(x, cols, range, params, first_index, codes.data());
  if (bits == 8)
    pack_row<8>(codes.data(), cols, out);
  else if (bits == 4)
    pack_row<4>(codes.data(), cols, out);
  else
    pack_row<2>(codes.data(), cols, out);
  return squared_error;
}

// Unpacks, dequantizes and stores (or adds) one row.
template <int kBits>
void decode_row(const uint8_t* in, int64_t cols, CodeRange range, bool accumulate, float* y) {
  constexpr int kPerByte = 8 / kBits;
  for (int64_t j = 0; j < cols; ++j) {
    int code = decode_field(in[j / kPerByte], static_cast<int>(j % kPerByte), kBits, range);
    float v = kernels::dequantize_code(code, range.scale);
    y[j] = accumulate ? y[j] + v : v;
  }
}
}  // namespace

void encode_rows(const Codec& codec, const float* table, int64_t cols, RowMap map, int64_t rows,
                 const EncodeParams& params, uint8_t* out, EncodeStats* stats) {
  double squared_error = 0, squared_signal = 0, signed_amax2 = 0, unsigned_amax2 = 0;
  const int bits = codec.bits();
  const bool stochastic = codec.rounding == Rounding::kStochastic;
  const int64_t payload = codec.row_payload_bytes(cols);
  uint16_t* scale_words = reinterpret_cast<uint16_t*>(out);
  uint8_t* codes = out + (codec.per_row_scales() ? 2 * rows : 0);
#pragma omp parallel for schedule(static) if (rows * cols >= kParallelElements) \
    reduction(+ : squared_error, squared_signal, signed_amax2, unsigned_amax2)
  for (int64_t i = 0; i < rows; ++i) {
    const float* x = table + map[i] * cols;
    RowExtent extent = row_extent(x, cols);
    double signal = 0;
    for (int64_t j = 0; j < cols; ++j) signal += static_cast<double>(x[j]) * x[j];
    squared_signal += signal;
    uint8_t* row_out = codes + i * payload;
    if (codec.format == WireFormat::kF32) {
      std::memcpy(row_out, x, static_cast<size_t>(cols) * sizeof(float));
      signed_amax2 += static_cast<double>(cols) * extent.amax * extent.amax;
      continue;
    }
    if (codec.format == WireFormat::kBF16) {
      uint16_t* values = reinterpret_cast<uint16_t*>(row_out);
      for (int64_t j = 0; j < cols; ++j) {
        values[j] = kernels::float_to_bf16_bits(x[j]);
        double err = static_cast<double>(x[j]) - kernels::bf16_bits_to_float(values[j]);
        squared_error += err * err;
      }
      signed_amax2 += static_cast<double>(cols) * extent.amax * extent.amax;
      continue;
    }
    CodeRange range;
    if (codec.per_row_scales()) {
      uint16_t word = row_scale_word(extent.amax, extent.min, bits);
      std::memcpy(scale_words + i, &word, sizeof word);  // the scale block may be unaligned
      range = row_code_range(word, bits);
      (range.qmin == 0 ? unsigned_amax2 : signed_amax2) +=
          static_cast<double>(cols) * extent.amax * extent.amax;
    } else {
      range = tensor_code_range(params.tensor_scale, bits);
      double amax = static_cast<double>(params.tensor_scale) * range.qmax;
      signed_amax2 += static_cast<double>(cols) * amax * amax;
    }
    squared_error += encode_row_codes(x, cols, bits, range, stochastic, params,
                                      static_cast<uint64_t>(i) * static_cast<uint64_t>(cols), row_out);
  }
  stats->squared_error += squared_error;
  stats->squared_signal += squared_signal;
  stats->signed_amax2 += signed_amax2;
  stats->unsigned_amax2 += unsigned_amax2;
}

void decode_rows(const Codec& codec, const uint8_t* in, int64_t rows, int64_t cols, float tensor_scale,
                 float* table, RowMap map, bool accumulate) {
  const int bits = codec.bits();
  const int64_t payload = codec.row_payload_bytes(cols);
  const uint8_t* codes = in + (codec.per_row_scales() ? 2 * rows : 0);
#pragma omp parallel for schedule(static) if (rows * cols >= kParallelElements)
  for (int64_t i = 0; i < rows; ++i) {
    float* y = table + map[i] * cols;
    const uint8_t* row_in = codes + i * payload;
    if (codec.format == WireFormat::kF32) {
      if (!accumulate) {
        std::memcpy(y, row_in, static_cast<size_t>(cols) * sizeof(float));
      } else {
        for (int64_t j = 0; j < cols; ++j) {
          float v;
          std::memcpy(&v, row_in + j * 4, sizeof v);
          y[j] += v;
        }
      }
      continue;
    }
    if (codec.format == WireFormat::kBF16) {
      for (int64_t j = 0; j < cols; ++j) {
        uint16_t word;
        std::memcpy(&word, row_in + j * 2, sizeof word);
        float v = kernels::bf16_bits_to_float(word);
        y[j] = accumulate ? y[j] + v : v;
      }
      continue;
    }
    CodeRange range;
    if (codec.per_row_scales()) {
      uint16_t word;
      std::memcpy(&word, in + 2 * i, sizeof word);
      range = row_code_range(word, bits);
    } else {
      range = tensor_code_range(tensor_scale, bits);
    }
    if (bits == 8)
      decode_row<8>(row_in, cols, range, accumulate, y);
    else if (bits == 4)
      decode_row<4>(row_in, cols, range, accumulate, y);
    else
      decode_row<2>(row_in, cols, range, accumulate, y);
  }
}

void gather_row_bytes(const uint8_t* table, int64_t row_bytes, RowMap map, int64_t rows, uint8_t* out) {
#pragma omp parallel for schedule(static) if (rows * row_bytes >= 4 * kParallelElements)
  for (int64_t i = 0; i < rows; ++i)
    std::memcpy(out + i * row_bytes, table + map[i] * row_bytes, static_cast<size_t>(row_bytes));
}

void scatter_row_bytes(const uint8_t* in, int64_t row_bytes, int64_t rows, uint8_t* table, RowMap map) {
#pragma omp parallel for schedule(static) if (rows * row_bytes >= 4 * kParallelElements)
  for (int64_t i = 0; i < rows; ++i)
    std::memcpy(table + map[i] * row_bytes, in + i * row_bytes, static_cast<size_t>(row_bytes));
}

float rows_amax(const float* table, int64_t cols, RowMap map, int64_t rows) {
  float amax = 0;
#pragma omp parallel for schedule(static) if (rows * cols >= kParallelElements) reduction(max : amax)
  for (int64_t i = 0; i < rows; ++i) amax = std::max(amax, row_extent(table + map[i] * cols, cols).amax);
  return amax;
}

}  // namespace tango::comm::cpu
