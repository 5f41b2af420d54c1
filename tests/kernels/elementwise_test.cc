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

}  // namespace
}  // namespace tango::kernels
