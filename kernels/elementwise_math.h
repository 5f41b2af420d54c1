// Per-element math of the FP32 small ops, shared by the CPU and CUDA backends (TANGO_HD): activations
// and their derivatives.
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

}  // namespace tango::kernels
