#include "kernels/cpu/spmm.h"

#include <immintrin.h>
#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
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
constexpr int64_t kSpmmRowsPerTask = 32;
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

// ---- copy_u (one head, no edge values): the GCN / SAGE aggregation -------------------------------------
// A destination row is summed in slabs of up to kMaxSlab features, one pass over its edges per slab, so a
// source row's slab (up to 4 contiguous cache lines of INT8, 16 of FP32) is gathered whole. Source rows are
// prefetched kSlabPrefetchLines cache lines ahead along the edges of the whole task, across row boundaries:
// most rows of a power-law graph are shorter than the prefetch window, and a window that stopped at the
// row's end would leave their first edges unprefetched.
constexpr int64_t kMaxSlab = 256;
constexpr int64_t kSlabPrefetchLines = 48;
// Outputs larger than this (about a last-level cache) are written with non-temporal stores: they would not
// stay cached for the next kernel anyway, and streaming skips the read-for-ownership of every output line.
constexpr int64_t kStreamOutputBytes = int64_t{32} << 20;
// INT8 with one scale per tensor and no per-source weight sums codes in integers: int16 lanes for up to
// kInt16Edges edges (255 * 128 < 2^15), then int32 (exact for rows below kMaxExactInt8Row entries); no
// int -> float convert per element.
constexpr int64_t kInt16Edges = 255;
constexpr int64_t kMaxExactInt8Row = int64_t{1} << 24;

template <class XT, int64_t kLen>
constexpr int64_t slab_prefetch_edges() {
  const int64_t lines = (kLen * static_cast<int64_t>(sizeof(XT)) + 63) / 64;
  return std::max<int64_t>(4, kSlabPrefetchLines / std::max<int64_t>(1, lines));
}

// acc[0, n) = sum over entries [first, last) of weight(c) * x[c, off + i] (kLen > 0: n = kLen, kept in
// registers; kLen == 0: a tail of n < 32); prefetches entry p + ahead's slab while p + ahead < prefetch_end.
template <int64_t kLen, class XT, class Weight>
[[gnu::always_inline]] inline void slab_sum(const int32_t* __restrict indices, int64_t first, int64_t last,
                                            int64_t prefetch_end, const XT* x, int64_t width, int64_t off,
                                            int64_t n, Weight&& weight, float* __restrict acc) {
  constexpr int64_t kAhead = slab_prefetch_edges<XT, (kLen > 0 ? kLen : 32)>();
  const int64_t len = kLen > 0 ? kLen : n;
  float sum[kLen > 0 ? kLen : 32] = {};
  for (int64_t p = first; p < last; ++p) {
    if (p + kAhead < prefetch_end) prefetch_block(x + int64_t{indices[p + kAhead]} * width + off, len);
    const int64_t c = indices[p];
    const float w = weight(c);
    const XT* __restrict xr = x + c * width + off;
    for (int64_t i = 0; i < len; ++i) sum[i] += w * static_cast<float>(xr[i]);
  }
  for (int64_t i = 0; i < len; ++i) acc[i] = sum[i];
}

// The integer INT8 sums: acc[0, kLen) = sum of x[c, off + i] over entries [first, last).
template <int64_t kLen>
[[gnu::always_inline]] inline void slab_sum_int8(const int32_t* __restrict indices, int64_t first,
                                                 int64_t last, int64_t prefetch_end, const int8_t* x,
                                                 int64_t width, int64_t off, float* __restrict acc) {
  constexpr int64_t kAhead = slab_prefetch_edges<int8_t, kLen>();
  int32_t total[kLen] = {};
  for (int64_t p = first; p < last;) {
    const int64_t chunk_end = std::min(last, p + kInt16Edges);
    int16_t sum[kLen] = {};
    for (; p < chunk_end; ++p) {
      if (p + kAhead < prefetch_end) prefetch_block(x + int64_t{indices[p + kAhead]} * width + off, kLen);
      const int8_t* __restrict xr = x + int64_t{indices[p]} * width + off;
      for (int64_t i = 0; i < kLen; ++i) sum[i] = static_cast<int16_t>(sum[i] + xr[i]);
    }
    for (int64_t i = 0; i < kLen; ++i) total[i] += sum[i];
  }
  for (int64_t i = 0; i < kLen; ++i) acc[i] = static_cast<float>(total[i]);
}

// out[0, n) = alpha * acc[0, n); `stream` (n a multiple of 4, out 16-byte aligned): non-temporal stores.
[[gnu::always_inline]] inline void store_scaled(float* __restrict acc, int64_t n, float alpha, bool stream,
                                                float* __restrict out) {
  if (!stream || n % 4 != 0) {
    for (int64_t i = 0; i < n; ++i) out[i] = alpha * acc[i];
    return;
  }
  for (int64_t i = 0; i < n; ++i) acc[i] *= alpha;
  for (int64_t i = 0; i < n; i += 4) _mm_stream_ps(out + i, _mm_load_ps(acc + i));
}

