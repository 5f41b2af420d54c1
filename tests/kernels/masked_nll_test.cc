// The trainer's loss and accuracy counts (kernels/masked_nll.h) on the CPU against plain loops in double.
#include "kernels/masked_nll.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "tests/kernels/test_util.h"

namespace tango::kernels {
namespace {

using testing::random_matrix;

TEST(MaskedNll, LossGradientAndCorrectCountsMatchPlainLoops) {
  const int64_t rows = 31, classes = 7;
  Tensor logits = random_matrix(rows, classes, 6, -3.0f, 3.0f);
  auto [labels, mask] = testing::labeled_rows(rows, classes, 5, 3, 1);
  // Ties: row 0's maximum appears twice; the first one counts.
  logits.data<float>()[0 * classes + 2] = 9.0f;
  logits.data<float>()[0 * classes + 5] = 9.0f;
  labels[0] = 2;
  Tensor grad = Tensor::empty(DType::kF32, logits.shape()),
         scalars = Tensor::zeros(DType::kI64, Shape::vec(3));
  const double normalizer = 17.0;
  masked_nll(logits, Tensor::from(labels), Tensor::from(mask), normalizer, grad, scalars, 1);
  masked_correct(logits, Tensor::from(labels), Tensor::from(mask), scalars, 2);
  double total = 0.0;
  int64_t correct = 0;
  const float* z = logits.data<float>();
  for (int64_t r = 0; r < rows; ++r) {
    const float* zr = z + r * classes;
    if (!mask[r]) {
      for (int64_t j = 0; j < classes; ++j) ASSERT_EQ(grad.data<float>()[r * classes + j], 0.0f);
      continue;
    }
    const double zmax = *std::max_element(zr, zr + classes);
    double sum = 0.0;
    for (int64_t j = 0; j < classes; ++j) sum += std::exp(zr[j] - zmax);
    const double log_sum = zmax + std::log(sum);
    total += log_sum - zr[labels[r]];
    for (int64_t j = 0; j < classes; ++j) {
      const float want =
          static_cast<float>((std::exp(zr[j] - log_sum) - (j == labels[r] ? 1.0 : 0.0)) / normalizer);
      ASSERT_EQ(grad.data<float>()[r * classes + j], want) << r << "," << j;
    }
    correct += (std::max_element(zr, zr + classes) - zr) == labels[r];
  }
  EXPECT_EQ(scalars.data<int64_t>()[0], 0);  // other slots untouched
  EXPECT_EQ(scalar_as_double(scalars.data<int64_t>()[1]), total);
  EXPECT_EQ(scalars.data<int64_t>()[2], correct);
  EXPECT_GE(correct, 1);  // row 0
}

// Central differences of L = sum / normalizer in double: third derivatives of the loss are below 1 per
// unit logit change, so the truncation error is below h^2 / normalizer; the gradient is rounded to float
// (half an ulp of |g| <= 1 / normalizer). Rows outside the mask get exactly zero.
TEST(MaskedNll, GradientMatchesFiniteDifferencesAndIgnoresUnmaskedRows) {
  const int64_t rows = 11, classes = 4;
  Tensor logits = random_matrix(rows, classes, 1, -3.0f, 3.0f);
  const auto [labels, mask] = testing::labeled_rows(rows, classes, 7, 3, 1);
  const Tensor label_tensor = Tensor::from(labels), mask_tensor = Tensor::from(mask);
  const double normalizer = 8.0;
  auto loss_at = [&](const Tensor& z) {
    Tensor g = Tensor::empty(DType::kF32, z.shape()), scalars = Tensor::zeros(DType::kI64, Shape::vec(1));
    masked_nll(z, label_tensor, mask_tensor, normalizer, g, scalars, 0);
    return scalar_as_double(scalars.data<int64_t>()[0]) / normalizer;
  };
  Tensor grad = Tensor::empty(DType::kF32, logits.shape()),
         scalars = Tensor::zeros(DType::kI64, Shape::vec(1));
  masked_nll(logits, label_tensor, mask_tensor, normalizer, grad, scalars, 0);
  const float h = 1e-2f;
  for (int64_t i = 0; i < logits.numel(); ++i) {
    Tensor up = logits.clone(), down = logits.clone();
    up.data<float>()[i] += h;
    down.data<float>()[i] -= h;
    const double fd = (loss_at(up) - loss_at(down)) /
                      (static_cast<double>(up.data<float>()[i]) - static_cast<double>(down.data<float>()[i]));
    EXPECT_NEAR(grad.data<float>()[i], fd, h * h / normalizer + 1e-7) << "logit " << i;
    if (!mask[i / classes]) {
      EXPECT_EQ(grad.data<float>()[i], 0.0f);
    }
  }
}

// A rank whose part has no training row: zero loss, zero gradient, no correct row.
TEST(MaskedNll, EmptyMaskGivesZeroLossZeroGradientAndNoCorrectRow) {
  const int64_t rows = 4, classes = 3;
  Tensor logits = random_matrix(rows, classes, 2, -3.0f, 3.0f);
  const Tensor labels = Tensor::from(std::vector<int32_t>{0, 1, 2, 0});
  const Tensor mask = Tensor::zeros(DType::kU8, Shape::vec(rows));
  Tensor grad = Tensor::empty(DType::kF32, logits.shape()),
         scalars = Tensor::zeros(DType::kI64, Shape::vec(2));
  masked_nll(logits, labels, mask, 1.0, grad, scalars, 0);
  masked_correct(logits, labels, mask, scalars, 1);
  EXPECT_EQ(scalar_as_double(scalars.data<int64_t>()[0]), 0.0);
  EXPECT_EQ(scalars.data<int64_t>()[1], 0);
  for (float v : grad.to_vector<float>()) EXPECT_EQ(v, 0.0f);
}

}  // namespace
}  // namespace tango::kernels
