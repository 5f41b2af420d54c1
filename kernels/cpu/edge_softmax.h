// CPU edge softmax forward and backward (kernels/edge_softmax.h): OpenMP over destination rows.
#pragma once

#include "kernels/sparse_args.h"

namespace tango::kernels::cpu {

void edge_softmax(const EdgeSoftmaxArgs& args);
void edge_softmax_backward(const EdgeSoftmaxArgs& args);

}  // namespace tango::kernels::cpu
