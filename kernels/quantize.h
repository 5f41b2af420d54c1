// Quantization primitives: amax reductions, quantize / dequantize (INT8, UINT8, packed INT4 / INT2)
// with one scale per tensor or per row, nearest or stochastic rounding, and bf16 casts.
//
// Math (see kernels/quant_math.h for the per-element rules both backends share):
//   amax            = max |x|               over the tensor (f32[1]) or over each row (f32[rows])
//   scale           = amax / qmax, or 1 when amax == 0   (qmax: 127, 255, 7 or 1 by format)
//   q[r, j]         = clamp(round(x[r, j] / scale[r or 0]))
//   dequantized     = q * scale
// On a GPU every step stays on the device: amax and scales are device tensors, nothing syncs the host.
// quantize() = amax + quantize_from_amax(); the split lets a caller bring its own amax (the reduce
// epilogue of qgemm, or a global max allreduced across ranks).
#pragma once

#include <cstdint>

#include "core/tensor.h"
#include "kernels/qtensor.h"
#include "kernels/quant_options.h"

namespace tango::kernels {

// Shape of QTensor::values for an f32 [rows, cols] input.
Shape quantized_values_shape(int64_t rows, int64_t cols, QuantFormat format);
// A QTensor with correctly shaped, uninitialised values and scales on `device`.
QTensor make_qtensor(int64_t rows, int64_t cols, const QuantizeOptions& options, Device device);

// max |x| of a f32 tensor into out f32[1] (0 for an empty tensor).
void amax(const Tensor& x, Tensor& out);
// max |x[r, :]| of a f32 [rows, cols] tensor into out f32[rows] (0 for an empty row).
void amax_rows(const Tensor& x, Tensor& out);

// Quantizes f32 x [rows, cols] (a 1-D tensor counts as one row). out must come from make_qtensor
// (or match its shapes and dtypes) on x's device.
void quantize(const Tensor& x, QTensor& out, const QuantizeOptions& options = {});
// As quantize(), with the amax given: f32[1] for per-tensor, f32[rows] for per-row scales.
void quantize_from_amax(const Tensor& x, const Tensor& amax, QTensor& out,
                        const QuantizeOptions& options = {});
// out f32 [rows, cols] = q * scale. Only format and granularity of `options` are read.
void dequantize(const QTensor& q, Tensor& out, const QuantizeOptions& options = {});

// Round-to-nearest-even casts between f32 and bf16 tensors of the same element count.
void cast_to_bf16(const Tensor& x, Tensor& out);
void cast_from_bf16(const Tensor& x, Tensor& out);

}  // namespace tango::kernels
