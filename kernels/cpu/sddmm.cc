#include "kernels/cpu/sddmm.h"

#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <type_traits>

#include "kernels/cpu/isa_clones.h"

namespace tango::kernels::cpu {

namespace {

constexpr int64_t kSddmmRowsPerTask = 64;
constexpr int64_t kPrefetchDistance = 6;

// Products accumulate in int32 for INT8 (exact: |q| <= 127 and D < 2^17), in f32 otherwise.
template <class T>
using DotAcc = std::conditional_t<std::is_same_v<T, int8_t>, int32_t, float>;

// FP32: kLanes independent partial sums so the loop vectorises without reassociating FP adds (no
// -ffast-math).
constexpr int64_t kLanes = 16;

// kDim > 0: the per-head width known at compile time (straight-line code for the common 16 / 32 / 64).
template <int64_t kDim, class T>
[[gnu::always_inline]] inline DotAcc<T> dot(const T* __restrict a, const T* __restrict b, int64_t runtime_n) {
  const int64_t n = kDim > 0 ? kDim : runtime_n;
  if constexpr (std::is_integral_v<DotAcc<T>>) {  // integer adds reassociate: the plain loop vectorises
    DotAcc<T> sum = 0;
    for (int64_t i = 0; i < n; ++i) sum += static_cast<DotAcc<T>>(a[i]) * static_cast<DotAcc<T>>(b[i]);
    return sum;
  }
  DotAcc<T> part[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int64_t l = 0; l < kLanes; ++l)
      part[l] += static_cast<DotAcc<T>>(a[i + l]) * static_cast<DotAcc<T>>(b[i + l]);
  DotAcc<T> sum = 0;
  for (; i < n; ++i) sum += static_cast<DotAcc<T>>(a[i]) * static_cast<DotAcc<T>>(b[i]);
  // Shorter than the lanes (GAT's 8 per head): every lane is +0, and adding +0 kLanes times is adding it
  // once (only -0 changes, to +0), so the 16 dependent adds become one, bit for bit.
  if (n < kLanes) return sum + DotAcc<T>{0};
  for (int64_t l = 0; l < kLanes; ++l) sum += part[l];
  return sum;
}

// out[h] = su * u[h] + sv * v[h]; __restrict: int8_t is a char type and would otherwise alias `out`.
// kHeads > 0: the head count known at compile time (GCC leaves the int8 -> f32 loop scalar with a run-time
// trip count; with a constant one, kept rolled, it is a few vector instructions).
template <int64_t kHeads, class T>
[[gnu::always_inline]] inline void add_scaled(float* __restrict out, float su, const T* __restrict u,
                                              float sv, const T* __restrict v, int64_t runtime_n) {
  const int64_t n = kHeads > 0 ? kHeads : runtime_n;
  // Not unrolled before vectorisation: the unrolled body is converted one element at a time (SLP).
#pragma GCC unroll 1
  for (int64_t h = 0; h < n; ++h) out[h] = su * static_cast<float>(u[h]) + sv * static_cast<float>(v[h]);
}

// kDim > 0 (dot) / kHeads > 0 (add): the per-head width / head count known at compile time.
template <class T, int64_t kDim = 0, int64_t kHeads = 0>
[[gnu::always_inline]] inline void sddmm_rows(const SddmmArgs& a, const T* u, const T* v, int64_t begin,
                                              int64_t end) {
  const CsrView& csr = a.csr;
  const int64_t heads = kHeads > 0 ? kHeads : a.heads, dim = a.head_dim, width = heads * dim;
  for (int64_t r = begin; r < end; ++r) {
    const float sv = operand_scale(a.v, r);
    const T* vr = v + r * width;
    const int64_t last = csr.indptr[r + 1];
    for (int64_t p = csr.indptr[r]; p < last; ++p) {
      // The source rows are random gathers: fetch a few edges ahead (every cache line of the row).
      if (a.op == SddmmOp::kDot && p + kPrefetchDistance < last) {
        const char* ahead = reinterpret_cast<const char*>(u + csr.indices[p + kPrefetchDistance] * width);
        for (int64_t off = 0; off < width * static_cast<int64_t>(sizeof(T)); off += 64)
          __builtin_prefetch(ahead + off);
      }
      const int64_t c = csr.indices[p];
      const float su = operand_scale(a.u, c);
      const T* uc = u + c * width;
      float* out = a.out + canonical_edge(csr, p) * heads;
      if (a.op == SddmmOp::kAdd) {
        add_scaled<kHeads>(out, su, uc, sv, vr, heads);
      } else {
        const float scale = su * sv;
        for (int64_t h = 0; h < heads; ++h)
          out[h] = scale * static_cast<float>(dot<kDim>(uc + h * dim, vr + h * dim, dim));
      }
    }
  }
}

// FP32 with GAT's head count (u_add_v) or a per-head width of whole lane groups (u_dot_v) known at compile
// time: the same operations in the same order as the run-time loops, straight-line. (A per-head width below
// kLanes stays a run-time loop: unrolled, GCC would fuse its multiply-adds differently and change bits.)
TANGO_ISA_CLONES void sddmm_rows_f32(const SddmmArgs& a, int64_t begin, int64_t end) {
  if (a.op == SddmmOp::kAdd) {
    switch (a.heads) {
      case 1: return sddmm_rows<float, 0, 1>(a, a.u.f32, a.v.f32, begin, end);
      case 4: return sddmm_rows<float, 0, 4>(a, a.u.f32, a.v.f32, begin, end);
      case 8: return sddmm_rows<float, 0, 8>(a, a.u.f32, a.v.f32, begin, end);
      default: break;
    }
  } else {
    switch (a.head_dim) {
      case 16: return sddmm_rows<float, 16>(a, a.u.f32, a.v.f32, begin, end);
      case 32: return sddmm_rows<float, 32>(a, a.u.f32, a.v.f32, begin, end);
      case 64: return sddmm_rows<float, 64>(a, a.u.f32, a.v.f32, begin, end);
      default: break;
    }
  }
  sddmm_rows<float>(a, a.u.f32, a.v.f32, begin, end);
}
TANGO_ISA_CLONES void sddmm_rows_i8(const SddmmArgs& a, int64_t begin, int64_t end) {
  if (a.op == SddmmOp::kAdd) {
    switch (a.heads) {
      case 4: return sddmm_rows<int8_t, 0, 4>(a, a.u.i8, a.v.i8, begin, end);
      case 8: return sddmm_rows<int8_t, 0, 8>(a, a.u.i8, a.v.i8, begin, end);
      case 16: return sddmm_rows<int8_t, 0, 16>(a, a.u.i8, a.v.i8, begin, end);
      default: break;
    }
  }
  if (a.op == SddmmOp::kDot) {
    switch (a.head_dim) {
      case 16: return sddmm_rows<int8_t, 16>(a, a.u.i8, a.v.i8, begin, end);
      case 32: return sddmm_rows<int8_t, 32>(a, a.u.i8, a.v.i8, begin, end);
      case 64: return sddmm_rows<int8_t, 64>(a, a.u.i8, a.v.i8, begin, end);
      default: break;
    }
  }
  sddmm_rows<int8_t>(a, a.u.i8, a.v.i8, begin, end);
}

template <class T>
[[gnu::always_inline]] inline void segment_sum_rows(const EdgeSegmentSumArgs& a, const T* z, int64_t begin,
                                                    int64_t end) {
  const CsrView& csr = a.csr;
  const int64_t width = a.width;
  const float scale = a.z.scale != nullptr ? a.z.scale[0] : 1.0f;
  for (int64_t r = begin; r < end; ++r) {
    float* out = a.out + r * width;
    std::fill(out, out + width, 0.0f);
    for (int64_t p = csr.indptr[r]; p < csr.indptr[r + 1]; ++p) {
      const T* zr = z + canonical_edge(csr, p) * width;
      for (int64_t i = 0; i < width; ++i) out[i] += static_cast<float>(zr[i]);
    }
    for (int64_t i = 0; i < width; ++i) out[i] *= scale;
  }
}

TANGO_ISA_CLONES void segment_sum_rows_f32(const EdgeSegmentSumArgs& a, int64_t begin, int64_t end) {
  segment_sum_rows<float>(a, a.z.f32, begin, end);
}
TANGO_ISA_CLONES void segment_sum_rows_i8(const EdgeSegmentSumArgs& a, int64_t begin, int64_t end) {
  segment_sum_rows<int8_t>(a, a.z.i8, begin, end);
}

// Runs fn(begin, end) over row blocks with dynamic scheduling (power-law degrees).
template <class Fn>
void for_row_blocks(int64_t num_rows, Fn&& fn) {
  const int64_t tasks = (num_rows + kSddmmRowsPerTask - 1) / kSddmmRowsPerTask;
#pragma omp parallel for schedule(dynamic, 1)
  for (int64_t task = 0; task < tasks; ++task)
    fn(task * kSddmmRowsPerTask, std::min(num_rows, (task + 1) * kSddmmRowsPerTask));
}

}  // namespace

void sddmm(const SddmmArgs& args) {
  const bool int8 = args.u.i8 != nullptr;
  for_row_blocks(args.csr.num_rows, [&](int64_t begin, int64_t end) {
    if (int8)
      sddmm_rows_i8(args, begin, end);
    else
      sddmm_rows_f32(args, begin, end);
  });
}

void edge_segment_sum(const EdgeSegmentSumArgs& args) {
  const bool int8 = args.z.i8 != nullptr;
  for_row_blocks(args.csr.num_rows, [&](int64_t begin, int64_t end) {
    if (int8)
      segment_sum_rows_i8(args, begin, end);
    else
      segment_sum_rows_f32(args, begin, end);
  });
}

}  // namespace tango::kernels::cpu
