#include "comm/cpu/message_codec.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "comm/wire_math.h"
#include "core/counter_hash.h"
#include "kernels/cpu/isa_clones.h"

namespace tango::comm::cpu {

namespace {
// Below this many elements a message is coded by one thread: waking a team costs more.
constexpr int64_t kParallelElements = 1 << 15;
// Elements per block of the per-row loops: 16 independent lanes (one AVX-512 register, two AVX2 ones)
// with no dependence between them, so the compiler vectorises every block loop for each ISA clone
// without reassociating anything (the results do not depend on the clone).
constexpr int kLanes = 16;

#define TANGO_INLINE [[gnu::always_inline]] inline

struct RowExtent {
  float amax = 0;
  float min = 0;
  float squared_sum = 0;
};

// Largest |x|, smallest x (NaN ignored, unless x[0] is NaN) and sum of squares of one row.
TANGO_INLINE RowExtent row_extent(const float* x, int64_t cols) {
  const float first = cols > 0 ? x[0] : 0.0f;
  float amax[kLanes], lo[kLanes], squares[kLanes];
  for (int l = 0; l < kLanes; ++l) {
    amax[l] = 0.0f;
    lo[l] = first;
    squares[l] = 0.0f;
  }
  const int64_t full = cols / kLanes * kLanes;
  for (int64_t j = 0; j < full; j += kLanes) {
    for (int l = 0; l < kLanes; ++l) {
      const float v = x[j + l], a = std::fabs(v);
      amax[l] = amax[l] < a ? a : amax[l];
      lo[l] = v < lo[l] ? v : lo[l];
      squares[l] += v * v;
    }
  }
  RowExtent extent{0.0f, first, 0.0f};
  for (int64_t j = full; j < cols; ++j) {
    const float v = x[j], a = std::fabs(v);
    extent.amax = extent.amax < a ? a : extent.amax;
    extent.min = v < extent.min ? v : extent.min;
    extent.squared_sum += v * v;
  }
  for (int l = 0; l < kLanes; ++l) {
    extent.amax = extent.amax < amax[l] ? amax[l] : extent.amax;
    extent.min = lo[l] < extent.min ? lo[l] : extent.min;
    extent.squared_sum += squares[l];
  }
  return extent;
}

// Codes of one row, packed kernels/quant_math.h's way (element j in byte j / (8 / kBits), lowest
// bits first); returns the row's squared error. Per element this is encode_element (the function the
// CUDA kernel runs) with the draw's hash evaluated for a block of lanes at once.
template <int kBits, bool kStochastic>
TANGO_INLINE float encode_codes_row(const float* x, int64_t cols, CodeRange range, uint64_t key,
                                    uint64_t first_index, uint8_t* out) {
  constexpr int kPerByte = 8 / kBits;
  constexpr unsigned kMask = (1u << kBits) - 1u;
  const float scale = range.scale, inv_scale = 1.0f / range.scale;
  const int qmin = range.qmin, qmax = range.qmax;
  float errors[kLanes] = {};
  int codes[kLanes];
  const int64_t full = cols / kLanes * kLanes;
  for (int64_t j = 0; j < full; j += kLanes) {
    const uint64_t index = first_index + static_cast<uint64_t>(j);
    const uint32_t high = static_cast<uint32_t>(index >> 32);
    if (!kStochastic || high == static_cast<uint32_t>((index + kLanes - 1) >> 32)) {
      const Hash32Key lane_key = hash32_key(key, high);
      const uint32_t low = static_cast<uint32_t>(index);
      for (int l = 0; l < kLanes; ++l) {
        const float u = kStochastic ? kernels::uniform_from_bits(hash32(lane_key, low + l)) : 0.0f;
        const int code = kernels::quantize_code_with_draw(x[j + l], inv_scale, qmin, qmax, kStochastic, u);
        const float err = x[j + l] - kernels::dequantize_code(code, scale);
        errors[l] += err * err;
        codes[l] = code;
      }
    } else {  // the block straddles a multiple of 2^32 elements
      for (int l = 0; l < kLanes; ++l) {
        codes[l] = kernels::quantize_code(x[j + l], inv_scale, qmin, qmax, true, key, index + l);
        const float err = x[j + l] - kernels::dequantize_code(codes[l], scale);
        errors[l] += err * err;
      }
    }
    uint8_t* bytes = out + j / kPerByte;
    for (int b = 0; b < kLanes / kPerByte; ++b) {
      unsigned byte = 0;
      for (int s = 0; s < kPerByte; ++s)
        byte |= (static_cast<unsigned>(codes[b * kPerByte + s]) & kMask) << (s * kBits);
      bytes[b] = static_cast<uint8_t>(byte);
    }
  }
  if (full < cols) {
    uint8_t* bytes = out + full / kPerByte;
    std::memset(bytes, 0, static_cast<size_t>(kernels::packed_row_bytes(cols - full, kBits)));
    for (int64_t j = full; j < cols; ++j) {
      const int code = kernels::quantize_code(x[j], inv_scale, qmin, qmax, kStochastic, key, first_index + j);
      const float err = x[j] - kernels::dequantize_code(code, scale);
      errors[0] += err * err;
      const int64_t k = j - full;
      bytes[k / kPerByte] =
          kernels::pack_field(bytes[k / kPerByte], code, static_cast<int>(k % kPerByte), kBits);
    }
  }
  float squared_error = 0;
  for (int l = 0; l < kLanes; ++l) squared_error += errors[l];
  return squared_error;
}

// bf16 values of one row; returns the squared error.
TANGO_INLINE float encode_bf16_row(const float* x, int64_t cols, uint8_t* out) {
  float errors[kLanes] = {};
  uint16_t words[kLanes];
  const int64_t full = cols / kLanes * kLanes;
  for (int64_t j = 0; j < full; j += kLanes) {
    for (int l = 0; l < kLanes; ++l) {
      words[l] = kernels::float_to_bf16_bits(x[j + l]);
      const float err = x[j + l] - kernels::bf16_bits_to_float(words[l]);
      errors[l] += err * err;
    }
    std::memcpy(out + 2 * j, words, sizeof words);
  }
  for (int64_t j = full; j < cols; ++j) {
    const uint16_t word = kernels::float_to_bf16_bits(x[j]);
    const float err = x[j] - kernels::bf16_bits_to_float(word);
    errors[0] += err * err;
    std::memcpy(out + 2 * j, &word, sizeof word);
  }
  float squared_error = 0;
  for (int l = 0; l < kLanes; ++l) squared_error += errors[l];
  return squared_error;
}

struct EncodeJob {
  const Codec& codec;
  const float* table;
  int64_t cols;
  RowMap map;
  int64_t rows;
  const EncodeParams& params;
  uint64_t key;  // stream_key(seed, stream)
  uint8_t* out;
};

// Rows [begin, end) of an integer-coded message: extent, scale word, codes, statistics.
template <int kBits, bool kStochastic>
TANGO_INLINE void encode_integer_rows(const EncodeJob& job, int64_t begin, int64_t end, EncodeStats* stats) {
  const int64_t cols = job.cols, payload = kernels::packed_row_bytes(cols, kBits);
  const bool per_row = job.codec.per_row_scales();
  uint8_t* codes = job.out + (per_row ? 2 * job.rows : 0);
  double squared_error = 0, squared_signal = 0, signed_amax2 = 0, unsigned_amax2 = 0;
  for (int64_t i = begin; i < end; ++i) {
    const float* x = job.table + job.map[i] * cols;
    const RowExtent extent = row_extent(x, cols);
    squared_signal += extent.squared_sum;
    CodeRange range;
    if (per_row) {
      const uint16_t word = row_scale_word(extent.amax, extent.min, kBits);
      std::memcpy(job.out + 2 * i, &word, sizeof word);  // the scale block may be unaligned
      range = row_code_range(word, kBits);
      (range.qmin == 0 ? unsigned_amax2 : signed_amax2) +=
          static_cast<double>(cols) * extent.amax * extent.amax;
    } else {
      range = tensor_code_range(job.params.tensor_scale, kBits);
      const double amax = static_cast<double>(job.params.tensor_scale) * range.qmax;
      signed_amax2 += static_cast<double>(cols) * amax * amax;
    }
    squared_error += encode_codes_row<kBits, kStochastic>(
        x, cols, range, job.key, static_cast<uint64_t>(i) * static_cast<uint64_t>(cols), codes + i * payload);
  }
  stats->add({squared_error, squared_signal, signed_amax2, unsigned_amax2});
}

// Rows [begin, end) of an fp32 or bf16 message.
TANGO_INLINE void encode_float_rows(const EncodeJob& job, int64_t begin, int64_t end, EncodeStats* stats) {
  const int64_t cols = job.cols, payload = job.codec.row_payload_bytes(cols);
  const bool bf16 = job.codec.format == WireFormat::kBF16;
  double squared_error = 0, squared_signal = 0, amax2 = 0;
  for (int64_t i = begin; i < end; ++i) {
    const float* x = job.table + job.map[i] * cols;
    const RowExtent extent = row_extent(x, cols);
    squared_signal += extent.squared_sum;
    amax2 += static_cast<double>(cols) * extent.amax * extent.amax;
    uint8_t* row_out = job.out + i * payload;
    if (bf16)
      squared_error += encode_bf16_row(x, cols, row_out);
    else
      std::memcpy(row_out, x, static_cast<size_t>(cols) * sizeof(float));
  }
  stats->add({squared_error, squared_signal, amax2, 0.0});
}

// One ISA-cloned entry point; the format and rounding are chosen once per range of rows.
TANGO_ISA_CLONES void encode_range(const EncodeJob& job, int64_t begin, int64_t end, EncodeStats* stats) {
  const bool stochastic = job.codec.rounding == Rounding::kStochastic;
  switch (job.codec.format) {
    case WireFormat::kInt8:
      return stochastic ? encode_integer_rows<8, true>(job, begin, end, stats)
                        : encode_integer_rows<8, false>(job, begin, end, stats);
    case WireFormat::kInt4:
      return stochastic ? encode_integer_rows<4, true>(job, begin, end, stats)
                        : encode_integer_rows<4, false>(job, begin, end, stats);
    case WireFormat::kInt2:
      return stochastic ? encode_integer_rows<2, true>(job, begin, end, stats)
                        : encode_integer_rows<2, false>(job, begin, end, stats);
    case WireFormat::kF32:
    case WireFormat::kBF16: return encode_float_rows(job, begin, end, stats);
  }
}

// Unpacks, dequantizes and stores (or adds) one row. Field f of a signed row is (f ^ s) - s with s
// its sign bit (two's complement); unsigned rows use s = 0 (decode_field, without a branch).
template <int kBits, bool kAccumulate>
TANGO_INLINE void decode_codes_row(const uint8_t* in, int64_t cols, CodeRange range, float* y) {
  constexpr int kPerByte = 8 / kBits;
  constexpr int kMask = (1 << kBits) - 1;
  const int sign = range.qmin == 0 ? 0 : 1 << (kBits - 1);
  const float scale = range.scale;
  const int64_t full_bytes = cols / kPerByte;
  for (int64_t b = 0; b < full_bytes; ++b) {
    const int byte = in[b];
    for (int s = 0; s < kPerByte; ++s) {
      const int code = (((byte >> (s * kBits)) & kMask) ^ sign) - sign;
      float& out = y[b * kPerByte + s];
      out = kAccumulate ? kernels::dequantize_add(out, code, scale) : kernels::dequantize_code(code, scale);
    }
  }
  for (int64_t j = full_bytes * kPerByte; j < cols; ++j) {
    const int code = decode_field(in[j / kPerByte], static_cast<int>(j % kPerByte), kBits, range);
    y[j] = kAccumulate ? kernels::dequantize_add(y[j], code, scale) : kernels::dequantize_code(code, scale);
  }
}

template <bool kAccumulate>
TANGO_INLINE void decode_float_row(const uint8_t* in, int64_t cols, bool bf16, float* y) {
  if (!bf16) {
    if (!kAccumulate) {
      std::memcpy(y, in, static_cast<size_t>(cols) * sizeof(float));
      return;
    }
    for (int64_t j = 0; j < cols; ++j) {
      float v;
      std::memcpy(&v, in + 4 * j, sizeof v);
      y[j] += v;
    }
    return;
  }
  for (int64_t j = 0; j < cols; ++j) {
    uint16_t word;
    std::memcpy(&word, in + 2 * j, sizeof word);
    const float v = kernels::bf16_bits_to_float(word);
    y[j] = kAccumulate ? y[j] + v : v;
  }
}

struct DecodeJob {
  const Codec& codec;
  const uint8_t* in;
  int64_t rows;
  int64_t cols;
  float tensor_scale;
  float* table;
  RowMap map;
};

template <bool kAccumulate>
TANGO_INLINE void decode_rows_t(const DecodeJob& job, int64_t begin, int64_t end) {
  const int bits = job.codec.bits();
  const int64_t payload = job.codec.row_payload_bytes(job.cols);
  const bool per_row = job.codec.per_row_scales();
  const uint8_t* codes = job.in + (per_row ? 2 * job.rows : 0);
  for (int64_t i = begin; i < end; ++i) {
    float* y = job.table + job.map[i] * job.cols;
    const uint8_t* row_in = codes + i * payload;
    if (!job.codec.quantized()) {
      decode_float_row<kAccumulate>(row_in, job.cols, job.codec.format == WireFormat::kBF16, y);
      continue;
    }
    CodeRange range;
    if (per_row) {
      uint16_t word;
      std::memcpy(&word, job.in + 2 * i, sizeof word);
      range = row_code_range(word, bits);
    } else {
      range = tensor_code_range(job.tensor_scale, bits);
    }
    if (bits == 8)
      decode_codes_row<8, kAccumulate>(row_in, job.cols, range, y);
    else if (bits == 4)
      decode_codes_row<4, kAccumulate>(row_in, job.cols, range, y);
    else
      decode_codes_row<2, kAccumulate>(row_in, job.cols, range, y);
  }
}

TANGO_ISA_CLONES void decode_range(const DecodeJob& job, int64_t begin, int64_t end, bool accumulate) {
  if (accumulate)
    decode_rows_t<true>(job, begin, end);
  else
    decode_rows_t<false>(job, begin, end);
}

// Runs fn(begin, end) over [0, rows): inline for small messages, else one static range per thread.
template <class Fn>
void for_row_ranges(int64_t rows, int64_t cols, Fn&& fn) {
  if (rows * cols < kParallelElements) {
    fn(int64_t{0}, rows);
    return;
  }
#pragma omp parallel
  {
    const int64_t threads = omp_get_num_threads(), t = omp_get_thread_num();
    fn(rows * t / threads, rows * (t + 1) / threads);
  }
}
}  // namespace

void encode_rows(const Codec& codec, const float* table, int64_t cols, RowMap map, int64_t rows,
                 const EncodeParams& params, uint8_t* out, EncodeStats* stats) {
  const EncodeJob job{codec, table, cols, map, rows, params, kernels::stream_key(params.seed, params.stream),
                      out};
  for_row_ranges(rows, cols, [&](int64_t begin, int64_t end) {
    EncodeStats local;
    encode_range(job, begin, end, &local);
#pragma omp critical(tango_encode_stats)
    stats->add(local);
  });
}

void decode_rows(const Codec& codec, const uint8_t* in, int64_t rows, int64_t cols, float tensor_scale,
                 float* table, RowMap map, bool accumulate) {
  const DecodeJob job{codec, in, rows, cols, tensor_scale, table, map};
  for_row_ranges(rows, cols, [&](int64_t begin, int64_t end) { decode_range(job, begin, end, accumulate); });
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
