#include "kernels/gemm.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "kernels/cpu/int8_gemm_exact.h"
#include "kernels/cpu/int8_matmul.h"
#include "kernels/quantize.h"
#include "tests/kernels/test_util.h"

namespace tango::kernels {
namespace {

using testing::random_matrix;

struct Dims {
  int64_t m, k, n;
};
// One row, K % 4 != 0, K = 1, tails past SIMD widths, a block boundary of the CPU epilogue (2048 rows), and
// K past one depth chunk of the exact fp32 path without VNNI (512: cpu/int8_gemm_exact.h).
const Dims kDims[] = {{1, 1, 1},     {1, 7, 3},       {5, 3, 9},   {17, 33, 6},
                      {64, 130, 31}, {2050, 20, 300}, {9, 1030, 7}};

// Stores op(x) (rows x cols) as x, or transposed when `transpose`.
template <class T>
Tensor store(const std::vector<T>& op_values, int64_t rows, int64_t cols, bool transpose) {
  if (!transpose) return Tensor::from(op_values, rows, cols);
  std::vector<T> t(op_values.size());
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j) t[j * rows + i] = op_values[i * cols + j];
  return Tensor::from(t, cols, rows);
}

TEST(Gemm, MatchesLoopForEveryTransposeWithBias) {
  for (Dims d : kDims)
    for (bool ta : {false, true})
      for (bool tb : {false, true}) {
        auto a = testing::random_values(d.m * d.k, 1), b = testing::random_values(d.k * d.n, 2);
        Tensor bias = random_matrix(1, d.n, 3).reshaped(Shape::vec(d.n));
        Tensor out = Tensor::empty(DType::kF32, Shape::mat(d.m, d.n));
        gemm(store(a, d.m, d.k, ta), store(b, d.k, d.n, tb), out, {.transpose_a = ta, .transpose_b = tb},
             bias);
        for (int64_t i = 0; i < d.m; ++i)
          for (int64_t j = 0; j < d.n; ++j) {
            double want = bias.data<float>()[j], magnitude = std::fabs(want);
            for (int64_t k = 0; k < d.k; ++k) {
              want += double(a[i * d.k + k]) * b[k * d.n + j];
              magnitude += std::fabs(double(a[i * d.k + k]) * b[k * d.n + j]);
            }
            // FP32 summation: error at most (k + 1) ulps of the sum of magnitudes.
            ASSERT_NEAR(out.data<float>()[i * d.n + j], want, (d.k + 1) * 1.2e-7 * magnitude)
                << d.m << "x" << d.k << "x" << d.n << " ta " << ta << " tb " << tb;
          }
      }
}

// Random codes and scales; the product must equal float(sum of integer products) * (sa * sb) + bias,
// bit for bit (the INT32 sum is exact and the epilogue formula is fixed).
void expect_qgemm_exact(Dims d, bool ta, bool tb, bool a_unsigned, bool a_per_row, CpuInt8Path path) {
  std::mt19937 gen(static_cast<uint32_t>(d.m * 131 + d.k * 7 + d.n));
  std::uniform_int_distribution<int> a_dist(a_unsigned ? 0 : -127, a_unsigned ? 255 : 127), b_dist(-127, 127);
  std::vector<int> a(d.m * d.k), b(d.k * d.n);
  for (int& v : a) v = a_dist(gen);
  for (int& v : b) v = b_dist(gen);
  std::vector<int8_t> a8(a.begin(), a.end()), b8(b.begin(), b.end());
  std::vector<uint8_t> au(a.begin(), a.end());
  QTensor qa{a_unsigned ? store(au, d.m, d.k, ta) : store(a8, d.m, d.k, ta),
             random_matrix(1, a_per_row ? d.m : 1, 4, 0.01f, 0.1f).reshaped(Shape::vec(a_per_row ? d.m : 1))};
  QTensor qb{store(b8, d.k, d.n, tb), Tensor::from(std::vector<float>{0.037f})};
  Tensor bias = random_matrix(1, d.n, 5).reshaped(Shape::vec(d.n));
  Tensor out = Tensor::empty(DType::kF32, Shape::mat(d.m, d.n));
  Tensor amax_out = Tensor::empty(DType::kF32, Shape::vec(1));
  qgemm(qa, qb, out, {.transpose_a = ta, .transpose_b = tb, .cpu_int8_path = path}, bias, &amax_out);
  float want_amax = 0.0f;
  for (int64_t i = 0; i < d.m; ++i)
    for (int64_t j = 0; j < d.n; ++j) {
      int64_t acc = 0;
      for (int64_t k = 0; k < d.k; ++k) acc += int64_t{a[i * d.k + k]} * b[k * d.n + j];
      float scale = qa.scales.data<float>()[a_per_row ? i : 0] * 0.037f;
      float want = static_cast<float>(acc) * scale + bias.data<float>()[j];
      ASSERT_EQ(out.data<float>()[i * d.n + j], want)
          << d.m << "x" << d.k << "x" << d.n << " ta " << ta << " tb " << tb << " unsigned " << a_unsigned;
      want_amax = std::max(want_amax, std::fabs(want));
    }
  EXPECT_EQ(amax_out.data<float>()[0], want_amax);
}

TEST(QGemm, MatchesIntegerLoopForEveryLayoutAndPath) {
  for (Dims d : kDims)
    for (bool ta : {false, true})
      for (bool tb : {false, true}) {
        for (CpuInt8Path path : {CpuInt8Path::kMatmul, CpuInt8Path::kBlasShiftToUint8}) {
          expect_qgemm_exact(d, ta, tb, false, false, path);
          expect_qgemm_exact(d, ta, tb, true, false, path);
          if (!ta) expect_qgemm_exact(d, ta, tb, false, true, path);
        }
      }
}

// The matmul path creates one oneDNN primitive per shape and reuses it (creation costs ~0.1-0.6 ms).
TEST(QGemm, MatmulPrimitiveIsCreatedOncePerShape) {
  if (!cpu::onednn_int8_is_exact())
    GTEST_SKIP()
        << "this CPU has no VNNI or AMX: QGEMM runs the exact fp32 path (kernels/cpu/int8_gemm_exact.h) "
           "and creates no oneDNN primitive";
  const Dims d{37, 29, 11};
  expect_qgemm_exact(d, false, false, false, false, CpuInt8Path::kMatmul);
  const int64_t created = cpu::int8_matmul_primitives_created();
  for (int i = 0; i < 3; ++i) expect_qgemm_exact(d, false, false, false, false, CpuInt8Path::kMatmul);
  EXPECT_EQ(cpu::int8_matmul_primitives_created(), created);
  expect_qgemm_exact(d, true, false, false, false, CpuInt8Path::kMatmul);  // another layout: one more
  EXPECT_EQ(cpu::int8_matmul_primitives_created(), created + 1);
}

// The path QGEMM takes on CPUs without VNNI/AMX, tested on every CPU: exact for every layout, signed
// and unsigned A, and the extreme codes that make oneDNN's 16-bit pair sums saturate without VNNI
// (255 * 127 * 2 > 32767), over a depth of several fp32 chunks.
TEST(QGemm, Fp32EmulationIsExactWhereSixteenBitSumsWouldSaturate) {
  const int64_t m = 5, n = 4, k = 1300;  // 1300 = two full chunks of 512 and a partial one
  std::mt19937 gen(11);
  for (bool a_unsigned : {false, true})
    for (bool ta : {false, true})
      for (bool tb : {false, true}) {
        std::uniform_int_distribution<int> a_dist(a_unsigned ? 200 : -127, a_unsigned ? 255 : 127);
        std::uniform_int_distribution<int> b_dist(-127, 127);
        std::vector<int> a(m * k), b(k * n);
        for (size_t i = 0; i < a.size(); ++i) a[i] = i % 7 == 0 ? (a_unsigned ? 255 : -127) : a_dist(gen);
        for (size_t i = 0; i < b.size(); ++i) b[i] = i % 5 == 0 ? 127 : b_dist(gen);
        // Storage: a is m x k (k x m when transposed), b is k x n (n x k when transposed).
        std::vector<uint8_t> a_store(m * k);
        std::vector<int8_t> b_store(k * n);
        for (int64_t i = 0; i < m; ++i)
          for (int64_t kk = 0; kk < k; ++kk)
            a_store[ta ? kk * m + i : i * k + kk] = static_cast<uint8_t>(a[i * k + kk]);
        for (int64_t kk = 0; kk < k; ++kk)
          for (int64_t j = 0; j < n; ++j)
            b_store[tb ? j * k + kk : kk * n + j] = static_cast<int8_t>(b[kk * n + j]);
        std::vector<int32_t> acc(m * n);
        cpu::int8_gemm_via_fp32(m, n, k, a_store.data(), ta ? m : k, ta, a_unsigned, b_store.data(),
                                tb ? k : n, tb, acc.data());
        for (int64_t i = 0; i < m; ++i)
          for (int64_t j = 0; j < n; ++j) {
            int64_t want = 0;
            for (int64_t kk = 0; kk < k; ++kk) want += int64_t{a[i * k + kk]} * b[kk * n + j];
            ASSERT_EQ(acc[i * n + j], want) << "ta " << ta << " tb " << tb << " unsigned " << a_unsigned;
          }
      }
}

// A reduction longer than kMaxInt32ReductionLength is split into INT32 chunks added in FP32: all-max
// codes would overflow a single INT32 sum (255 * 127 * 70000 > 2^31).
TEST(QGemm, LongReductionDoesNotOverflow) {
  const int64_t m = 2, k = 70000, n = 3;
  QTensor qa{Tensor::from(std::vector<uint8_t>(m * k, 255), m, k), Tensor::from(std::vector<float>{1.0f})};
  QTensor qb{Tensor::from(std::vector<int8_t>(k * n, 127), k, n), Tensor::from(std::vector<float>{1.0f})};
  Tensor out = Tensor::empty(DType::kF32, Shape::mat(m, n));
  qgemm(qa, qb, out);
  for (float v : out.to_vector<float>()) EXPECT_NEAR(v, 255.0 * 127.0 * k, 255.0 * 127.0 * k * 2.4e-7);
}

// INT8 GEMM vs FP32 GEMM on the same data: with x = x^ + ex, |ex| <= sx / 2 (and the same for w),
// |x.w - x^.w^| <= sum_k |x_ik| sw / 2 + |w_kj| sx / 2 + sx sw / 4.
TEST(QGemm, IsWithinTheInt8ErrorBoundOfFp32) {
  for (Dims d : kDims)
    for (auto format : {QuantFormat::kInt8, QuantFormat::kUint8}) {
      Tensor x = random_matrix(d.m, d.k, 6, format == QuantFormat::kUint8 ? 0.0f : -2.0f, 2.0f);
      Tensor w = random_matrix(d.k, d.n, 7, -0.5f, 0.5f);
      Tensor ref = Tensor::empty(DType::kF32, Shape::mat(d.m, d.n)), out = ref.clone();
      gemm(x, w, ref);
      QTensor qx = make_qtensor(d.m, d.k, {.format = format}, Device::cpu());
      QTensor qw = make_qtensor(d.k, d.n, {}, Device::cpu());
      quantize(x, qx, {.format = format});
      quantize(w, qw);
      qgemm(qx, qw, out);
      const float sx = qx.scales.data<float>()[0], sw = qw.scales.data<float>()[0];
      for (int64_t i = 0; i < d.m; ++i)
        for (int64_t j = 0; j < d.n; ++j) {
          double bound = 0.0, magnitude = 0.0;
          for (int64_t k = 0; k < d.k; ++k) {
            double xv = std::fabs(x.data<float>()[i * d.k + k]), wv = std::fabs(w.data<float>()[k * d.n + j]);
            bound += xv * sw / 2 + wv * sx / 2 + double(sx) * sw / 4;
            magnitude += xv * wv;
          }
          bound += 2 * (d.k + 1) * 1.2e-7 * magnitude;  // FP32 rounding of both products
          ASSERT_LE(std::fabs(out.data<float>()[i * d.n + j] - ref.data<float>()[i * d.n + j]), bound);
        }
    }
}

// Block scales of b (the weight gradient X^T dY with dY quantized per row block): one call equals, bit
// for bit, the sum in block order of float(block's INT32 sum) * (sa * sb[block]), each added in FP32 to the
// running result (the first block plus the bias). Blocks of 1, 64 and 100 rows over K = 250 (a short last
// block), a and b in every layout qgemm allows for a transposed a, u8 and i8 a, both CPU paths.
TEST(QGemm, BlockScalesOfBSumTheBlocksInOrder) {
  const int64_t m = 7, k = 250, n = 5;
  std::mt19937 gen(11);
  std::uniform_int_distribution<int> a_dist(-127, 127), b_dist(-127, 127);
  std::vector<int> a(m * k), b(k * n);
  for (int& v : a) v = a_dist(gen);
  for (int& v : b) v = b_dist(gen);
  for (int64_t block : {1, 64, 100})
    for (bool a_unsigned : {false, true})
      for (CpuInt8Path path : {CpuInt8Path::kMatmul, CpuInt8Path::kBlasShiftToUint8}) {
        const int64_t blocks = (k + block - 1) / block;
        std::vector<int8_t> a8(a.begin(), a.end()), b8(b.begin(), b.end());
        std::vector<uint8_t> au(a.size());
        for (size_t i = 0; i < a.size(); ++i) au[i] = static_cast<uint8_t>(a[i] + 127);
        const std::vector<int> a_used = [&] {
          std::vector<int> v(a.size());
          for (size_t i = 0; i < a.size(); ++i) v[i] = a_unsigned ? a[i] + 127 : a[i];
          return v;
        }();
        QTensor qa{a_unsigned ? store(au, m, k, true) : store(a8, m, k, true),
                   Tensor::from(std::vector<float>{0.013f})};
        QTensor qb{Tensor::from(b8, k, n),
                   random_matrix(1, blocks, 12, 0.001f, 0.5f).reshaped(Shape::vec(blocks))};
        Tensor bias = random_matrix(1, n, 13).reshaped(Shape::vec(n));
        Tensor out = Tensor::empty(DType::kF32, Shape::mat(m, n));
        Tensor amax_out = Tensor::empty(DType::kF32, Shape::vec(1));
        qgemm(qa, qb, out, {.transpose_a = true, .cpu_int8_path = path, .b_scale_block_rows = block}, bias,
              &amax_out);
        float want_amax = 0.0f;
        for (int64_t i = 0; i < m; ++i)
          for (int64_t j = 0; j < n; ++j) {
            float want = 0.0f;
            for (int64_t blk = 0; blk < blocks; ++blk) {
              int64_t acc = 0;
              for (int64_t kk = blk * block; kk < std::min(k, (blk + 1) * block); ++kk)
                acc += int64_t{a_used[i * k + kk]} * b[kk * n + j];
              const float v = static_cast<float>(acc) * (0.013f * qb.scales.data<float>()[blk]);
              want = blk == 0 ? v + bias.data<float>()[j] : want + v;
            }
            ASSERT_EQ(out.data<float>()[i * n + j], want)
                << "block " << block << " unsigned " << a_unsigned << " at " << i << "," << j;
            want_amax = std::max(want_amax, std::fabs(want));
          }
        EXPECT_EQ(amax_out.data<float>()[0], want_amax);
      }
  // What the blocks need: b not transposed, one scale per block, one scale for a.
  QTensor qa{Tensor::zeros(DType::kI8, Shape::mat(k, m)), Tensor::from(std::vector<float>{1.0f})};
  QTensor qb{Tensor::zeros(DType::kI8, Shape::mat(k, n)), Tensor::zeros(DType::kF32, Shape::vec(3))};
  Tensor out = Tensor::empty(DType::kF32, Shape::mat(m, n));
  EXPECT_THROW(qgemm(qa, qb, out, {.transpose_a = true, .b_scale_block_rows = 64}), Error);  // 4 blocks
  EXPECT_NO_THROW(qgemm(qa, qb, out, {.transpose_a = true, .b_scale_block_rows = 100}));
  QTensor qb_t{Tensor::zeros(DType::kI8, Shape::mat(n, k)), qb.scales};
  EXPECT_THROW(qgemm(qa, qb_t, out, {.transpose_a = true, .transpose_b = true, .b_scale_block_rows = 100}),
               Error);
}

TEST(QGemm, RejectsMismatchedShapesWithBothShapesInTheMessage) {
  QTensor qa{Tensor::zeros(DType::kI8, Shape::mat(4, 5)), Tensor::from(std::vector<float>{1.0f})};
  QTensor qb{Tensor::zeros(DType::kI8, Shape::mat(6, 3)), Tensor::from(std::vector<float>{1.0f})};
  Tensor out = Tensor::empty(DType::kF32, Shape::mat(4, 3));
  try {
    qgemm(qa, qb, out);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("i8[4, 5]"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("i8[6, 3]"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace tango::kernels
