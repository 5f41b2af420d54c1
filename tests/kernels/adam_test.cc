#include "kernels/adam.h"

#include <gtest/gtest.h>

namespace tango::kernels {
namespace {

// Two steps from p = 1 with gradients 0.5 then -0.25, lr 0.1, betas (0.9, 0.999), eps 1e-8; expected
// values worked out by hand (in double) from the torch.optim formulas. FP32 tolerance: a few ulps of 1.
void expect_two_steps(AdamOptions options, double after_first, double after_second) {
  Tensor p = Tensor::from(std::vector<float>{1.0f, 1.0f, 1.0f});  // three copies: exercises the loop
  Tensor m = Tensor::zeros(DType::kF32, Shape::vec(3)), v = Tensor::zeros(DType::kF32, Shape::vec(3));
  adam_step(p, Tensor::from(std::vector<float>{0.5f, 0.5f, 0.5f}), m, v, options, 1);
  for (float x : p.to_vector<float>()) EXPECT_NEAR(x, after_first, 4e-7);
  adam_step(p, Tensor::from(std::vector<float>{-0.25f, -0.25f, -0.25f}), m, v, options, 2);
  for (float x : p.to_vector<float>()) EXPECT_NEAR(x, after_second, 4e-7);
}

TEST(Adam, MatchesHandComputedSteps) {
  expect_two_steps({.lr = 0.1f}, 0.900000002, 0.8733662987);
}

TEST(Adam, L2WeightDecayFoldsIntoTheGradient) {
  expect_two_steps({.lr = 0.1f, .weight_decay = 0.1f}, 0.9000000017, 0.8544413675);
}

TEST(Adam, AdamWDecaysTheWeightsBeforeTheStep) {
  expect_two_steps({.lr = 0.1f, .weight_decay = 0.1f, .decoupled_weight_decay = true}, 0.890000002,
                   0.8544662987);
}

TEST(Adam, RejectsStepZeroAndMismatchedMoments) {
  Tensor p = Tensor::zeros(DType::kF32, Shape::vec(3)), g = p.clone(), m = p.clone(), v = p.clone();
  EXPECT_THROW(adam_step(p, g, m, v, {}, 0), Error);
  Tensor short_v = Tensor::zeros(DType::kF32, Shape::vec(2));
  EXPECT_THROW(adam_step(p, g, m, short_v, {}, 1), Error);
}

}  // namespace
}  // namespace tango::kernels