// Rows [begin, end) of copy_u (no edge values); kWeighted: a per-source weight (src_scale, per-row x scales).
template <class XT, bool kWeighted>
[[gnu::always_inline]] inline void copy_u_rows(const SpmmArgs& a, const XT* x, int64_t begin, int64_t end,
                                               bool stream) {
  const CsrView& csr = a.csr;
  const int64_t width = a.heads * a.head_dim;  // without edge values the heads are one sum
  const int64_t prefetch_end = csr.indptr[end];
  const float x_tensor_scale = a.x.scale != nullptr && !a.x.scale_per_row ? a.x.scale[0] : 1.0f;
  const float* x_row_scale = a.x.scale_per_row ? a.x.scale : nullptr;
  const float* src_scale = a.src_scale;
  auto weight = [&](int64_t c) {
    float w = 1.0f;
    if constexpr (kWeighted) {
      if (src_scale != nullptr) w *= src_scale[c];
      if (x_row_scale != nullptr) w *= x_row_scale[c];
    }
    return w;
  };
  alignas(64) float acc[kMaxSlab];
  for (int64_t r = begin; r < end; ++r) {
    const int64_t first = csr.indptr[r], last = csr.indptr[r + 1];
    float alpha = x_tensor_scale;
    if (a.row_scale != nullptr) alpha *= a.row_scale[r];
    float* out = a.out + r * width;
    [[maybe_unused]] const bool integer =
        std::is_same_v<XT, int8_t> && !kWeighted && last - first < kMaxExactInt8Row;
    int64_t off = 0;
    auto slab = [&]<int64_t kLen>(std::integral_constant<int64_t, kLen>) __attribute__((always_inline)) {
      if constexpr (std::is_same_v<XT, int8_t>) {
        if (integer) {
          slab_sum_int8<kLen>(csr.indices, first, last, prefetch_end, x, width, off, acc);
        } else {
          slab_sum<kLen>(csr.indices, first, last, prefetch_end, x, width, off, kLen, weight, acc);
        }
      } else {
        slab_sum<kLen>(csr.indices, first, last, prefetch_end, x, width, off, kLen, weight, acc);
      }
      store_scaled(acc, kLen, alpha, stream, out + off);
      off += kLen;
    };
    while (width - off >= 256) slab(std::integral_constant<int64_t, 256>{});
    if (width - off >= 128) slab(std::integral_constant<int64_t, 128>{});
    if (width - off >= 64) slab(std::integral_constant<int64_t, 64>{});
    if (width - off >= 32) slab(std::integral_constant<int64_t, 32>{});
    if (off < width) {  // float sums of int8 are exact too (|sum| < 2^24)
      slab_sum<0>(csr.indices, first, last, prefetch_end, x, width, off, width - off, weight, acc);
      store_scaled(acc, width - off, alpha, stream, out + off);
    }
  }
  if (stream) _mm_sfence();  // the streamed lines are visible before the caller's barrier
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
TANGO_ISA_CLONES void rows_f32_edge_f32(const SpmmArgs& a, int64_t begin, int64_t end) {
  spmm_rows<float, float>(a, a.x.f32, a.edge.f32, begin, end);
}
TANGO_ISA_CLONES void rows_i8_edge_i8(const SpmmArgs& a, int64_t begin, int64_t end) {
  spmm_rows<int8_t, int8_t>(a, a.x.i8, a.edge.i8, begin, end);
}
// copy_u; `stream`: non-temporal output stores (see stream_output).
TANGO_ISA_CLONES void copy_u_f32(const SpmmArgs& a, int64_t begin, int64_t end, bool stream) {
  if (a.src_scale != nullptr)
    copy_u_rows<float, true>(a, a.x.f32, begin, end, stream);
  else
    copy_u_rows<float, false>(a, a.x.f32, begin, end, stream);
}
TANGO_ISA_CLONES void copy_u_i8(const SpmmArgs& a, int64_t begin, int64_t end, bool stream) {
  if (a.src_scale != nullptr || a.x.scale_per_row)
    copy_u_rows<int8_t, true>(a, a.x.i8, begin, end, stream);
  else
    copy_u_rows<int8_t, false>(a, a.x.i8, begin, end, stream);
}

using RowsFn = void (*)(const SpmmArgs&, int64_t, int64_t);
using CopyRowsFn = void (*)(const SpmmArgs&, int64_t, int64_t, bool);

// Non-temporal output stores: a large output (see kStreamOutputBytes) with 16-byte aligned rows.
bool stream_output(const SpmmArgs& a) {
  const int64_t width = a.head_dim * a.heads;
  return a.csr.num_rows * width * static_cast<int64_t>(sizeof(float)) > kStreamOutputBytes &&
         reinterpret_cast<uintptr_t>(a.out) % 16 == 0 && width % 4 == 0;
}

}  // namespace

void spmm(const SpmmArgs& args) {
  const int64_t num_rows = args.csr.num_rows;
  const int64_t tasks = (num_rows + kSpmmRowsPerTask - 1) / kSpmmRowsPerTask;
  const bool has_edge = args.edge.f32 != nullptr || args.edge.i8 != nullptr;
  if (!has_edge) {
    const CopyRowsFn rows = args.x.i8 != nullptr ? copy_u_i8 : copy_u_f32;
    const bool stream = stream_output(args);
#pragma omp parallel for schedule(dynamic, 1)
    for (int64_t task = 0; task < tasks; ++task)
      rows(args, task * kSpmmRowsPerTask, std::min(num_rows, (task + 1) * kSpmmRowsPerTask), stream);
    return;
  }
  const RowsFn rows = args.x.i8 != nullptr ? rows_i8_edge_i8 : rows_f32_edge_f32;
#pragma omp parallel for schedule(dynamic, 1)
  for (int64_t task = 0; task < tasks; ++task)
    rows(args, task * kSpmmRowsPerTask, std::min(num_rows, (task + 1) * kSpmmRowsPerTask));
}

}  // namespace tango::kernels::cpu
