// Options of the FP32 small ops (activation kind and slope, dropout probability and seed). No
// Tensor or fmt, so .cu files can include it.
#pragma once

#include <cstdint>

#include "kernels/elementwise_math.h"

namespace tango::kernels {

struct ActivationOptions {
  Activation kind = Activation::kRelu;
  float alpha = 0.0f;  // ELU alpha (usually 1) or LeakyReLU negative slope (e.g. 0.2)
};

struct DropoutOptions {
  float p = 0.0f;  // drop probability in [0, 1)
  uint64_t seed = 0;
  uint64_t stream = 0;  // vary per layer and step
};

}  // namespace tango::kernels
