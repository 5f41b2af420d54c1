// max |x| over a span, as the bits of a non-negative float. For non-negative floats the bit patterns
// order like the values, so this is an unsigned-integer max, which vectorises (a float max reduction
// does not without -ffast-math) and gives exactly the value float compares give. NaN never wins: NaN bit
// patterns lie above +inf's, so a result above it means the span holds a NaN and the (rare) span is
// redone skipping them (folding the NaN test into the vector loop made GCC keep it scalar).
// Always inlined, so it is compiled for the ISA of the TANGO_ISA_CLONES function that calls it.
#pragma once

#include <algorithm>
#include <bit>
#include <cstdint>

namespace tango::kernels::cpu {

[[gnu::always_inline]] inline uint32_t amax_bits(const float* x, int64_t n) {
  constexpr uint32_t kInfBits = 0x7F800000u;
  uint32_t result = 0;
  for (int64_t i = 0; i < n; ++i) result = std::max(result, std::bit_cast<uint32_t>(x[i]) & 0x7FFFFFFFu);
  if (result <= kInfBits) return result;
  result = 0;
  for (int64_t i = 0; i < n; ++i) {
    const uint32_t bits = std::bit_cast<uint32_t>(x[i]) & 0x7FFFFFFFu;
    if (bits <= kInfBits) result = std::max(result, bits);
  }
  return result;
}

}  // namespace tango::kernels::cpu
