// The masked loss and correct counts (kernels/masked_nll.h) on CUDA against the CPU: the same per-row
// double math, the row sum in another order. Skipped without a GPU.
#include <gtest/gtest.h>

#include <cmath>

#include "core/device.h"
#include "kernels/masked_nll.h"
#include "tests/kernels/test_util.h"

namespace tango::kernels {
namespace {

using testing::expect_close_relative;
using testing::kGpu;
using testing::random_matrix;

TEST(MaskedNllCuda, LossAndCorrectCountsMatchCpu) {
  TANGO_REQUIRE_GPU();
  const int64_t rows = 5003, classes = 41;
  Tensor logits = random_matrix(rows, classes, 3, -4.0f, 4.0f);
  const auto [labels, mask] = testing::labeled_rows(rows, classes, 7, 4, 0);
  Tensor lab = Tensor::from(labels), msk = Tensor::from(mask);
  Tensor grad = Tensor::empty(DType::kF32, logits.shape()), s = Tensor::zeros(DType::kI64, Shape::vec(2));
  Tensor gradg = Tensor::empty(DType::kF32, logits.shape(), kGpu),
         sg = Tensor::zeros(DType::kI64, Shape::vec(2), kGpu);
  masked_nll(logits, lab, msk, 1234.0, grad, s, 0);
  masked_correct(logits, lab, msk, s, 1);
  Tensor lg = logits.to(kGpu), labg = lab.to(kGpu), mskg = msk.to(kGpu);
  masked_nll(lg, labg, mskg, 1234.0, gradg, sg, 0);
  masked_correct(lg, labg, mskg, sg, 1);
  const std::vector<int64_t> cpu = s.to_vector<int64_t>(), gpu = sg.to_vector<int64_t>();
  // Per-row math is the same double code; only the order of the row sum differs (~rows ulps of double).
  EXPECT_NEAR(scalar_as_double(gpu[0]), scalar_as_double(cpu[0]),
              1e-12 * rows * std::fabs(scalar_as_double(cpu[0])));
  EXPECT_EQ(gpu[1], cpu[1]);
  expect_close_relative(gradg, grad, 1e-6, "masked_nll grad");
}

}  // namespace
}  // namespace tango::kernels
