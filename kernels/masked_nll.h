// The trainer's loss and accuracy over the rows a mask selects, with results left on the tensors' device
// in a small i64 "scalars" tensor (read back once per epoch):
//   masked_nll:     scalars[slot] = the f64 bits of sum over masked rows of -log_softmax(logits)[r, label[r]]
//                   (rows in order on the CPU), grad = d(sum / normalizer) / d logits (zero outside the
//                   mask); per-row math in double (masked_nll_math.h);
//   masked_correct: scalars[slot] = #masked rows whose first arg-max logit equals the label.
// (core has no f64 dtype: the loss travels as its bit pattern; scalar_as_double() reads it back.)
#pragma once

#include <cstdint>

#include "core/tensor.h"

namespace tango::kernels {

// logits f32 [rows, classes]; labels i32 [rows]; mask u8 [rows]; grad f32 like logits; scalars i64 [> slot].
void masked_nll(const Tensor& logits, const Tensor& labels, const Tensor& mask, double normalizer,
                Tensor& grad, Tensor& scalars, int slot);
void masked_correct(const Tensor& logits, const Tensor& labels, const Tensor& mask, Tensor& scalars,
                    int slot);

// The double whose bits an i64 scalar slot holds.
double scalar_as_double(int64_t bits);

}  // namespace tango::kernels
