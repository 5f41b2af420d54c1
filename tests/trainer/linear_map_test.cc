// LinearMap (trainer/layers/linear_map.h), the dense product of every layer, under --precision int8
// against the same map in fp32: each INT8 product (y = x W, dx = dy W^T, dW = x^T dy from per-tensor
// INT8 operands, x and W cached from the forward) stays within the quantization bound of a QGEMM.
#include "trainer/layers/linear_map.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

namespace tango::trainer {
namespace {

Tensor uniform_matrix(int64_t rows, int64_t cols, uint32_t seed, float lo, float hi) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  Tensor t = Tensor::empty(DType::kF32, Shape::mat(rows, cols));
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = dist(rng);
  return t;
}

float amax(const Tensor& t) {
  float m = 0.0f;
  for (float v : t.to_vector<float>()) m = std::max(m, std::fabs(v));
  return m;
}

// Each INT8 product of depth d obeys |error| <= d (|a|max s_b / 2 + |b|max s_a / 2 + s_a s_b / 4) (every
// term at its largest), plus FP32 rounding.
double qgemm_bound(int64_t depth, const Tensor& a, const Tensor& b) {
  const double sa = amax(a) / 127.0, sb = amax(b) / 127.0;
  return depth * (amax(a) * sb / 2 + amax(b) * sa / 2 + sa * sb / 4) + 1e-5;
}

TEST(LinearMap, Int8ForwardAndBackwardAreWithinTheQuantizationBound) {
  const int64_t m = 13, k = 7, n = 5;  // k % 4 != 0
  const Tensor x = uniform_matrix(m, k, 5, -1.0f, 1.0f), w = uniform_matrix(k, n, 6, -0.3f, 0.3f);
  const Tensor dy = uniform_matrix(m, n, 8, -0.1f, 0.1f);
  LinearMap fp32("w", k, n, 1, 0, 0), int8("w", k, n, 1, 0, 0);
  fp32.weight().value.copy_from(w);
  int8.weight().value.copy_from(w);
  Tensor y_ref = Tensor::empty(DType::kF32, Shape::mat(m, n)), y = y_ref.clone();
  fp32.forward(x, Precision::kFP32, y_ref);
  int8.forward(x, Precision::kINT8, y);
  Tensor dx_ref, dx;
  fp32.backward(dy, Precision::kFP32, &dx_ref);
  int8.backward(dy, Precision::kINT8, &dx);
  for (int64_t i = 0; i < y.numel(); ++i)
    EXPECT_NEAR(y.data<float>()[i], y_ref.data<float>()[i], qgemm_bound(k, x, w)) << "y " << i;
  for (int64_t i = 0; i < dx.numel(); ++i)
    EXPECT_NEAR(dx.data<float>()[i], dx_ref.data<float>()[i], qgemm_bound(n, dy, w)) << "dx " << i;
  const Tensor& dw = int8.weight().grad;
  const Tensor& dw_ref = fp32.weight().grad;
  for (int64_t i = 0; i < dw.numel(); ++i)
    EXPECT_NEAR(dw.data<float>()[i], dw_ref.data<float>()[i], qgemm_bound(m, x, dy)) << "dW " << i;
  // Not vacuous: the INT8 products differ from the FP32 ones.
  EXPECT_NE(y.to_vector<float>(), y_ref.to_vector<float>());
}

}  // namespace
}  // namespace tango::trainer
