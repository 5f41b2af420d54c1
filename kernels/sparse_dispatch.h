// Host-side helpers the sparse dispatch files share: the conversion of Tensors / QTensors / CsrIndex into the
// plain-pointer blocks of kernels/sparse_args.h (their shape checks are in kernels/tensor_checks.h).
#pragma once

#include "core/tensor.h"
#include "kernels/qtensor.h"
#include "kernels/sparse_args.h"
#include "kernels/sparse_graph.h"
#include "kernels/tensor_checks.h"

namespace tango::kernels::detail {

CsrView csr_view(const CsrIndex& adj);

DenseOperand operand_of(const Tensor& t);
DenseOperand operand_of(const QTensor& q);
const float* optional_data(const Tensor& t);

}  // namespace tango::kernels::detail
