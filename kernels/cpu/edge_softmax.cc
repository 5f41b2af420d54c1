#include "kernels/cpu/edge_softmax.h"

#include <omp.h>

#include <cmath>
#include <limits>

namespace tango::kernels::cpu {

void edge_softmax(const EdgeSoftmaxArgs& a) {
  const CsrView& csr = a.csr;
  const int64_t heads = a.heads;
#pragma omp parallel for schedule(dynamic, 256)
  for (int64_t r = 0; r < csr.num_rows; ++r) {
    const int64_t first = csr.indptr[r], last = csr.indptr[r + 1];
    for (int64_t h = 0; h < heads; ++h) {
      float max = -std::numeric_limits<float>::infinity();
      for (int64_t p = first; p < last; ++p)
        max = std::fmax(max, a.scores[canonical_edge(csr, p) * heads + h]);
      float sum = 0.0f;
      for (int64_t p = first; p < last; ++p) {
        const int64_t i = canonical_edge(csr, p) * heads + h;
        a.out[i] = std::exp(a.scores[i] - max);
        sum += a.out[i];
      }
      const float inv = 1.0f / sum;
      for (int64_t p = first; p < last; ++p) a.out[canonical_edge(csr, p) * heads + h] *= inv;
    }
  }
}

void edge_softmax_backward(const EdgeSoftmaxArgs& a) {
  const CsrView& csr = a.csr;
  const int64_t heads = a.heads;
#pragma omp parallel for schedule(dynamic, 256)
  for (int64_t r = 0; r < csr.num_rows; ++r) {
    const int64_t first = csr.indptr[r], last = csr.indptr[r + 1];
    for (int64_t h = 0; h < heads; ++h) {
      float weighted = 0.0f;
      for (int64_t p = first; p < last; ++p) {
        const int64_t i = canonical_edge(csr, p) * heads + h;
        weighted += a.probs[i] * a.grad_probs[i];
      }
      for (int64_t p = first; p < last; ++p) {
        const int64_t i = canonical_edge(csr, p) * heads + h;
        a.out[i] = a.probs[i] * (a.grad_probs[i] - weighted);
      }
    }
  }
}

}  // namespace tango::kernels::cpu
