// FP32 small ops around the quantized primitives (Tango keeps all of these in FP32): bias add and its
// gradient (column sums), y += x, ReLU / ELU / LeakyReLU forward and backward, and the backward from
// 8-bit derivative codes (elementwise_math.h) for a caller that does not keep the activation's input. The
// trainer's dropouts are kernels/keyed_dropout.h.
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

// codes (u8, x's size) = derivative_code(act, x, kept): kept is `keep_mask` (u8, x's size: the mask of a
// dropout applied to act(x)) or all true when it is undefined. The activation's derivative must lie in
// [0, 1]: ReLU, or ELU / LeakyReLU with alpha in [0, 1].
void activation_derivative_codes(const Tensor& x, const Tensor& keep_mask, const ActivationOptions& options,
                                 Tensor& codes);
// dx = (dy keep_scale) (codes / 255); dx may be dy itself.
void coded_activation_backward(const Tensor& codes, const Tensor& dy, float keep_scale, Tensor& dx);

}  // namespace tango::kernels
