#include "kernels/elementwise.h"

#include <gtest/gtest.h>

#include <cmath>

#include "tests/kernels/test_util.h"

namespace tango::kernels {
namespace {

using testing::random_matrix;

TEST(BiasAdd, AddsTheBiasToEveryRowAndColumnSumIsItsGradient) {
  Tensor y = random_matrix(37, 5, 1), bias = random_matrix(1, 5, 2).reshaped(Shape::vec(5));
  Tensor before = y.clone();
  bias_add(y, bias);
  std::vector<double> sums(5, 0.0);
  for (int64_t r = 0; r < 37; ++r)
    for (int64_t j = 0; j < 5; ++j) {
      EXPECT_EQ(y.data<float>()[r * 5 + j], before.data<float>()[r * 5 + j] + bias.data<float>()[j]);
      sums[j] += y.data<float>()[r * 5 + j];
    }
  Tensor db = Tensor::empty(DType::kF32, Shape::vec(5));
  column_sum(y, db);
  for (int64_t j = 0; j < 5; ++j) EXPECT_NEAR(db.data<float>()[j], sums[j], 37 * 1.2e-7 * 3.0);
}

// Central differences of L = sum(act(x) * r): away from the kinks (|x| > 2h) the truncation error is
// h^2 / 6 * max|act'''| * |r| <= h^2 / 6 (ELU with alpha 1), and rounding adds ~2 eps |act(x) r| / h.
TEST(Activation, BackwardMatchesFiniteDifferences) {
  const float h = 1e-2f;
  for (auto kind : {Activation::kRelu, Activation::kElu, Activation::kLeakyRelu, Activation::kIdentity}) {
    ActivationOptions opt{kind, kind == Activation::kElu ? 1.0f : 0.2f};
    Tensor x = random_matrix(9, 7, 3, -2.0f, 2.0f), r = random_matrix(9, 7, 4);
    for (int64_t i = 0; i < x.numel(); ++i)
      if (std::fabs(x.data<float>()[i]) < 2 * h) x.data<float>()[i] = 0.5f;
    Tensor dx = Tensor::empty(DType::kF32, x.shape());
    activation_backward(x, r, dx, opt);
    for (int64_t i = 0; i < x.numel(); ++i) {
      float xv = x.data<float>()[i];
      double up = activation_value(kind, xv + h, opt.alpha), down = activation_value(kind, xv - h, opt.alpha);
      double fd = (up - down) / (2 * h) * r.data<float>()[i];
      double tol = h * h / 6 + 2 * 1.2e-7 * (std::fabs(up) + 1) / h;
      EXPECT_NEAR(dx.data<float>()[i], fd, tol) << "kind " << int(kind) << " x " << xv;
    }
    Tensor y = Tensor::empty(DType::kF32, x.shape());
    activation_forward(x, y, opt);
    for (int64_t i = 0; i < x.numel(); ++i) {
      float xv = x.data<float>()[i];
      float want = kind == Activation::kRelu        ? std::max(xv, 0.0f)
                   : kind == Activation::kElu       ? (xv > 0 ? xv : std::expm1(xv))
                   : kind == Activation::kLeakyRelu ? (xv > 0 ? xv : 0.2f * xv)
                                                    : xv;
      EXPECT_NEAR(y.data<float>()[i], want, 2.4e-7f * (1 + std::fabs(want)));
    }
  }
}

TEST(Dropout, SameSeedSameMaskAndKeepRateWithinBinomialBound) {
  const int64_t n = 200000;
  const float p = 0.3f;
  Tensor x = Tensor::from(std::vector<float>(n, 1.0f));
  Tensor y1 = Tensor::empty(DType::kF32, x.shape()), y2 = y1.clone(), y3 = y1.clone();
  dropout_forward(x, y1, {p, 11, 0});
  dropout_forward(x, y2, {p, 11, 0});
  dropout_forward(x, y3, {p, 11, 1});
  EXPECT_EQ(y1.to_vector<float>(), y2.to_vector<float>());
  EXPECT_NE(y1.to_vector<float>(), y3.to_vector<float>());
  int64_t kept = 0;
  for (float v : y1.to_vector<float>()) {
    ASSERT_TRUE(v == 0.0f || v == 1.0f / (1.0f - p)) << v;
    kept += v != 0.0f;
  }
  // Binomial(n, 1 - p): 5 standard deviations.
  EXPECT_NEAR(double(kept) / n, 1.0 - p, 5 * std::sqrt(p * (1 - p) / n));
  // Backward applies the same mask and scale: d/dx of sum(y * r) = mask * r / (1 - p).
  Tensor r = random_matrix(1, n, 5).reshaped(Shape::vec(n)), dx = Tensor::empty(DType::kF32, x.shape());
  dropout_backward(r, dx, {p, 11, 0});
  for (int64_t i = 0; i < n; i += 997)
    EXPECT_EQ(dx.data<float>()[i], r.data<float>()[i] * y1.data<float>()[i]);
}

TEST(Dropout, RejectsProbabilityOne) {
  Tensor x = Tensor::zeros(DType::kF32, Shape::vec(4)), y = x.clone();
  EXPECT_THROW(dropout_forward(x, y, {1.0f, 0, 0}), Error);
}

}  // namespace
}  // namespace tango::kernels
