// Per-element quantization math shared by the CPU and CUDA backends (TANGO_HD functions), so the CPU
// tests exercise exactly the arithmetic the GPU runs.
//
// Rules (Tango's, without its bugs):
// - Symmetric, zero-point 0. INT8 codes in [-127, 127] (-128 unused); INT4 in [-7, 7]; INT2 in [-1, 1].
//   Unsigned INT8 (for non-negative data such as ReLU outputs) in [0, 255]: twice the resolution.
// - scale = amax / qmax; amax == 0 (or NaN) gives scale 1, so a zero tensor quantizes to zeros, never NaN.
// - q = clamp(round(x / scale)), where round is nearest-ties-to-even (rint) or stochastic:
//   floor(v) + (u < frac(v)) with u uniform in [0, 1) drawn from a counter-based hash of
//   (seed, stream, index) (core/counter_hash.h: a 64-bit key per (seed, stream), a 32-bit-lane hash
//   per element). The same triple gives the same draw on CPU and GPU, so results are
//   reproducible and identical across backends. E[q] = v exactly (up to the 2^-24 grid of u).
// - The clamp is always applied (Tango's fused quantizer and AdaQP's packer did not clamp).
// - Packed 4-/2-bit codes: two's complement fields, element j of a row in byte j / (8 / bits), lowest
//   bits first; each row starts on a byte boundary (row bytes = ceil(cols * bits / 8)).
// - bf16: round-to-nearest-even from f32, NaN stays a (quiet) NaN; bf16 -> f32 is exact.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

#include "core/counter_hash.h"
#include "kernels/hd.h"

