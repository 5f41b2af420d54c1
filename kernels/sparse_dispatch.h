// Host-side helpers the sparse dispatch files share: checks with the offending shapes in the message, and
// the conversion of Tensors / QTensors / CsrIndex into the plain-pointer blocks of kernels/sparse_args.h.
#pragma once

#include <string_view>

#include "core/tensor.h"
#include "kernels/qtensor.h"
#include "kernels/sparse_args.h"
#include "kernels/sparse_graph.h"

namespace tango::kernels::detail {

CsrView csr_view(const CsrIndex& adj);

// Checks `t` is an f32 matrix [rows, cols] on `device` (cols < 0: any width); `what` names it.
void check_f32(const Tensor& t, std::string_view what, int64_t rows, int64_t cols, Device device);
// An optional f32 vector [n] on `device` (undefined passes).
void check_optional_vector(const Tensor& t, std::string_view what, int64_t n, Device device);
// Checks an INT8 operand [rows, cols] whose scales are [1] or [rows].
void check_quantized(const QTensor& q, std::string_view what, int64_t rows, int64_t cols, Device device);

DenseOperand operand_of(const Tensor& t);
DenseOperand operand_of(const QTensor& q);
const float* optional_data(const Tensor& t);

}  // namespace tango::kernels::detail
