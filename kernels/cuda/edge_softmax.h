// CUDA edge softmax forward and backward (kernels/edge_softmax.h): one warp per destination row, lanes over
// the row's edges, warp shuffles for the max and the sums.
#pragma once

#include "core/device.h"
#include "kernels/sparse_args.h"

namespace tango::kernels::cuda {

void edge_softmax(const EdgeSoftmaxArgs& args, Device device);
void edge_softmax_backward(const EdgeSoftmaxArgs& args, Device device);

}  // namespace tango::kernels::cuda
