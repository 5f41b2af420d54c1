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

}  // namespace
}  // namespace tango::kernels
