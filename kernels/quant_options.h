// Options of the quantization primitives (formats, rounding, scale granularity). A header without
// Tensor or fmt so that .cu files can include it.
#pragma once

#include <cstdint>

#include "core/dtype.h"

namespace tango::kernels {

// Code format of QTensor::values.
enum class QuantFormat : uint8_t {
  kInt8,   // i8 [rows, cols], codes in [-127, 127]
  kUint8,  // u8 [rows, cols], codes in [0, 255]; for non-negative data (e.g. after ReLU)
  kInt4,   // u8 [rows, ceil(cols / 2)], two signed codes in [-7, 7] per byte
  kInt2,   // u8 [rows, ceil(cols / 4)], four signed codes in [-1, 1] per byte
};

enum class Rounding : uint8_t { kNearest, kStochastic };
enum class ScaleGranularity : uint8_t { kPerTensor, kPerRow };

struct QuantizeOptions {
  QuantFormat format = QuantFormat::kInt8;
  ScaleGranularity granularity = ScaleGranularity::kPerTensor;
  Rounding rounding = Rounding::kNearest;
  // Stochastic rounding draws hash(seed, stream, r * cols + j): vary `stream` per call site/step.
  uint64_t seed = 0;
  uint64_t stream = 0;
};

int format_qmax(QuantFormat format);
int format_bits(QuantFormat format);
DType format_dtype(QuantFormat format);  // i8 for kInt8, u8 otherwise

}  // namespace tango::kernels
