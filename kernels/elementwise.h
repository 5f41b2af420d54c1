// FP32 small ops around the quantized primitives (Tango keeps all of these in FP32): bias add and its
// gradient (column sums), y += x, ReLU / ELU / LeakyReLU forward and backward. The trainer's dropouts
// are kernels/keyed_dropout.h.
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

}  // namespace tango::kernels
