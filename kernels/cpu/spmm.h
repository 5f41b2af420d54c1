// CPU SpMM (copy_u and u_mul_e, FP32 and INT8 features): OpenMP over destination rows, an FP32 row
// accumulator per thread, vectorised gathers (see kernels/spmm.h for the math).
#pragma once

#include "kernels/sparse_args.h"

namespace tango::kernels::cpu {

void spmm(const SpmmArgs& args);

}  // namespace tango::kernels::cpu
