// LinearMap (trainer/layers/linear_map.h), the dense product of every layer, under --precision int8
// against the same map in fp32. Each INT8 product stays within the rounding bound of its operands: a
// product of depth d from codes whose elements are off by at most e_a and e_b (half a scale step when
// rounded to nearest, a whole step when rounded stochastically) is off by at most
// d (|a|max e_b + |b|max e_a + e_a e_b), plus FP32 rounding. y = x W: x and W per tensor, nearest;
// dx = dy W^T: dy with one scale per row, nearest (so each row of dx has its own bound); dW = x^T dy:
// dy stochastic with one scale per block of rows (each block its own bound), whose blocks keep the rows
// beside a hub where one scale per tensor rounds them away.
#include "trainer/layers/linear_map.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "trainer/ops.h"

namespace tango::trainer {
namespace {

Tensor uniform_matrix(int64_t rows, int64_t cols, uint32_t seed, float lo, float hi) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  Tensor t = Tensor::empty(DType::kF32, Shape::mat(rows, cols));
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = dist(rng);
  return t;
}

double amax(const float* v, int64_t n) {
  double m = 0.0;
  for (int64_t i = 0; i < n; ++i) m = std::max(m, static_cast<double>(std::fabs(v[i])));
  return m;
}
double amax(const Tensor& t) {
  return amax(t.data<float>(), t.numel());
}

// e_a, e_b: the largest error of one code times its scale.
double product_bound(int64_t depth, double amax_a, double err_a, double amax_b, double err_b) {
  return depth * (amax_a * err_b + amax_b * err_a + err_a * err_b) + 1e-5;
}

TEST(LinearMap, Int8ForwardAndBackwardAreWithinTheirOperandsRoundingBounds) {
  const int64_t m = 13, k = 7, n = 5;  // k % 4 != 0
  const Tensor x = uniform_matrix(m, k, 5, -1.0f, 1.0f), w = uniform_matrix(k, n, 6, -0.3f, 0.3f);
  Tensor dy = uniform_matrix(m, n, 8, -0.1f, 0.1f);
  for (int64_t j = 0; j < n; ++j) dy.data<float>()[3 * n + j] *= 1e-3f;  // a row far below the others
  LinearMap fp32("w", k, n, 1, 0, 0), int8("w", k, n, 1, 0, 0);
  fp32.weight().value.copy_from(w);
  int8.weight().value.copy_from(w);
  Tensor y_ref = Tensor::empty(DType::kF32, Shape::mat(m, n)), y = y_ref.clone();
  fp32.forward(x, Precision::kFP32, y_ref);
  int8.forward(x, Precision::kINT8, y);
  LayerContext fp32_context, int8_context;
  int8_context.precision = Precision::kINT8;
  int8_context.seed = 3;
  int8_context.gradient_rounding_stream = 4;
  Tensor dx_ref, dx;
  fp32.backward(dy, fp32_context, &dx_ref);
  int8.backward(dy, int8_context, &dx);

  const double sx = amax(x) / 127, sw = amax(w) / 127, sdy = amax(dy) / 127;  // m < one block of rows
  for (int64_t i = 0; i < y.numel(); ++i)
    EXPECT_NEAR(y.data<float>()[i], y_ref.data<float>()[i],
                product_bound(k, amax(x), sx / 2, amax(w), sw / 2))
        << "y " << i;
  for (int64_t r = 0; r < m; ++r) {
    const double row_amax = amax(dy.data<float>() + r * n, n), s_row = row_amax / 127;
    const double bound = product_bound(n, row_amax, s_row / 2, amax(w), sw / 2);
    for (int64_t c = 0; c < k; ++c)
      EXPECT_NEAR(dx.data<float>()[r * k + c], dx_ref.data<float>()[r * k + c], bound)
          << "dx " << r << "," << c;
  }
  const Tensor& dw = int8.weight().grad;
  const Tensor& dw_ref = fp32.weight().grad;
  for (int64_t i = 0; i < dw.numel(); ++i)
    EXPECT_NEAR(dw.data<float>()[i], dw_ref.data<float>()[i],
                product_bound(m, amax(x), sx / 2, amax(dy), sdy))
        << "dW " << i;
  // Not vacuous: the INT8 products differ from the FP32 ones.
  EXPECT_NE(y.to_vector<float>(), y_ref.to_vector<float>());
}

// dW = x^T dy over 2.4 blocks of rows with a hub row (1000x the others) in the first block: each block's
// scale is its own amax / 127, the blocked product is the sum of the blocks' scaled INT32 products, and
// its error against FP32 is a fraction of what one scale per tensor leaves (whose step is set by the hub).
TEST(LinearMap, WeightGradientBlocksKeepTheRowsBesideAHub) {
  const int64_t block = kGradientBlockRows, m = 2 * block + 100, k = 6, n = 4;
  const Tensor x = uniform_matrix(m, k, 11, -1.0f, 1.0f);
  Tensor dy = uniform_matrix(m, n, 12, -0.1f, 0.1f);
  for (int64_t j = 0; j < n; ++j) dy.data<float>()[7 * n + j] *= 1000.0f;
  const kernels::QTensor xq = quantize_int8(x);
  const kernels::QTensor blocks = quantize_int8_stochastic_blocks(dy, block, 3, 4);
  const kernels::QTensor whole = quantize_int8_stochastic_blocks(dy, m, 3, 4);
  ASSERT_EQ(blocks.scales.numel(), 3);
  ASSERT_EQ(whole.scales.numel(), 1);
  for (int64_t b = 0; b < 3; ++b) {
    const int64_t begin = b * block, rows = std::min(m, begin + block) - begin;
    EXPECT_FLOAT_EQ(blocks.scales.data<float>()[b], amax(dy.data<float>() + begin * n, rows * n) / 127);
  }
  Tensor dw_ref = Tensor::empty(DType::kF32, Shape::mat(k, n)), dw = dw_ref.clone(),
         dw_whole = dw_ref.clone();
  gemm(x, true, dy, false, dw_ref);
  qgemm_row_blocks(xq, blocks, block, dw);
  qgemm_row_blocks(xq, whole, m, dw_whole);
  // The blocked product against the same sum written out on the host.
  const float sx = xq.scales.data<float>()[0];
  for (int64_t i = 0; i < k; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      double expected = 0.0;
      for (int64_t b = 0; b < 3; ++b) {
        int64_t sum = 0;
        for (int64_t r = b * block; r < std::min(m, (b + 1) * block); ++r)
          sum += int64_t{xq.values.data<int8_t>()[r * k + i]} * blocks.values.data<int8_t>()[r * n + j];
        expected += static_cast<double>(sx) * blocks.scales.data<float>()[b] * static_cast<double>(sum);
      }
      EXPECT_NEAR(dw.data<float>()[i * n + j], expected, 1e-5 * std::fabs(expected) + 1e-6) << i << "," << j;
    }
  }
  // The rows beside the hub's block: their share of dW from the blocks' codes against one scale's codes.
  const Tensor x_tail = x.slice_rows(block, m), dy_tail = dy.slice_rows(block, m);
  const kernels::QTensor xq_tail{xq.values.slice_rows(block, m), xq.scales};
  Tensor tail_ref = dw_ref.clone(), tail_blocks = dw_ref.clone(), tail_whole = dw_ref.clone();
  gemm(x_tail, true, dy_tail, false, tail_ref);
  qgemm_row_blocks(xq_tail, {blocks.values.slice_rows(block, m), blocks.scales.slice_rows(1, 3)}, block,
                   tail_blocks);
  qgemm_row_blocks(xq_tail, {whole.values.slice_rows(block, m), whole.scales}, m - block, tail_whole);
  double err_blocks = 0.0, err_whole = 0.0;
  for (int64_t i = 0; i < k * n; ++i) {
    err_blocks += std::pow(tail_blocks.data<float>()[i] - tail_ref.data<float>()[i], 2);
    err_whole += std::pow(tail_whole.data<float>()[i] - tail_ref.data<float>()[i], 2);
  }
  EXPECT_LT(std::sqrt(err_blocks), 0.1 * std::sqrt(err_whole)) << err_blocks << " vs " << err_whole;
}

}  // namespace
}  // namespace tango::trainer
