#include "kernels/cpu/spmm.h"

#include <omp.h>

#include <algorithm>
#include <type_traits>
#include <vector>

#include "kernels/cpu/isa_clones.h"

namespace tango::kernels::cpu {

namespace {

// How many edges ahead the gather prefetches its source row (hides DRAM latency on large graphs).
constexpr int64_t kPrefetchDistance = 8;
constexpr int64_t kRowsPerTask = 32;

// acc[i] += w * x[i]: int8 or f32 in, f32 out; vectorised per clone.
template <class XT>
[[gnu::always_inline]] inline void axpy(float* __restrict acc, float w, const XT* __restrict x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) acc[i] += w * static_cast<float>(x[i]);
}

template <class XT>
[[gnu::always_inline]] inline void prefetch_row(const XT* row, int64_t n) {
  const char* bytes = reinterpret_cast<const char*>(row);
  for (int64_t off = 0; off < n * static_cast<int64_t>(sizeof(XT)); off += 64)
    __builtin_prefetch(bytes + off);
}

// Rows [begin, end) of the SpMM; XT is the feature type, ET the edge value type (void: copy_u).
template <class XT, class ET>
[[gnu::always_inline]] inline void spmm_rows(const SpmmArgs& a, const XT* x, const ET* edge, int64_t begin,
                                             int64_t end, float* acc) {
  const CsrView& csr = a.csr;
  const int64_t heads = a.heads, dim = a.head_dim, width = heads * dim;
  const float x_tensor_scale = a.x.scale != nullptr && !a.x.scale_per_row ? a.x.scale[0] : 1.0f;
  const float edge_scale = a.edge.scale != nullptr ? a.edge.scale[0] : 1.0f;
  const float* x_row_scale = a.x.scale_per_row ? a.x.scale : nullptr;
  for (int64_t r = begin; r < end; ++r) {
    std::fill(acc, acc + width, 0.0f);
    const int64_t first = csr.indptr[r], last = csr.indptr[r + 1];
    for (int64_t p = first; p < last; ++p) {
      if (p + kPrefetchDistance < last) prefetch_row(x + csr.indices[p + kPrefetchDistance] * width, width);
      const int64_t c = csr.indices[p];
      float w = 1.0f;
      if (a.src_scale != nullptr) w *= a.src_scale[c];
      if (x_row_scale != nullptr) w *= x_row_scale[c];
      const XT* xr = x + c * width;
      if constexpr (std::is_void_v<ET>) {
        axpy(acc, w, xr, width);
      } else {
        const ET* er = edge + canonical_edge(csr, p) * heads;
        for (int64_t h = 0; h < heads; ++h)
          axpy(acc + h * dim, w * static_cast<float>(er[h]), xr + h * dim, dim);
      }
    }
    float alpha = x_tensor_scale * edge_scale;
    if (a.row_scale != nullptr) alpha *= a.row_scale[r];
    float* out = a.out + r * width;
    for (int64_t i = 0; i < width; ++i) out[i] = alpha * acc[i];
  }
}

// One non-template, ISA-cloned function per operand type combination.
TANGO_ISA_CLONES void rows_f32(const SpmmArgs& a, int64_t begin, int64_t end, float* acc) {
  spmm_rows<float, void>(a, a.x.f32, nullptr, begin, end, acc);
}
TANGO_ISA_CLONES void rows_f32_edge_f32(const SpmmArgs& a, int64_t begin, int64_t end, float* acc) {
  spmm_rows<float, float>(a, a.x.f32, a.edge.f32, begin, end, acc);
}
TANGO_ISA_CLONES void rows_i8(const SpmmArgs& a, int64_t begin, int64_t end, float* acc) {
  spmm_rows<int8_t, void>(a, a.x.i8, nullptr, begin, end, acc);
}
TANGO_ISA_CLONES void rows_i8_edge_i8(const SpmmArgs& a, int64_t begin, int64_t end, float* acc) {
  spmm_rows<int8_t, int8_t>(a, a.x.i8, a.edge.i8, begin, end, acc);
}

using RowsFn = void (*)(const SpmmArgs&, int64_t, int64_t, float*);

RowsFn pick(const SpmmArgs& a) {
  const bool has_edge = a.edge.f32 != nullptr || a.edge.i8 != nullptr;
  if (a.x.i8 != nullptr) return has_edge ? rows_i8_edge_i8 : rows_i8;
  return has_edge ? rows_f32_edge_f32 : rows_f32;
}

}  // namespace

void spmm(const SpmmArgs& args) {
  const RowsFn rows = pick(args);
  const int64_t width = args.heads * args.head_dim;
  const int64_t num_rows = args.csr.num_rows;
#pragma omp parallel
  {
    std::vector<float> acc(static_cast<size_t>(width));
#pragma omp for schedule(dynamic, 1)
    for (int64_t task = 0; task < (num_rows + kRowsPerTask - 1) / kRowsPerTask; ++task) {
      const int64_t begin = task * kRowsPerTask;
      rows(args, begin, std::min(num_rows, begin + kRowsPerTask), acc.data());
    }
  }
}

}  // namespace tango::kernels::cpu
