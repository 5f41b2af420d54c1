// GAT's per-head reductions (kernels/head_ops.h) on the CPU against plain loops: scores, their backward
// (dz, da in double), the mean over heads and its backward.
#include "kernels/head_ops.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "tests/kernels/test_util.h"

namespace tango::kernels {
namespace {

using testing::random_matrix;

TEST(HeadOps, ScoresMeansAndBackwardsMatchPlainLoops) {
  const int64_t rows = 23, heads = 3, width = 5, used = 19;
  Tensor z = random_matrix(rows, heads * width, 7), a = random_matrix(heads, width, 8);
  Tensor scores = Tensor::empty(DType::kF32, Shape::mat(used, heads));
  head_scores(z, used, a, scores);
  const float* zp = z.data<float>();
  const float* ap = a.data<float>();
  for (int64_t r = 0; r < used; ++r) {
    for (int64_t h = 0; h < heads; ++h) {
      float sum = 0.0f;
      for (int64_t d = 0; d < width; ++d) sum += zp[(r * heads + h) * width + d] * ap[h * width + d];
      ASSERT_EQ(scores.data<float>()[r * heads + h], sum);
    }
  }
  Tensor ds = random_matrix(used, heads, 9), dz = random_matrix(rows, heads * width, 10), dz0 = dz.clone();
  Tensor da = Tensor::empty(DType::kF32, a.shape());
  head_scores_backward(z, ds, used, a, dz, da);
  for (int64_t h = 0; h < heads; ++h) {
    for (int64_t d = 0; d < width; ++d) {
      double sum = 0.0;
      for (int64_t r = 0; r < used; ++r)
        sum += static_cast<double>(ds.data<float>()[r * heads + h]) * zp[(r * heads + h) * width + d];
      ASSERT_EQ(da.data<float>()[h * width + d], static_cast<float>(sum));
    }
  }
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t i = r * heads * width; i < (r + 1) * heads * width; ++i) {
      const int64_t h = (i / width) % heads, d = i % width;
      const float want = r < used ? dz0.data<float>()[i] + ds.data<float>()[r * heads + h] * ap[h * width + d]
                                  : dz0.data<float>()[i];
      ASSERT_EQ(dz.data<float>()[i], want);
    }
  }
  // The two outputs asked for apart (a row range's dz, then da over all rows) are the same bits.
  Tensor dz_apart = dz0.clone(), da_apart = Tensor::empty(DType::kF32, a.shape()), none;
  head_scores_backward(z, ds, used, a, dz_apart, none);
  head_scores_backward(z, ds, used, a, none, da_apart);
  EXPECT_EQ(dz_apart.to_vector<float>(), dz.to_vector<float>());
  EXPECT_EQ(da_apart.to_vector<float>(), da.to_vector<float>());
  EXPECT_THROW(head_scores_backward(z, ds, used, a, none, none), Error);
  Tensor mean = Tensor::empty(DType::kF32, Shape::mat(rows, width));
  head_mean(z, heads, mean);
  Tensor dy = random_matrix(rows, width, 11), dx = Tensor::empty(DType::kF32, z.shape());
  head_mean_backward(dy, heads, dx);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t d = 0; d < width; ++d) {
      float sum = 0.0f;
      for (int64_t h = 0; h < heads; ++h) sum += zp[(r * heads + h) * width + d];
      ASSERT_EQ(mean.data<float>()[r * width + d], sum * (1.0f / heads));
      for (int64_t h = 0; h < heads; ++h)
        ASSERT_EQ(dx.data<float>()[(r * heads + h) * width + d],
                  dy.data<float>()[r * width + d] * (1.0f / heads));
    }
  }
}

}  // namespace
}  // namespace tango::kernels
