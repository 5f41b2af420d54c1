// GAT's per-head reductions (kernels/head_ops.h) on CUDA against the CPU: scores, dz and the head mean
// bit-identical (products rounded before the sum on both), da within its double sum's rounding.
// Skipped without a GPU.
#include <gtest/gtest.h>

#include "core/device.h"
#include "kernels/head_ops.h"
#include "tests/kernels/test_util.h"

namespace tango::kernels {
namespace {

using testing::expect_close_relative;
using testing::kGpu;
using testing::random_matrix;

TEST(HeadOpsCuda, ScoresMeansAndBackwardsMatchCpu) {
  TANGO_REQUIRE_GPU();
  const int64_t rows = 4099, heads = 8, width = 8, used = 4000;
  Tensor z = random_matrix(rows, heads * width, 1), a = random_matrix(heads, width, 2);
  Tensor zg = z.to(kGpu), ag = a.to(kGpu);
  Tensor s = Tensor::empty(DType::kF32, Shape::mat(used, heads)),
         sg = Tensor::empty(DType::kF32, s.shape(), kGpu);
  head_scores(z, used, a, s);
  head_scores(zg, used, ag, sg);
  EXPECT_EQ(sg.to_vector<float>(), s.to_vector<float>());  // the same sequential FP32 dot, no FMA
  Tensor ds = random_matrix(used, heads, 3), dz = random_matrix(rows, heads * width, 4), dzg = dz.to(kGpu);
  Tensor da = Tensor::empty(DType::kF32, a.shape()), dag = Tensor::empty(DType::kF32, a.shape(), kGpu);
  head_scores_backward(z, ds, used, a, dz, da);
  head_scores_backward(zg, ds.to(kGpu), used, ag, dzg, dag);
  EXPECT_EQ(dzg.to_vector<float>(), dz.to_vector<float>());  // products rounded before the sum on both
  expect_close_relative(dag, da, 1e-6, "da");  // double sums of 4000 terms, rounded to float once
  // dz and da asked for apart give what one call gives.
  Tensor none, dz_apart = random_matrix(rows, heads * width, 4).to(kGpu);
  Tensor da_apart = Tensor::empty(DType::kF32, a.shape(), kGpu);
  head_scores_backward(zg, ds.to(kGpu), used, ag, dz_apart, none);
  head_scores_backward(zg, ds.to(kGpu), used, ag, none, da_apart);
  EXPECT_EQ(dz_apart.to_vector<float>(), dzg.to_vector<float>());
  expect_close_relative(da_apart, dag, 1e-6, "da apart");
  Tensor mean = Tensor::empty(DType::kF32, Shape::mat(rows, width)),
         meang = Tensor::empty(DType::kF32, mean.shape(), kGpu);
  head_mean(z, heads, mean);
  head_mean(zg, heads, meang);
  EXPECT_EQ(meang.to_vector<float>(), mean.to_vector<float>());
  Tensor dy = random_matrix(rows, width, 5), dx = Tensor::empty(DType::kF32, z.shape());
  Tensor dxg = Tensor::empty(DType::kF32, z.shape(), kGpu);
  head_mean_backward(dy, heads, dx);
  head_mean_backward(dy.to(kGpu), heads, dxg);
  EXPECT_EQ(dxg.to_vector<float>(), dx.to_vector<float>());
}

}  // namespace
}  // namespace tango::kernels
