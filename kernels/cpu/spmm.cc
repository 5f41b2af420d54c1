#include "kernels/cpu/spmm.h"

#include <omp.h>

#include <algorithm>
#include <type_traits>

#include "kernels/cpu/isa_clones.h"

namespace tango::kernels::cpu {

namespace {

// The gathers prefetch source rows this many cache lines ahead in total (hides DRAM latency on large graphs):
// 8 edges ahead for a 64-float block (4 lines each), 32 edges ahead for a 64-byte INT8 block (1 line), so
// INT8 keeps as many misses in flight as FP32.
constexpr int64_t kPrefetchLines = 32;

template <class XT>
constexpr int64_t prefetch_distance(int64_t block_elems) {
  const int64_t lines = (block_elems * static_cast<int64_t>(sizeof(XT)) + 63) / 64;
  return std::max<int64_t>(4, kPrefetchLines / std::max<int64_t>(1, lines));
}
constexpr int64_t kRowsPerTask = 32;
// Features accumulated in registers at a time: 64 f32 = 4 AVX-512 or 8 AVX2 registers. A row wider than
// this is done block by block (the row's column ids are re-read per block; they stay in L1).
constexpr int64_t kBlock = 64;

template <class XT>
[[gnu::always_inline]] inline void prefetch_block(const XT* p, int64_t n) {
  const char* bytes = reinterpret_cast<const char*>(p);
  for (int64_t off = 0; off < n * static_cast<int64_t>(sizeof(XT)); off += 64)
    __builtin_prefetch(bytes + off);
}

// out[0, n) = alpha * sum over entries p of row [first, last) of weight(p, c) * x[c * width + off + i].
// kLen > 0: a full block of compile-time length (kept in registers); kLen == 0: a tail of n < kBlock.
template <int64_t kLen, class XT, class Weight>
[[gnu::always_inline]] inline void block_sum(const CsrView& csr, int64_t first, int64_t last, const XT* x,
                                             int64_t width, int64_t off, int64_t n, Weight&& weight,
                                             float alpha, float* __restrict out) {
  float acc[kLen > 0 ? kLen : kBlock] = {};
  const int64_t len = kLen > 0 ? kLen : n;
  const int64_t ahead = prefetch_distance<XT>(len);
  for (int64_t p = first; p < last; ++p) {
    if (p + ahead < last) prefetch_block(x + csr.indices[p + ahead] * width + off, len);
    const int64_t c = csr.indices[p];
    const float w = weight(p, c);
    const XT* __restrict xr = x + c * width + off;
    for (int64_t i = 0; i < len; ++i) acc[i] += w * static_cast<float>(xr[i]);
  }
  for (int64_t i = 0; i < len; ++i) out[i] = alpha * acc[i];
}

// The unweighted INT8 case (copy_u with per-tensor scales, the GCN/SAGE aggregation): the sum of int8
// values is exact in int32 for rows below 2^24 entries and needs no int -> float convert per element.
constexpr int64_t kMaxExactInt8Row = int64_t{1} << 24;

template <int64_t kLen>
[[gnu::always_inline]] inline void block_sum_int8(const CsrView& csr, int64_t first, int64_t last,
                                                  const int8_t* x, int64_t width, int64_t off, int64_t n,
                                                  float alpha, float* __restrict out) {
  int32_t acc[kLen > 0 ? kLen : kBlock] = {};
  const int64_t len = kLen > 0 ? kLen : n;
  const int64_t ahead = prefetch_distance<int8_t>(len);
  for (int64_t p = first; p < last; ++p) {
    if (p + ahead < last) prefetch_block(x + csr.indices[p + ahead] * width + off, len);
    const int8_t* __restrict xr = x + csr.indices[p] * width + off;
    for (int64_t i = 0; i < len; ++i) acc[i] += xr[i];
  }
  for (int64_t i = 0; i < len; ++i) out[i] = alpha * static_cast<float>(acc[i]);
}

// Rows [begin, end) of the SpMM; XT is the feature type, ET the edge value type (void: copy_u).
template <class XT, class ET>
[[gnu::always_inline]] inline void spmm_rows(const SpmmArgs& a, const XT* x, const ET* edge, int64_t begin,
                                             int64_t end) {
  const CsrView& csr = a.csr;
  const int64_t heads = a.heads, dim = a.head_dim, width = heads * dim;
  const float x_tensor_scale = a.x.scale != nullptr && !a.x.scale_per_row ? a.x.scale[0] : 1.0f;
  const float edge_scale = a.edge.scale != nullptr ? a.edge.scale[0] : 1.0f;
  const float* x_row_scale = a.x.scale_per_row ? a.x.scale : nullptr;
  const float* src_scale = a.src_scale;
  for (int64_t r = begin; r < end; ++r) {
    const int64_t first = csr.indptr[r], last = csr.indptr[r + 1];
    float alpha = x_tensor_scale * edge_scale;
    if (a.row_scale != nullptr) alpha *= a.row_scale[r];
    float* out = a.out + r * width;
    if constexpr (std::is_same_v<XT, int8_t> && std::is_void_v<ET>) {
      if (src_scale == nullptr && x_row_scale == nullptr && last - first < kMaxExactInt8Row) {
        int64_t off = 0;
        for (; off + kBlock <= width; off += kBlock)
          block_sum_int8<kBlock>(csr, first, last, x, width, off, kBlock, alpha, out + off);
        if (off < width) block_sum_int8<0>(csr, first, last, x, width, off, width - off, alpha, out + off);
        continue;
      }
    }
    for (int64_t h = 0; h < heads; ++h) {
      auto weight = [&](int64_t p, int64_t c) {
        float w = 1.0f;
        if (src_scale != nullptr) w *= src_scale[c];
        if (x_row_scale != nullptr) w *= x_row_scale[c];
        if constexpr (!std::is_void_v<ET>) w *= static_cast<float>(edge[canonical_edge(csr, p) * heads + h]);
        return w;
      };
      int64_t off = h * dim;
      const int64_t head_end = off + dim;
      for (; off + kBlock <= head_end; off += kBlock)
        block_sum<kBlock>(csr, first, last, x, width, off, kBlock, weight, alpha, out + off);
      if (off < head_end)
        block_sum<0>(csr, first, last, x, width, off, head_end - off, weight, alpha, out + off);
    }
  }
}

// One non-template, ISA-cloned function per operand type combination.
TANGO_ISA_CLONES void rows_f32(const SpmmArgs& a, int64_t begin, int64_t end) {
  spmm_rows<float, void>(a, a.x.f32, nullptr, begin, end);
}
TANGO_ISA_CLONES void rows_f32_edge_f32(const SpmmArgs& a, int64_t begin, int64_t end) {
  spmm_rows<float, float>(a, a.x.f32, a.edge.f32, begin, end);
}
TANGO_ISA_CLONES void rows_i8(const SpmmArgs& a, int64_t begin, int64_t end) {
  spmm_rows<int8_t, void>(a, a.x.i8, nullptr, begin, end);
}
TANGO_ISA_CLONES void rows_i8_edge_i8(const SpmmArgs& a, int64_t begin, int64_t end) {
  spmm_rows<int8_t, int8_t>(a, a.x.i8, a.edge.i8, begin, end);
}

using RowsFn = void (*)(const SpmmArgs&, int64_t, int64_t);

RowsFn pick(const SpmmArgs& a) {
  const bool has_edge = a.edge.f32 != nullptr || a.edge.i8 != nullptr;
  if (a.x.i8 != nullptr) return has_edge ? rows_i8_edge_i8 : rows_i8;
  return has_edge ? rows_f32_edge_f32 : rows_f32;
}

}  // namespace

void spmm(const SpmmArgs& args) {
  const RowsFn rows = pick(args);
  const int64_t num_rows = args.csr.num_rows;
#pragma omp parallel for schedule(dynamic, 1)
  for (int64_t task = 0; task < (num_rows + kRowsPerTask - 1) / kRowsPerTask; ++task) {
    const int64_t begin = task * kRowsPerTask;
    rows(args, begin, std::min(num_rows, begin + kRowsPerTask));
  }
}

}  // namespace tango::kernels::cpu
