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

// The u8 derivative codes a backward keeps instead of the activation's FP32 input: ReLU and LeakyReLU 0.2
// give the bits of a dropout backward followed by activation_backward; ELU's derivative is within half a
// code step (1/510) of exp(x), times |dy keep_scale|.
TEST(ActivationCodes, ReluAndLeakyReluAreExactEluIsWithinHalfACodeStep) {
  const float p = 0.3f, keep_scale = 1.0f / (1.0f - p);
  Tensor x = random_matrix(11, 13, 5, -3.0f, 3.0f), dy = random_matrix(11, 13, 6);
  Tensor mask = Tensor::empty(DType::kU8, x.shape());
  for (int64_t i = 0; i < x.numel(); ++i) mask.data<uint8_t>()[i] = i % 3 != 0 ? 1 : 0;
  for (auto kind : {Activation::kRelu, Activation::kLeakyRelu, Activation::kElu}) {
    const ActivationOptions opt{kind, kind == Activation::kElu ? 1.0f : 0.2f};
    for (bool with_mask : {false, true}) {
      const float scale = with_mask ? keep_scale : 1.0f;
      Tensor codes = Tensor::empty(DType::kU8, x.shape());
      activation_derivative_codes(x, with_mask ? mask : Tensor(), opt, codes);
      Tensor coded = Tensor::empty(DType::kF32, x.shape());
      coded_activation_backward(codes, dy, scale, coded);
      // Reference: the dropout backward, then the activation backward from x.
      Tensor ref = Tensor::empty(DType::kF32, x.shape());
      for (int64_t i = 0; i < x.numel(); ++i) {
        const bool kept = !with_mask || mask.data<uint8_t>()[i] != 0;
        ref.data<float>()[i] = kept ? dy.data<float>()[i] * scale : 0.0f;
      }
      activation_backward(x, ref, ref, opt);
      for (int64_t i = 0; i < x.numel(); ++i) {
        const float got = coded.data<float>()[i], want = ref.data<float>()[i];
        if (kind == Activation::kElu) {
          const bool kept = !with_mask || mask.data<uint8_t>()[i] != 0;
          const double bound = (kept ? std::fabs(dy.data<float>()[i] * scale) : 0.0) * (0.5 / 255 + 1e-6);
          EXPECT_NEAR(got, want, bound) << "ELU at x = " << x.data<float>()[i];
        } else {
          EXPECT_EQ(got, want) << "kind " << static_cast<int>(kind) << " at x = " << x.data<float>()[i];
        }
      }
    }
  }
}

TEST(ActivationCodes, RejectsADerivativeOutsideZeroToOne) {
  Tensor x = random_matrix(2, 3, 1), codes = Tensor::empty(DType::kU8, x.shape());
  EXPECT_THROW(activation_derivative_codes(x, Tensor(), {Activation::kElu, 1.5f}, codes), Error);
}

}  // namespace
}  // namespace tango::kernels
