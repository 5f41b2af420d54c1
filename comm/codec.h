// Message codecs for the halo exchange: how a block of feature rows travels on the wire.
//
// Formats: fp32 (exact), bf16, and int8/int4/int2 codes with one scale per row (the default) or one
// scale per tensor agreed by all ranks (allreduce-max), with nearest or stochastic rounding (seeded,
// reproducible: the draw for an element is hash(seed, stream, index), kernels/quant_math.h).
//
// Wire layout of one peer's message of `rows` rows and `cols` columns (header-free; both sides
// compute every size from the plan and the codec):
//   fp32 / bf16:         rows * cols values, row-major.
//   intB, per-row scale: [rows bf16 scales | rows * ceil(cols*B/8) bytes of packed codes]
//   intB, per-tensor:    [rows * ceil(cols*B/8) bytes of packed codes]   (the scale is agreed)
// A per-row scale is sent as bf16 and the sender quantizes with exactly that bf16 value, rounded up
// from amax/qmax so no element overflows (AdaQP quantized with fp32 scales but sent bf16 ones: a
// bias). The scale's sign bit is free and picks the row's code range: clear = signed codes in
// [-qmax, qmax] (x = q * s); set = unsigned codes in [0, 2^B - 1] for rows with no negative value
// (ReLU outputs, most features), which doubles their resolution (int2: 4 levels instead of 3).
// Codes are always clamped to their range (AdaQP's packer was not).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "kernels/hd.h"
#include "kernels/quant_options.h"

namespace tango::comm {

enum class WireFormat : uint8_t { kF32, kBF16, kInt8, kInt4, kInt2 };
// The quantizers' options (kernels/quant_options.h). Messages default to stochastic rounding with
// per-row scales; local tensors (kernels::QuantizeOptions) to nearest with a per-tensor scale.
using kernels::Rounding;
using kernels::ScaleGranularity;

struct Codec {
  WireFormat format = WireFormat::kF32;
  ScaleGranularity granularity = ScaleGranularity::kPerRow;
  Rounding rounding = Rounding::kStochastic;

  static Codec fp32() { return {}; }
  static Codec bf16() { return {WireFormat::kBF16}; }
  static Codec integer(int bits, ScaleGranularity granularity = ScaleGranularity::kPerRow,
                       Rounding rounding = Rounding::kStochastic);

  // "fp32", "bf16", "int8", "int4", "int2", optionally followed by ":tensor" / ":row" and
  // ":nearest" / ":stochastic" in any order, e.g. "int8:tensor:nearest". Bad text: input error.
  static Codec parse(std::string_view text);
  std::string name() const;

  bool quantized() const { return format >= WireFormat::kInt8; }
  int bits() const;  // 32, 16, 8, 4, 2
  bool per_row_scales() const { return quantized() && granularity == ScaleGranularity::kPerRow; }
  // Bytes of one row's codes/values, excluding its scale.
  int64_t row_payload_bytes(int64_t cols) const;
  // Bytes of a whole message of `rows` rows (scales included).
  int64_t message_bytes(int64_t rows, int64_t cols) const;
  bool operator==(const Codec&) const = default;
};

// Where the rows of a message live in a [*, cols] table: row i is index[i] when `index` is set,
// else first + i (the contiguous halo block of one peer).
struct RowMap {
  const int64_t* index = nullptr;
  int64_t first = 0;
  TANGO_HD int64_t operator[](int64_t i) const { return index != nullptr ? index[i] : first + i; }
};

// Identifies one message's random stream: (exchange seed, per-call stream id).
struct EncodeParams {
  uint64_t seed = 0;
  uint64_t stream = 0;
  float tensor_scale = 1.0f;  // per-tensor mode: the agreed scale
};

// Accumulated by the encoder, per message (then summed): the exact squared error it made and the
// signal energy, plus what predicts the error at any other bit width (see bit_policy.h).
struct EncodeStats {
  double squared_error = 0;   // sum over elements of (x - decoded)^2
  double squared_signal = 0;  // sum over elements of x^2
  double signed_amax2 = 0;    // sum over signed-code rows of cols * amax^2
  double unsigned_amax2 = 0;  // sum over unsigned-code rows of cols * amax^2
  void add(const EncodeStats& other) {
    squared_error += other.squared_error;
    squared_signal += other.squared_signal;
    signed_amax2 += other.signed_amax2;
    unsigned_amax2 += other.unsigned_amax2;
  }
};

}  // namespace tango::comm
