#include "kernels/cpu/edge_quantize.h"

#include "kernels/edge_quant_math.h"

namespace tango::kernels::cpu {

void quantize_edges_per_row(const EdgeRowQuantizeArgs& a) {
  const int64_t heads = a.heads;
#pragma omp parallel for schedule(dynamic, 64)
  for (int64_t r = 0; r < a.csr.num_rows; ++r) {
    const int64_t first = a.csr.indptr[r], last = a.csr.indptr[r + 1];
    float row_amax = 0.0f;
    for (int64_t p = first; p < last; ++p) {
      const float* e = a.edge + canonical_edge(a.csr, p) * heads;
      for (int64_t h = 0; h < heads; ++h) row_amax = edge_amax_step(row_amax, e[h]);
    }
    const float scale = edge_row_scale(row_amax);
    a.scales[r] = scale;
    const float inv_scale = 1.0f / scale;
    for (int64_t p = first; p < last; ++p) {
      const int64_t e = canonical_edge(a.csr, p) * heads;
      for (int64_t h = 0; h < heads; ++h) a.values[e + h] = edge_code(a.edge[e + h], inv_scale);
    }
  }
}

}  // namespace tango::kernels::cpu
