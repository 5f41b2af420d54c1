#include "kernels/softmax_nll.h"

#include <gtest/gtest.h>

#include <cmath>

#include "tests/kernels/test_util.h"

namespace tango::kernels {
namespace {

using testing::random_matrix;

struct Problem {
  Tensor logits, labels, mask;
};

Problem make_problem(int64_t rows, int64_t classes) {
  Problem p{random_matrix(rows, classes, 1, -3.0f, 3.0f), Tensor::empty(DType::kI32, Shape::vec(rows)),
            Tensor::empty(DType::kU8, Shape::vec(rows))};
  for (int64_t r = 0; r < rows; ++r) {
    p.labels.data<int32_t>()[r] = static_cast<int32_t>((r * 7) % classes);
    p.mask.data<uint8_t>()[r] = r % 3 != 1;
  }
  return p;
}

TEST(SoftmaxNll, ForwardMatchesLoopIncludingAccuracyAndCount) {
  Problem p = make_problem(23, 5);
  Tensor log_probs = Tensor::empty(DType::kF32, p.logits.shape()),
         stats = Tensor::empty(DType::kF32, Shape::vec(4));
  softmax_nll_forward(p.logits, p.labels, p.mask, log_probs, stats);
  double loss = 0, correct = 0, count = 0;
  for (int64_t r = 0; r < 23; ++r) {
    const float* row = p.logits.data<float>() + r * 5;
    double z = 0;
    int best = 0;
    for (int c = 0; c < 5; ++c) {
      z += std::exp(double(row[c]));
      if (row[c] > row[best]) best = c;
    }
    for (int c = 0; c < 5; ++c) EXPECT_NEAR(log_probs.data<float>()[r * 5 + c], row[c] - std::log(z), 1e-5);
    if (!p.mask.data<uint8_t>()[r]) continue;
    int label = p.labels.data<int32_t>()[r];
    loss -= row[label] - std::log(z);
    correct += best == label;
    count += 1;
  }
  EXPECT_NEAR(stats.data<float>()[kLossSum], loss, 1e-4);
  EXPECT_NEAR(stats.data<float>()[kMeanLoss], loss / count, 1e-5);
  EXPECT_EQ(stats.data<float>()[kCorrect], correct);
  EXPECT_EQ(stats.data<float>()[kCount], count);
}

// Central differences of the mean loss: its third derivatives are bounded by 1 per logit, so the
// truncation error is below h^2, and FP32 rounding of the loss adds ~4 eps |L| / h.
TEST(SoftmaxNll, BackwardMatchesFiniteDifferencesAndIgnoresUnmaskedRows) {
  Problem p = make_problem(11, 4);
  Tensor log_probs = Tensor::empty(DType::kF32, p.logits.shape()),
         stats = Tensor::empty(DType::kF32, Shape::vec(4));
  softmax_nll_forward(p.logits, p.labels, p.mask, log_probs, stats);
  Tensor dlogits = Tensor::empty(DType::kF32, p.logits.shape());
  softmax_nll_backward(log_probs, p.labels, p.mask, stats.slice_rows(kCount, kCount + 1), dlogits);
  const float h = 1e-2f;
  auto loss_at = [&](int64_t i, float delta) {
    Tensor shifted = p.logits.clone();
    shifted.data<float>()[i] += delta;
    Tensor lp = Tensor::empty(DType::kF32, shifted.shape()), st = Tensor::empty(DType::kF32, Shape::vec(4));
    softmax_nll_forward(shifted, p.labels, p.mask, lp, st);
    return double(st.data<float>()[kMeanLoss]);
  };
  for (int64_t i = 0; i < p.logits.numel(); ++i) {
    double fd = (loss_at(i, h) - loss_at(i, -h)) / (2 * h);
    double tol = h * h + 4 * 1.2e-7 * (stats.data<float>()[kMeanLoss] + 1) / h;
    EXPECT_NEAR(dlogits.data<float>()[i], fd, tol) << "logit " << i;
    if (!p.mask.data<uint8_t>()[i / 4]) {
      EXPECT_EQ(dlogits.data<float>()[i], 0.0f);
    }
  }
}

TEST(SoftmaxNll, EmptyMaskGivesZeroLossAndZeroGradient) {
  Problem p = make_problem(4, 3);
  p.mask.fill_zero();
  Tensor log_probs = Tensor::empty(DType::kF32, p.logits.shape()),
         stats = Tensor::empty(DType::kF32, Shape::vec(4));
  softmax_nll_forward(p.logits, p.labels, p.mask, log_probs, stats);
  EXPECT_EQ(stats.to_vector<float>(), (std::vector<float>{0, 0, 0, 0}));
  Tensor d = Tensor::empty(DType::kF32, p.logits.shape());
  softmax_nll_backward(log_probs, p.labels, p.mask, stats.slice_rows(kCount, kCount + 1), d);
  for (float v : d.to_vector<float>()) EXPECT_EQ(v, 0.0f);
}

}  // namespace
}  // namespace tango::kernels
