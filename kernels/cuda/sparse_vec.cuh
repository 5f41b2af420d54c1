// Small CUDA helpers the sparse kernels share: aligned vector loads of N elements (one 4/8/16-byte
// transaction per lane) and the choice of N for a row layout.
#pragma once

#include <cstdint>

namespace tango::kernels::cuda {

template <class T, int N>
struct alignas(sizeof(T) * N) VecOf {
  T v[N];
};

template <class T, int N>
__device__ __forceinline__ VecOf<T, N> load_vec(const T* p) {
  return *reinterpret_cast<const VecOf<T, N>*>(p);
}

// Elements per lane for rows of `row_elems` elements of `elem_bytes` each: the widest load (16 bytes at
// most) that keeps per-head segments of `segment` elements whole, matches the base pointer's alignment and
// still gives every lane of a warp work (32 * n <= row_elems where possible).
inline int pick_vector_width(int64_t row_elems, int64_t segment, int elem_bytes, const void* base) {
  for (int n = 16 / elem_bytes; n > 1; n /= 2) {
    if (segment % n == 0 && reinterpret_cast<uintptr_t>(base) % (n * elem_bytes) == 0 && 32 * n <= row_elems)
      return n;
  }
  return 1;
}

constexpr int kWarp = 32;

}  // namespace tango::kernels::cuda
