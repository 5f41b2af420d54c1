// Adam / AdamW (kernels/adam.h) on CUDA against the CPU over three steps. Skipped without a GPU.
#include <gtest/gtest.h>

#include "core/device.h"
#include "kernels/adam.h"
#include "tests/kernels/test_util.h"

namespace tango::kernels {
namespace {

using testing::expect_close_relative;
using testing::kGpu;
using testing::random_matrix;

TEST(AdamCuda, MatchesCpu) {
  TANGO_REQUIRE_GPU();
  Tensor p = random_matrix(333, 7, 4), g = random_matrix(333, 7, 5);
  Tensor m = Tensor::zeros(DType::kF32, p.shape()), v = m.clone();
  Tensor pg = p.to(kGpu), gg = g.to(kGpu), mg = m.to(kGpu), vg = v.to(kGpu);
  AdamOptions opt{.lr = 0.01f, .weight_decay = 0.01f, .decoupled_weight_decay = true};
  for (int64_t step = 1; step <= 3; ++step) {
    adam_step(p, g, m, v, opt, step);
    adam_step(pg, gg, mg, vg, opt, step);
  }
  expect_close_relative(pg, p, 1e-6, "param");  // FMA contraction on the device: a few ulps
  expect_close_relative(mg, m, 1e-6, "m");
}

}  // namespace
}  // namespace tango::kernels
