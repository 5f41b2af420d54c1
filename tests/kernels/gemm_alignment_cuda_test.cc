// QGEMM on operands passed straight to cuBLASLt that are only 16-byte aligned (row slices of larger
// INT8 matrices), after the same shape ran on 256-byte-aligned operands: the cached algorithm must not
// be one that assumes the larger alignment (kernels/cuda/lt_algo_key.h). Exact against the CPU.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "kernels/gemm.h"
#include "tests/kernels/test_util.h"

namespace tango::kernels {
namespace {

using testing::random_matrix;

Tensor random_codes(int64_t rows, int64_t cols, uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_int_distribution<int> dist(-127, 127);
  std::vector<int8_t> v(static_cast<size_t>(rows * cols));
  for (int8_t& x : v) x = static_cast<int8_t>(dist(gen));
  return Tensor::from(v, rows, cols);
}

TEST(QGemmCuda, SixteenByteAlignedRowSlicesAfterAlignedOperandsOfTheSameShapeMatchTheCpu) {
  TANGO_REQUIRE_GPU();
  const Device gpu = Device::cuda(0);
  // K = 48 (a multiple of 16: the direct path); row r of an [*, 48] INT8 matrix starts 48 r bytes in.
  const int64_t m = 200, k = 48, n = 64;
  Tensor a_rows = random_codes(m + 1, k, 1), b_rows = random_codes(n + 3, k, 2);
  Tensor a_scale = Tensor::from(std::vector<float>{0.03f}), b_scale = Tensor::from(std::vector<float>{0.02f});
  Tensor bias = random_matrix(1, n, 3).reshaped(Shape::vec(n));
  Tensor a_gpu = a_rows.to(gpu), b_gpu = b_rows.to(gpu), bias_gpu = bias.to(gpu);
  const QGemmOptions opt{.transpose_b = true};  // b stored [n, k]: both operands go in unpacked
  for (int64_t first_row : {0, 1}) {  // 0: 256-byte aligned (fills the cache); 1: 48 bytes in, 16-aligned
    for (int64_t first_b_row : {0, 1, 3}) {
      const QTensor qa{a_rows.slice_rows(first_row, first_row + m), a_scale};
      const QTensor qb{b_rows.slice_rows(first_b_row, first_b_row + n), b_scale};
      const QTensor qa_gpu{a_gpu.slice_rows(first_row, first_row + m), a_scale.to(gpu)};
      const QTensor qb_gpu{b_gpu.slice_rows(first_b_row, first_b_row + n), b_scale.to(gpu)};
      Tensor out = Tensor::empty(DType::kF32, Shape::mat(m, n));
      Tensor out_gpu = Tensor::empty(DType::kF32, out.shape(), gpu);
      qgemm(qa, qb, out, opt, bias);
      qgemm(qa_gpu, qb_gpu, out_gpu, opt, bias_gpu);
      EXPECT_EQ(out_gpu.to_vector<float>(), out.to_vector<float>())
          << "a from row " << first_row << ", b from row " << first_b_row;
    }
  }
}

}  // namespace
}  // namespace tango::kernels
