#include <cuda_runtime.h>

#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/sddmm.h"
#include "kernels/cuda/sparse_rows.cuh"

namespace tango::kernels::cuda {

namespace {

// u_add_v: lanes over the row's entries, every head of an entry in one lane.
template <class T>
__global__ void add_kernel(SddmmArgs a, const T* __restrict__ u, const T* __restrict__ v) {
  const int64_t r = warp_row();
  if (r >= a.csr.num_rows) return;
  const int lane = threadIdx.x % 32;
  const float sv = operand_scale(a.v, r);
  const int64_t heads = a.heads;
  for (int64_t p = a.csr.indptr[r] + lane; p < a.csr.indptr[r + 1]; p += 32) {
    const int64_t c = a.csr.indices[p];
    const float su = operand_scale(a.u, c);
    float* out = a.out + canonical_edge(a.csr, p) * heads;
    for (int64_t h = 0; h < heads; ++h)
      out[h] = su * static_cast<float>(u[c * heads + h]) + sv * static_cast<float>(v[r * heads + h]);
  }
}

// u_dot_v in FP32: per entry and head, lanes stride over the head's features, then a warp sum.
__global__ void dot_f32_kernel(SddmmArgs a) {
  const int64_t r = warp_row();
  if (r >= a.csr.num_rows) return;
  const int lane = threadIdx.x % 32;
  const int64_t dim = a.head_dim, width = a.heads * dim;
  const float* vr = a.v.f32 + r * width;
  for (int64_t p = a.csr.indptr[r]; p < a.csr.indptr[r + 1]; ++p) {
    const float* uc = a.u.f32 + static_cast<int64_t>(a.csr.indices[p]) * width;
    const int64_t e = canonical_edge(a.csr, p);
    for (int64_t h = 0; h < a.heads; ++h) {
      float sum = 0.0f;
      for (int64_t d = lane; d < dim; d += 32) sum += uc[h * dim + d] * vr[h * dim + d];
      sum = warp_sum(sum);
      if (lane == 0) a.out[e * a.heads + h] = sum;
    }
  }
}

// u_dot_v in INT8: int32 accumulation (dp4a on 4 packed bytes when the rows allow), scales applied once.
template <bool kPacked>
__global__ void dot_i8_kernel(SddmmArgs a) {
  const int64_t r = warp_row();
  if (r >= a.csr.num_rows) return;
  const int lane = threadIdx.x % 32;
  const int64_t dim = a.head_dim, width = a.heads * dim;
  const int8_t* vr = a.v.i8 + r * width;
  const float sv = operand_scale(a.v, r);
  for (int64_t p = a.csr.indptr[r]; p < a.csr.indptr[r + 1]; ++p) {
    const int64_t c = a.csr.indices[p];
    const int8_t* uc = a.u.i8 + c * width;
    const float scale = operand_scale(a.u, c) * sv;
    const int64_t e = canonical_edge(a.csr, p);
    for (int64_t h = 0; h < a.heads; ++h) {
      int sum = 0;
      if constexpr (kPacked) {
        const int* u4 = reinterpret_cast<const int*>(uc + h * dim);
        const int* v4 = reinterpret_cast<const int*>(vr + h * dim);
        for (int64_t d = lane; d < dim / 4; d += 32) sum = __dp4a(u4[d], v4[d], sum);
      } else {
        for (int64_t d = lane; d < dim; d += 32) sum += int{uc[h * dim + d]} * int{vr[h * dim + d]};
      }
      for (int offset = 16; offset > 0; offset /= 2) sum += __shfl_xor_sync(kAllLanes, sum, offset);
      if (lane == 0) a.out[e * a.heads + h] = scale * static_cast<float>(sum);
    }
  }
}

// Segment sum over narrow rows (width <= kNarrow, e.g. the heads of attention logits): lanes over entries,
// per-lane partial sums, then one warp sum per column.
constexpr int kNarrow = 8;
template <class T>
__global__ void segment_sum_narrow_kernel(EdgeSegmentSumArgs a, const T* __restrict__ z) {
  const int64_t r = warp_row();
  if (r >= a.csr.num_rows) return;
  const int lane = threadIdx.x % 32;
  float partial[kNarrow];
#pragma unroll
  for (int j = 0; j < kNarrow; ++j) partial[j] = 0.0f;
  for (int64_t p = a.csr.indptr[r] + lane; p < a.csr.indptr[r + 1]; p += 32) {
    const T* zr = z + canonical_edge(a.csr, p) * a.width;
#pragma unroll
    for (int j = 0; j < kNarrow; ++j)
      if (j < a.width) partial[j] += static_cast<float>(zr[j]);
  }
  const float scale = a.z.scale != nullptr ? a.z.scale[0] : 1.0f;
#pragma unroll
  for (int j = 0; j < kNarrow; ++j) {
    if (j >= a.width) break;
    const float sum = warp_sum(partial[j]);
    if (lane == 0) a.out[r * a.width + j] = scale * sum;
  }
}

// Segment sum over wide rows: lanes over columns, entries in order.
template <class T>
__global__ void segment_sum_wide_kernel(EdgeSegmentSumArgs a, const T* __restrict__ z) {
  const int64_t r = warp_row();
  if (r >= a.csr.num_rows) return;
  const int lane = threadIdx.x % 32;
  const float scale = a.z.scale != nullptr ? a.z.scale[0] : 1.0f;
  for (int64_t j = lane; j < a.width; j += 32) {
    float sum = 0.0f;
    for (int64_t p = a.csr.indptr[r]; p < a.csr.indptr[r + 1]; ++p)
      sum += static_cast<float>(z[canonical_edge(a.csr, p) * a.width + j]);
    a.out[r * a.width + j] = scale * sum;
  }
}

bool aligned4(const void* p) {
  return reinterpret_cast<uintptr_t>(p) % 4 == 0;
}

}  // namespace

void sddmm(const SddmmArgs& a, Device device) {
  if (a.csr.num_rows == 0) return;
  cudaStream_t stream = stream_for(device);
  const unsigned blocks = row_blocks(a.csr.num_rows), threads = kRowWarps * 32;
  if (a.op == SddmmOp::kAdd) {
    if (a.u.i8 != nullptr)
      add_kernel<int8_t><<<blocks, threads, 0, stream>>>(a, a.u.i8, a.v.i8);
    else
      add_kernel<float><<<blocks, threads, 0, stream>>>(a, a.u.f32, a.v.f32);
  } else if (a.u.i8 == nullptr) {
    dot_f32_kernel<<<blocks, threads, 0, stream>>>(a);
  } else if (a.head_dim % 4 == 0 && aligned4(a.u.i8) && aligned4(a.v.i8)) {
    dot_i8_kernel<true><<<blocks, threads, 0, stream>>>(a);
  } else {
    dot_i8_kernel<false><<<blocks, threads, 0, stream>>>(a);
  }
  TANGO_CU_CHECK(cudaGetLastError());
}

void edge_segment_sum(const EdgeSegmentSumArgs& a, Device device) {
  if (a.csr.num_rows == 0 || a.width == 0) return;
  cudaStream_t stream = stream_for(device);
  const unsigned blocks = row_blocks(a.csr.num_rows), threads = kRowWarps * 32;
  if (a.width <= kNarrow) {
    if (a.z.i8 != nullptr)
      segment_sum_narrow_kernel<int8_t><<<blocks, threads, 0, stream>>>(a, a.z.i8);
    else
      segment_sum_narrow_kernel<float><<<blocks, threads, 0, stream>>>(a, a.z.f32);
  } else {
    if (a.z.i8 != nullptr)
      segment_sum_wide_kernel<int8_t><<<blocks, threads, 0, stream>>>(a, a.z.i8);
    else
      segment_sum_wide_kernel<float><<<blocks, threads, 0, stream>>>(a, a.z.f32);
  }
  TANGO_CU_CHECK(cudaGetLastError());
}

}  // namespace tango::kernels::cuda
