// The cuBLASLt INT8 algorithm cache's key (kernels/cuda/lt_algo_key.h): operand alignments as cuBLASLt
// counts them, and one cache entry per alignment, so a 16-byte-aligned row slice never reuses a kernel
// picked for 256-byte-aligned operands of the same shape. Plain C++: runs without a GPU.
#include <gtest/gtest.h>

#include <map>

#include "kernels/cuda/lt_algo_key.h"

namespace tango::kernels::cuda {
namespace {

TEST(OperandAlignment, IsTheLargestPowerOfTwoDividingTheAddressUpTo256) {
  EXPECT_EQ(operand_alignment(uintptr_t{0x7f0000000000}), 256u);  // allocator blocks: 256-byte aligned
  EXPECT_EQ(operand_alignment(uintptr_t{0x7f0000000100}), 256u);
  EXPECT_EQ(operand_alignment(uintptr_t{0x7f0000000080}), 128u);
  EXPECT_EQ(operand_alignment(uintptr_t{0x7f0000000030}), 16u);  // row 1 of an [m, 48] INT8 matrix
  EXPECT_EQ(operand_alignment(uintptr_t{0x7f0000000004}), 4u);
  EXPECT_EQ(operand_alignment(uintptr_t{0x7f0000000001}), 1u);
  EXPECT_EQ(operand_alignment(uintptr_t{0}), 256u);
  alignas(256) static const int8_t rows[4][48] = {};
  EXPECT_EQ(operand_alignment(&rows[0][0]), 256u);
  EXPECT_EQ(operand_alignment(&rows[1][0]), 16u);
}

TEST(Int8AlgoKey, TheSameShapeAtAnotherAlignmentIsAnotherEntry) {
  std::map<Int8AlgoKey, int> cache;
  const Int8AlgoKey aligned{0, 64, 32, 256, 256, 256, 256};
  Int8AlgoKey slice = aligned;
  slice.align_b = 16;  // a (cuBLASLt's B) passed straight in from row 1 of a larger matrix
  cache[aligned] = 1;
  EXPECT_EQ(cache.count(slice), 0u);
  cache[slice] = 2;
  EXPECT_EQ(cache.at(aligned), 1);
  EXPECT_EQ(cache.size(), 2u);
  Int8AlgoKey other_device = aligned;
  other_device.device = 1;
  EXPECT_EQ(cache.count(other_device), 0u);
  EXPECT_EQ(cache.count(Int8AlgoKey{0, 64, 32, 256, 256, 256, 256}), 1u);
}

}  // namespace
}  // namespace tango::kernels::cuda
