#include <type_traits>

#include "kernels/cuda/cuda_check.cuh"
#include "kernels/cuda/sparse_vec.cuh"
#include "kernels/cuda/spmm.h"

namespace tango::kernels::cuda {

namespace {

constexpr int kRowsPerBlock = 4;  // warps per block, one destination row each
constexpr unsigned kFullMask = 0xffffffffu;

template <class XT>
__device__ __forceinline__ const XT* features(const DenseOperand& op) {
  if constexpr (std::is_same_v<XT, float>)
    return op.f32;
  else
    return op.i8;
}

// Warp (threadIdx.y) = row r; lane = VEC consecutive features of slice blockIdx.y. The warp loads 32 entries'
// column ids and weights at once, then broadcasts them one by one with shuffles.
template <class XT, class ET, int VEC>
__global__ void __launch_bounds__(kWarp* kRowsPerBlock) spmm_kernel(SpmmArgs a) {
  const int lane = threadIdx.x;
  const int64_t r = static_cast<int64_t>(blockIdx.x) * kRowsPerBlock + threadIdx.y;
  if (r >= a.csr.num_rows) return;  // whole warp leaves together
  const int64_t width = a.heads * a.head_dim;
  const int64_t f0 = (static_cast<int64_t>(blockIdx.y) * kWarp + lane) * VEC;
  const bool active = f0 < width;
  const int64_t head = active ? f0 / a.head_dim : 0;
  const XT* x = features<XT>(a.x);
  const float* x_row_scale = a.x.scale_per_row ? a.x.scale : nullptr;
  float acc[VEC];
#pragma unroll
  for (int i = 0; i < VEC; ++i) acc[i] = 0.0f;

  const int64_t first = a.csr.indptr[r], last = a.csr.indptr[r + 1];
  for (int64_t base = first; base < last; base += kWarp) {
    const int64_t p = base + lane;
    int32_t my_c = 0;
    float my_w = 0.0f;
    int32_t my_e = 0;
    if (p < last) {
      my_c = a.csr.indices[p];
      my_w = 1.0f;
      if (a.src_scale != nullptr) my_w *= a.src_scale[my_c];
      if (x_row_scale != nullptr) my_w *= x_row_scale[my_c];
      if constexpr (!std::is_void_v<ET>) my_e = static_cast<int32_t>(canonical_edge(a.csr, p));
    }
    const int n = static_cast<int>(min(static_cast<int64_t>(kWarp), last - base));
#pragma unroll 4
    for (int k = 0; k < n; ++k) {
      const int64_t c = __shfl_sync(kFullMask, my_c, k);
      float w = __shfl_sync(kFullMask, my_w, k);
      if constexpr (!std::is_void_v<ET>) {
        const int64_t e = __shfl_sync(kFullMask, my_e, k);
        const ET* edge = std::is_same_v<ET, float> ? reinterpret_cast<const ET*>(a.edge.f32)
                                                   : reinterpret_cast<const ET*>(a.edge.i8);
        if (active) w *= static_cast<float>(edge[e * a.heads + head]);
      }
      if (active) {
        const VecOf<XT, VEC> v = load_vec<XT, VEC>(x + c * width + f0);
#pragma unroll
        for (int i = 0; i < VEC; ++i) acc[i] += w * static_cast<float>(v.v[i]);
      }
    }
  }
  if (!active) return;
  float alpha = 1.0f;
  if (a.x.scale != nullptr && !a.x.scale_per_row) alpha *= a.x.scale[0];
  if (a.edge.scale != nullptr) alpha *= a.edge.scale[0];
  if (a.row_scale != nullptr) alpha *= a.row_scale[r];
  float* out = a.out + r * width + f0;
#pragma unroll
  for (int i = 0; i < VEC; ++i) out[i] = alpha * acc[i];
}

template <class XT, class ET, int VEC>
void launch(const SpmmArgs& a, cudaStream_t stream) {
  const int64_t width = a.heads * a.head_dim;
  const int64_t slices = (width + kWarp * VEC - 1) / (kWarp * VEC);
  const dim3 block(kWarp, kRowsPerBlock);
  const dim3 grid(static_cast<unsigned>((a.csr.num_rows + kRowsPerBlock - 1) / kRowsPerBlock),
                  static_cast<unsigned>(slices));
  spmm_kernel<XT, ET, VEC><<<grid, block, 0, stream>>>(a);
  TANGO_CU_CHECK(cudaGetLastError());
}

template <class XT, class ET>
void launch_vec(const SpmmArgs& a, cudaStream_t stream) {
  const XT* x =
      std::is_same_v<XT, float> ? reinterpret_cast<const XT*>(a.x.f32) : reinterpret_cast<const XT*>(a.x.i8);
  const int64_t width = a.heads * a.head_dim;
  switch (pick_vector_width(width, a.head_dim, sizeof(XT), x)) {
    case 16: return launch<XT, ET, 16>(a, stream);
    case 8: return launch<XT, ET, 8>(a, stream);
    case 4: return launch<XT, ET, 4>(a, stream);
    case 2: return launch<XT, ET, 2>(a, stream);
    default: return launch<XT, ET, 1>(a, stream);
  }
}

}  // namespace

void spmm(const SpmmArgs& args, Device device) {
  if (args.csr.num_rows == 0 || args.heads * args.head_dim == 0) return;
  cudaStream_t stream = stream_for(device);
  const bool has_edge = args.edge.f32 != nullptr || args.edge.i8 != nullptr;
  if (args.x.i8 != nullptr) {
    if (has_edge)
      launch_vec<int8_t, int8_t>(args, stream);
    else
      launch_vec<int8_t, void>(args, stream);
  } else {
    if (has_edge)
      launch_vec<float, float>(args, stream);
    else
      launch_vec<float, void>(args, stream);
  }
}

}  // namespace tango::kernels::cuda
