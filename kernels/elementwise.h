// FP32 small ops around the quantized primitives (Tango keeps all of these in FP32): bias add and its
// gradient (column sums), ReLU / ELU / LeakyReLU forward and backward, and seeded dropout.
// Dropout needs no stored mask: element i is kept iff hash(seed, stream, i) >= p, so backward (and
// the other backend) recomputes the same mask from the same (seed, stream).
#pragma once

#include <cstdint>

#include "core/tensor.h"
#include "kernels/elementwise_options.h"

namespace tango::kernels {

// y[r, :] += bias (y f32 [rows, cols], bias f32 [cols]).
void bias_add(Tensor& y, const Tensor& bias);
// out[j] = sum_r x[r, j]: the bias gradient db from dY.
void column_sum(const Tensor& x, Tensor& out);

// y += x (same element count).
void add_inplace(Tensor& y, const Tensor& x);

// y = act(x); y may be x itself (in place).
void activation_forward(const Tensor& x, Tensor& y, const ActivationOptions& options);
// dx = dy * act'(x) with x the forward input; dx may be dy itself.
void activation_backward(const Tensor& x, const Tensor& dy, Tensor& dx, const ActivationOptions& options);

// y = x * keep / (1 - p); y may be x. Backward: dx = dy * keep / (1 - p) with the same options.
void dropout_forward(const Tensor& x, Tensor& y, const DropoutOptions& options);
void dropout_backward(const Tensor& dy, Tensor& dx, const DropoutOptions& options);

}  // namespace tango::kernels
