// Per-row and per-element wire arithmetic of the message codecs, shared by the CPU passes
// (comm/cpu/message_codec.cc) and the CUDA kernels (comm/cuda/message_codec.cu), so the CPU tests
// check the very code the GPU runs. Built on kernels/quant_math.h (rounding, hash, packing, bf16).
//
// A per-row scale word is a bf16 whose sign bit selects the code range (comm/codec.h):
//   clear: signed codes [-qmax, qmax], qmax = 127 / 7 / 1;  set: unsigned codes [0, 2^B - 1].
// The scale is amax / qmax rounded UP to bf16, so amax * (1 / scale) never exceeds qmax by more than
// float rounding (and the clamp catches that), and the receiver multiplies by the same bf16 value.
#pragma once

#include <cstdint>

#include "kernels/hd.h"
#include "kernels/quant_math.h"

namespace tango::comm {

constexpr uint16_t kUnsignedRowFlag = 0x8000u;

struct CodeRange {
  float scale;  // what the receiver multiplies codes by
  int qmin;
  int qmax;
};

TANGO_HD inline int unsigned_qmax(int bits) {
  return (1 << bits) - 1;
}

// The scale word for a row with largest magnitude `amax` and smallest value `row_min`.
TANGO_HD inline uint16_t row_scale_word(float amax, float row_min, int bits) {
  bool use_unsigned = row_min >= 0.0f;
  int qmax = use_unsigned ? unsigned_qmax(bits) : kernels::signed_qmax(bits);
  float scale = kernels::scale_from_amax(amax, qmax);
  uint16_t word = kernels::float_to_bf16_bits(scale);
  // Round up: the next bf16 above a positive finite value is its bit pattern plus one.
  if (kernels::bf16_bits_to_float(word) < scale && word < 0x7f80u) ++word;
  return static_cast<uint16_t>(word | (use_unsigned ? kUnsignedRowFlag : 0u));
}

TANGO_HD inline CodeRange row_code_range(uint16_t word, int bits) {
  bool use_unsigned = (word & kUnsignedRowFlag) != 0;
  float scale = kernels::bf16_bits_to_float(static_cast<uint16_t>(word & 0x7fffu));
  int qmax = use_unsigned ? unsigned_qmax(bits) : kernels::signed_qmax(bits);
  return {scale, use_unsigned ? 0 : -qmax, qmax};
}

TANGO_HD inline CodeRange tensor_code_range(float scale, int bits) {
  int qmax = kernels::signed_qmax(bits);
  return {scale, -qmax, qmax};
}

// The clamped code of x in the row's range: nearest, or stochastic with the draw for element `index`
// of `stream` (kernels::quantize_code, the one per-element quantizer of the project).
TANGO_HD inline int encode_element(float x, float inv_scale, CodeRange range, bool stochastic, uint64_t seed,
                                   uint64_t stream, uint64_t index) {
  return kernels::quantize_code(x, inv_scale, range.qmin, range.qmax, stochastic,
                                kernels::stream_key(seed, stream), index);
}

// Code `slot` of a packed byte, read in the row's range (unsigned ranges drop the sign extension).
TANGO_HD inline int decode_field(uint8_t byte, int slot, int bits, CodeRange range) {
  int code = kernels::unpack_field(byte, slot, bits);
  return range.qmin == 0 ? (code & unsigned_qmax(bits)) : code;
}

}  // namespace tango::comm
