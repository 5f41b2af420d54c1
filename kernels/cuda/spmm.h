// CUDA SpMM (copy_u and u_mul_e, FP32 and INT8 features; kernels/spmm.h has the math): one warp per
// (destination row, slice of up to 32 * VEC features), vectorised loads (float4, char4/char8), FP32
// accumulation, scales read from device pointers (no host sync). Runs on the device's Tango stream.
#pragma once

#include "core/device.h"
#include "kernels/sparse_args.h"

namespace tango::kernels::cuda {

void spmm(const SpmmArgs& args, Device device);

}  // namespace tango::kernels::cuda
