// CUDA SDDMM (u_add_v, u_dot_v; FP32 and INT8 with dp4a) and the edge segment sum of the u_add_v
// backward (kernels/sddmm.h has the math). One warp per CSR row: the destination operand is read once per
// row and the edge outputs of a row are written together.
#pragma once

#include "core/device.h"
#include "kernels/sparse_args.h"

namespace tango::kernels::cuda {

void sddmm(const SddmmArgs& args, Device device);
void edge_segment_sum(const EdgeSegmentSumArgs& args, Device device);

}  // namespace tango::kernels::cuda
