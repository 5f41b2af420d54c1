// Per-element math of the FP32 small ops, shared by the CPU and CUDA backends (TANGO_HD): activations,
// their derivatives, and the derivatives' 8-bit codes.
#pragma once

#include <cmath>
#include <cstdint>

#include "kernels/hd.h"

namespace tango::kernels {

enum class Activation : uint8_t { kIdentity, kRelu, kElu, kLeakyRelu };

// alpha: ELU's alpha, or LeakyReLU's negative slope; unused otherwise.
TANGO_HD inline float activation_value(Activation kind, float x, float alpha) {
  switch (kind) {
    case Activation::kRelu: return x > 0.0f ? x : 0.0f;
    case Activation::kElu: return x > 0.0f ? x : alpha * (expf(x) - 1.0f);
    case Activation::kLeakyRelu: return x > 0.0f ? x : alpha * x;
    case Activation::kIdentity: break;
  }
  return x;
}

// d activation / dx at the forward input x.
TANGO_HD inline float activation_derivative(Activation kind, float x, float alpha) {
  switch (kind) {
    case Activation::kRelu: return x > 0.0f ? 1.0f : 0.0f;
    case Activation::kElu: return x > 0.0f ? 1.0f : alpha * expf(x);
    case Activation::kLeakyRelu: return x > 0.0f ? 1.0f : alpha;
    case Activation::kIdentity: break;
  }
  return 1.0f;
}

// An activation's derivative in [0, 1] as an 8-bit fixed-point code, what a backward keeps instead of the
// activation's FP32 input: code = rint(255 act'(x)), 0 where `kept` is false (a dropout that followed
// the activation zeroed the value). Decoded as code / 255 (a correctly rounded division): exact for
// ReLU (0 or 1) and for a LeakyReLU slope of k / 255 (0.2 = 51 / 255); ELU's exp(x) is off by at most
// 1 / 510.
TANGO_HD inline uint8_t derivative_code(Activation kind, float x, float alpha, bool kept) {
  return kept ? static_cast<uint8_t>(rintf(255.0f * activation_derivative(kind, x, alpha))) : uint8_t{0};
}
TANGO_HD inline float derivative_from_code(uint8_t code) {
  return static_cast<float>(code) / 255.0f;
}
// The backward of the coded activation (and of the dropout folded into the code, keep_scale = 1 / (1 -
// p), else 1): dx = (dy keep_scale) act'. The product order of a dropout backward followed by an
// activation backward, so a ReLU's dx has the bits of the two steps on FP32 state.
TANGO_HD inline float coded_derivative_backward(float dy, uint8_t code, float keep_scale) {
  return (dy * keep_scale) * derivative_from_code(code);
}

}  // namespace tango::kernels
