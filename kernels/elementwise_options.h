// Options of the FP32 small ops (activation kind and slope). No Tensor or fmt, so .cu files can include
// it.
#pragma once

#include "kernels/elementwise_math.h"

namespace tango::kernels {

struct ActivationOptions {
  Activation kind = Activation::kRelu;
  float alpha = 0.0f;  // ELU alpha (usually 1) or LeakyReLU negative slope (e.g. 0.2)
};

}  // namespace tango::kernels
