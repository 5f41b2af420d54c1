// CUDA GEMMs against the CPU ones on the same inputs. QGEMM must match exactly: the INT32 sums are
// exact and the epilogue formula is shared (quant_math.h, no FMA contraction).
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <utility>

#include "kernels/gemm.h"
#include "tests/kernels/test_util.h"

namespace tango::kernels {
namespace {

using testing::random_matrix;

struct Dims {
  int64_t m, k, n;
};
// K % 16 != 0 forces the packing path; 64 x 256 x 32 runs the direct (unpacked) tensor-core path.
const Dims kDims[] = {{1, 1, 1}, {5, 3, 9}, {17, 33, 6}, {64, 256, 32}, {300, 130, 31}, {2050, 64, 256}};

Tensor random_codes(int64_t rows, int64_t cols, uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_int_distribution<int> dist(-127, 127);
  std::vector<int8_t> v(static_cast<size_t>(rows * cols));
  for (int8_t& x : v) x = static_cast<int8_t>(dist(gen));
  return Tensor::from(v, rows, cols);
}

QTensor to_gpu(const QTensor& q) {
  return {q.values.to(Device::cuda(0)), q.scales.to(Device::cuda(0))};
}

TEST(GemmCuda, Fp32MatchesCpuWithinSummationOrderError) {
  TANGO_REQUIRE_GPU();
  for (Dims d : kDims)
    for (bool ta : {false, true})
      for (bool tb : {false, true}) {
        Tensor a = random_matrix(ta ? d.k : d.m, ta ? d.m : d.k, 1),
               b = random_matrix(tb ? d.n : d.k, tb ? d.k : d.n, 2);
        Tensor bias = random_matrix(1, d.n, 3).reshaped(Shape::vec(d.n));
        Tensor out = Tensor::empty(DType::kF32, Shape::mat(d.m, d.n));
        Tensor out_gpu = Tensor::empty(DType::kF32, out.shape(), Device::cuda(0));
        GemmOptions opt{.transpose_a = ta, .transpose_b = tb};
        gemm(a, b, out, opt, bias);
        gemm(a.to(Device::cuda(0)), b.to(Device::cuda(0)), out_gpu, opt, bias.to(Device::cuda(0)));
        std::vector<float> got = out_gpu.to_vector<float>();
        // Both sums are within (k + 1) eps sum|a b| of the exact value; inputs are in [-1, 1].
        const double tol = 2 * (d.k + 1) * 1.2e-7 * d.k + 1e-6;
        for (int64_t i = 0; i < out.numel(); ++i) ASSERT_NEAR(got[i], out.data<float>()[i], tol);
      }
}

TEST(QGemmCuda, MatchesCpuExactlyForEveryLayoutWithBiasAndAmax) {
  TANGO_REQUIRE_GPU();
  for (Dims d : kDims)
    for (bool ta : {false, true})
      for (bool tb : {false, true})
        for (bool per_row : {false, true}) {
          if (per_row && ta) continue;
          QTensor qa{
              random_codes(ta ? d.k : d.m, ta ? d.m : d.k, 4),
              random_matrix(1, per_row ? d.m : 1, 5, 0.01f, 0.1f).reshaped(Shape::vec(per_row ? d.m : 1))};
          QTensor qb{random_codes(tb ? d.n : d.k, tb ? d.k : d.n, 6),
                     Tensor::from(std::vector<float>{0.02f})};
          Tensor bias = random_matrix(1, d.n, 7).reshaped(Shape::vec(d.n));
          Tensor out = Tensor::empty(DType::kF32, Shape::mat(d.m, d.n)),
                 amax = Tensor::empty(DType::kF32, Shape::vec(1));
          Tensor out_gpu = Tensor::empty(DType::kF32, out.shape(), Device::cuda(0));
          Tensor amax_gpu = Tensor::empty(DType::kF32, Shape::vec(1), Device::cuda(0));
          QGemmOptions opt{.transpose_a = ta, .transpose_b = tb};
          qgemm(qa, qb, out, opt, bias, &amax);
          qgemm(to_gpu(qa), to_gpu(qb), out_gpu, opt, bias.to(Device::cuda(0)), &amax_gpu);
          SCOPED_TRACE(::testing::Message() << d.m << "x" << d.k << "x" << d.n << " ta " << ta << " tb " << tb
                                            << " per_row " << per_row);
          EXPECT_EQ(out_gpu.to_vector<float>(), out.to_vector<float>());
          EXPECT_EQ(amax_gpu.to_vector<float>(), amax.to_vector<float>());
        }
}

TEST(QGemmCuda, LongReductionIsChunkedLikeTheCpu) {
  TANGO_REQUIRE_GPU();
  const int64_t m = 3, k = 70001, n = 5;  // dw-like: a transposed, reduction over "nodes"
  QTensor qa{random_codes(k, m, 8), Tensor::from(std::vector<float>{0.5f})};
  QTensor qb{random_codes(k, n, 9), Tensor::from(std::vector<float>{0.25f})};
  Tensor out = Tensor::empty(DType::kF32, Shape::mat(m, n)),
         out_gpu = Tensor::empty(DType::kF32, out.shape(), Device::cuda(0));
  qgemm(qa, qb, out, {.transpose_a = true});
  qgemm(to_gpu(qa), to_gpu(qb), out_gpu, {.transpose_a = true});
  EXPECT_EQ(out_gpu.to_vector<float>(), out.to_vector<float>());
}

// Block scales of b (the weight gradient's row blocks): the same chunks, scales and epilogue as the CPU, so
// the same bits; blocks of 256 rows over 1000 (a short last block) and of 64 over an aligned 256.
TEST(QGemmCuda, BlockScalesOfBMatchTheCpuExactly) {
  TANGO_REQUIRE_GPU();
  for (auto [k, block] : {std::pair<int64_t, int64_t>{1000, 256}, {256, 64}}) {
    const int64_t m = 48, n = 40, blocks = (k + block - 1) / block;
    QTensor qa{random_codes(k, m, 10), Tensor::from(std::vector<float>{0.02f})};
    QTensor qb{random_codes(k, n, 11),
               random_matrix(1, blocks, 12, 0.001f, 0.5f).reshaped(Shape::vec(blocks))};
    Tensor out = Tensor::empty(DType::kF32, Shape::mat(m, n)),
           out_gpu = Tensor::empty(DType::kF32, out.shape(), Device::cuda(0));
    qgemm(qa, qb, out, {.transpose_a = true, .b_scale_block_rows = block});
    qgemm(to_gpu(qa), to_gpu(qb), out_gpu, {.transpose_a = true, .b_scale_block_rows = block});
    EXPECT_EQ(out_gpu.to_vector<float>(), out.to_vector<float>()) << "K " << k << ", blocks of " << block;
  }
}

}  // namespace
}  // namespace tango::kernels
