// The key under which gemm.cc caches a cuBLASLt INT8 algorithm. The heuristic may return a kernel that
// assumes its operands' alignment (up to 256 bytes): it is told the alignment of the real pointers
// (CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_{A,B,C,D}_BYTES) and the choice is cached per alignment too, so
// a row slice passed straight in (16-byte aligned) never reuses a kernel picked for 256-byte aligned
// operands of the same shape. Plain C++ (no CUDA header), so the CPU suite tests it.
#pragma once

#include <compare>
#include <cstdint>

namespace tango::kernels::cuda {

// The alignment cuBLASLt may assume of an operand at `address`: the largest power of two dividing it,
// at most 256 (a null pointer counts as 256-byte aligned).
constexpr uint32_t operand_alignment(uintptr_t address) {
  uint32_t alignment = 256;
  while (alignment > 1 && address % alignment != 0) alignment /= 2;
  return alignment;
}
inline uint32_t operand_alignment(const void* pointer) {
  return operand_alignment(reinterpret_cast<uintptr_t>(pointer));
}

// (device, problem, alignments): cuBLASLt's A, B and C = D (gemm.cc passes b as A and a as B).
struct Int8AlgoKey {
  int device = 0;
  int64_t m = 0, n = 0, k = 0;
  uint32_t align_a = 256, align_b = 256, align_c = 256;
  auto operator<=>(const Int8AlgoKey&) const = default;
};

}  // namespace tango::kernels::cuda
