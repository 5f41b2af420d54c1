// CPU per-destination-row INT8 edge quantizer (kernels/edge_quantize.h has the math): OpenMP over rows,
// the row's max |e| first, then its codes.
#pragma once

#include "kernels/sparse_args.h"

namespace tango::kernels::cpu {

void quantize_edges_per_row(const EdgeRowQuantizeArgs& args);

}  // namespace tango::kernels::cpu
