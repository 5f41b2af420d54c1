// A quantized tensor: INT8 values plus their f32 scale(s) (1 per tensor, or 1 per row) on the same device.
// Dequantized value = values[i] * scales[0] (per tensor) or values[r, j] * scales[r] (per row).
#pragma once

#include "core/tensor.h"

namespace tango::kernels {

struct QTensor {
  Tensor values;  // i8
  Tensor scales;  // f32 [1] or [rows]
};

}  // namespace tango::kernels
