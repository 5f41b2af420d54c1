#include <cuda_runtime.h>

#include "kernels/cuda/cuda_check.cuh"
#include "kernels/cuda/edge_quantize.h"
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/sparse_rows.cuh"
#include "kernels/edge_quant_math.h"

namespace tango::kernels::cuda {

namespace {

// Lanes stride over the row's (entry, head) pairs; the warp max is the same in every lane (xor shuffles).
__global__ void edge_row_quantize_kernel(EdgeRowQuantizeArgs a) {
  const int64_t r = warp_row();
  if (r >= a.csr.num_rows) return;  // whole warp leaves together
  const int lane = threadIdx.x % 32;
  const int64_t heads = a.heads;
  const int64_t first = a.csr.indptr[r], n = (a.csr.indptr[r + 1] - first) * heads;
  float row_amax = 0.0f;
  for (int64_t i = lane; i < n; i += 32)
    row_amax = edge_amax_step(row_amax, a.edge[canonical_edge(a.csr, first + i / heads) * heads + i % heads]);
  row_amax = warp_max(row_amax);
  const float scale = edge_row_scale(row_amax);
  if (lane == 0) a.scales[r] = scale;
  const float inv_scale = 1.0f / scale;
  for (int64_t i = lane; i < n; i += 32) {
    const int64_t k = canonical_edge(a.csr, first + i / heads) * heads + i % heads;
    a.values[k] = edge_code(a.edge[k], inv_scale);
  }
}

}  // namespace

void quantize_edges_per_row(const EdgeRowQuantizeArgs& args, Device device) {
  if (args.csr.num_rows == 0) return;
  edge_row_quantize_kernel<<<row_blocks(args.csr.num_rows), kRowWarps * 32, 0, stream_for(device)>>>(args);
  TANGO_CU_CHECK(cudaGetLastError());
}

}  // namespace tango::kernels::cuda