namespace tango::kernels {

constexpr int kQmaxInt8 = 127;
constexpr int kQmaxUint8 = 255;
constexpr int kQmaxInt4 = 7;
constexpr int kQmaxInt2 = 1;

// Largest code magnitude for a signed bit width (8, 4 or 2); 0 for anything else.
TANGO_HD constexpr int signed_qmax(int bits) {
  return bits == 8 ? kQmaxInt8 : bits == 4 ? kQmaxInt4 : bits == 2 ? kQmaxInt2 : 0;
}

// Scale for a tensor (or row) whose largest magnitude is amax.
TANGO_HD inline float scale_from_amax(float amax, int qmax) {
  return amax > 0.0f ? amax / static_cast<float>(qmax) : 1.0f;
}

// x * (1/scale) without FMA contraction, so the CPU and the GPU compute the same float.
TANGO_HD inline float scaled_value(float x, float inv_scale) {
#if defined(__CUDA_ARCH__)
  return __fmul_rn(x, inv_scale);
#else
  return x * inv_scale;
#endif
}

// ---- Counter-based random numbers (core/counter_hash.h) -------------------------------------------
// SplitMix64 step + finaliser: derives keys (and trainer dropout's paired draws).
TANGO_HD inline uint64_t mix64(uint64_t z) {
  return splitmix64_mix(z + kGoldenGamma64);
}

// The per-(seed, stream) key; computed once per call, outside the per-element loops.
TANGO_HD inline uint64_t stream_key(uint64_t seed, uint64_t stream) {
  return mix64(seed ^ mix64(stream));
}

// 32 random bits for element `index` of a stream; a pure function of (key, index). A 32-bit-lane hash
// (core/counter_hash.h), so CPU loops over consecutive indices vectorise.
TANGO_HD inline uint32_t keyed_hash_bits(uint64_t key, uint64_t index) {
  return hash32(key, index);
}

// Uniform in [0, 1) on a 2^-24 grid (exactly representable floats) from 32 random bits. Converted as a
// signed int (exact: < 2^24): AVX2 has no unsigned int -> float instruction, and GCC's AVX2 clones left
// whole loops scalar for want of one.
TANGO_HD inline float uniform_from_bits(uint32_t bits) {
  return static_cast<float>(static_cast<int32_t>(bits >> 8)) * (1.0f / 16777216.0f);
}
TANGO_HD inline float keyed_uniform(uint64_t key, uint64_t index) {
  return uniform_from_bits(keyed_hash_bits(key, index));
}

// ---- Rounding and clamping ------------------------------------------------------------------------
// Comparisons rather than fminf/fmaxf/rintf: the host compiler inlines them (libm calls otherwise).
TANGO_HD inline float clamp_to(float v, float lo, float hi) {
  return v < lo ? lo : (v > hi ? hi : v);
}

// Nearest, ties to even, for |v| <= 2^22: adding and removing 1.5 * 2^23 rounds in the FPU's default
// mode exactly as rint does. (The device uses rintf, which agrees on that range.)
TANGO_HD inline float round_nearest(float v) {
#if defined(__CUDA_ARCH__)
  return rintf(v);
#else
  return (v + 12582912.0f) - 12582912.0f;  // not folded: IEEE compilation keeps both roundings
#endif
}

// Unbiased stochastic rounding: floor(v) + 1 with probability frac(v), given u uniform in [0, 1);
// |v| <= 2^22.
// The comparisons go through int, then plain arithmetic: GCC (12) turns `lo > v ? 1.0f : 0.0f` back into a
// conditional FP subtraction, which it does not if-convert (it may trap) without AVX-512's masks, and the
// AVX2 clones of the stochastic quantize loops stayed scalar.
TANGO_HD inline float round_stochastic(float v, float u) {
  float lo = round_nearest(v);
  const int above = lo > v;
  lo -= static_cast<float>(above);  // floor(v), inlined (lo is never -0: round_nearest gives +0)
  const int up = u < v - lo;        // v - lo is exact for |v| < 2^22
  return lo + static_cast<float>(up);
}

// The code of x in [qmin, qmax] (qmin = -qmax, or 0 for unsigned): nearest rounding or, when
// `stochastic`, stochastic rounding with the uniform draw `u`. NaN gives 0.
TANGO_HD inline int quantize_code_with_draw(float x, float inv_scale, int qmin, int qmax, bool stochastic,
                                            float u) {
  float v = scaled_value(x, inv_scale);
  v = v == v ? v : 0.0f;  // a select, not a branch: keeps the CPU loops vectorisable
  const float lo = static_cast<float>(qmin), hi = static_cast<float>(qmax);
  v = clamp_to(v, lo - 1.0f, hi + 1.0f);  // keeps rounding in its exact range; the final clamp decides
  float r = stochastic ? round_stochastic(v, u) : round_nearest(v);
  return static_cast<int>(clamp_to(r, lo, hi));
}

// The code for element `index` of a tensor, the draw keyed by stream_key(seed, stream).
TANGO_HD inline int quantize_code(float x, float inv_scale, int qmin, int qmax, bool stochastic, uint64_t key,
                                  uint64_t index) {
  return quantize_code_with_draw(x, inv_scale, qmin, qmax, stochastic,
                                 stochastic ? keyed_uniform(key, index) : 0.0f);
}

TANGO_HD inline float dequantize_code(int code, float scale) {
  return static_cast<float>(code) * scale;
}

// running + code * scale, the product rounded before the sum (a decoder adding a received element into
// a gradient row). Spelled out on the device, where nvcc would contract it into one FMA that rounds
// once; the host compiles ISO C++ without contraction, so both backends add the same float.
TANGO_HD inline float dequantize_add(float running, int code, float scale) {
#if defined(__CUDA_ARCH__)
  return __fadd_rn(running, __fmul_rn(static_cast<float>(code), scale));
#else
  return running + dequantize_code(code, scale);
#endif
}

// ---- GEMM epilogue ---------------------------------------------------------------------------------
// Integer GEMMs accumulate at most this many products per INT32 sum: 255 * 127 * 65536 < 2^31, so even
// UINT8 x INT8 codes cannot overflow. Longer reductions (dW = X^T dY over all nodes) are split into
// chunks whose dequantized partial sums are added in FP32.
constexpr int64_t kMaxInt32ReductionLength = 65536;

// One chunk's contribution: acc * (sa * sb), plus the bias on the first chunk, added to the running
// output on later ones. No FMA contraction, so CPU and GPU produce the same float.
TANGO_HD inline float qgemm_epilogue(int32_t acc, float scale_product, float bias, bool first_chunk,
                                     float running) {
#if defined(__CUDA_ARCH__)
  float v = __fmul_rn(static_cast<float>(acc), scale_product);
  return first_chunk ? __fadd_rn(v, bias) : __fadd_rn(running, v);
#else
  float v = static_cast<float>(acc) * scale_product;
  return first_chunk ? v + bias : running + v;
#endif
}

// ---- 4-bit and 2-bit packing ----------------------------------------------------------------------
TANGO_HD constexpr int64_t packed_row_bytes(int64_t cols, int bits) {
  return (cols * bits + 7) / 8;
}

// Puts `code` (already clamped to the bit width's range) into field `slot` of `byte`.
TANGO_HD inline uint8_t pack_field(uint8_t byte, int code, int slot, int bits) {
  unsigned mask = (1u << bits) - 1u;
  unsigned shift = static_cast<unsigned>(slot * bits);
  return static_cast<uint8_t>((byte & ~(mask << shift)) | ((static_cast<unsigned>(code) & mask) << shift));
}

// The signed code in field `slot` of `byte` (sign-extended two's complement).
TANGO_HD inline int unpack_field(uint8_t byte, int slot, int bits) {
  int field = static_cast<int>((byte >> (slot * bits)) & ((1u << bits) - 1u));
  int sign_bit = 1 << (bits - 1);
  return (field ^ sign_bit) - sign_bit;
}

// ---- bf16 ------------------------------------------------------------------------------------------
TANGO_HD inline uint32_t float_to_bits(float f) {
#if defined(__CUDA_ARCH__)
  return __float_as_uint(f);
#else
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
#endif
}

TANGO_HD inline float bits_to_float(uint32_t u) {
#if defined(__CUDA_ARCH__)
  return __uint_as_float(u);
#else
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
#endif
}

TANGO_HD inline uint16_t float_to_bf16_bits(float f) {
  uint32_t u = float_to_bits(f);
  if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((u >> 16) | 0x0040u);  // quiet NaN
  uint32_t rounding_bias = 0x7fffu + ((u >> 16) & 1u);
  return static_cast<uint16_t>((u + rounding_bias) >> 16);
}

TANGO_HD inline float bf16_bits_to_float(uint16_t b) {
  return bits_to_float(static_cast<uint32_t>(b) << 16);
}

}  // namespace tango::kernels
