// CUDA per-destination-row INT8 edge quantizer (kernels/edge_quantize.h has the math): one warp per CSR
// row, a warp max for the row's scale, then the lanes write the row's codes.
#pragma once

#include "core/device.h"
#include "kernels/sparse_args.h"

namespace tango::kernels::cuda {

void quantize_edges_per_row(const EdgeRowQuantizeArgs& args, Device device);

}  // namespace tango::kernels::cuda
