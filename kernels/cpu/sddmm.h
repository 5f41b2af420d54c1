// CPU SDDMM (u_add_v, u_dot_v; FP32 or INT8 operands) and the edge segment sum of the u_add_v backward:
// OpenMP over CSR rows, so each destination's operand row is loaded once per row of edges.
#pragma once

#include "kernels/sparse_args.h"

namespace tango::kernels::cpu {

void sddmm(const SddmmArgs& args);
void edge_segment_sum(const EdgeSegmentSumArgs& args);

}  // namespace tango::kernels::cpu
