// Helpers every kernel test shares: seeded random tensors, and for the CUDA-vs-CPU tests the first GPU,
// a relative closeness check and the GPU skip guard. The sparse tests add graphs, a reference quantizer
// and finite differences in sparse_test_util.h.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "core/device.h"
#include "core/tensor.h"

namespace tango::kernels::testing {

// Uniform values in [lo, hi) from a fixed seed.
inline std::vector<float> random_values(int64_t n, uint64_t seed, float lo = -1.0f, float hi = 1.0f) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = dist(rng);
  return v;
}

// An f32 [rows, cols] tensor of random_values.
inline Tensor random_matrix(int64_t rows, int64_t cols, uint64_t seed, float lo = -1.0f, float hi = 1.0f) {
  return Tensor::from(random_values(rows * cols, seed, lo, hi), rows, cols);
}

// Labels and a mask over `rows` rows for the loss tests: label (r * label_stride) % classes, rows with
// r % mask_period == left_out outside the mask.
struct LabeledRows {
  std::vector<int32_t> labels;
  std::vector<uint8_t> mask;
};
inline LabeledRows labeled_rows(int64_t rows, int64_t classes, int64_t label_stride, int64_t mask_period,
                                int64_t left_out) {
  LabeledRows out{std::vector<int32_t>(static_cast<size_t>(rows)),
                  std::vector<uint8_t>(static_cast<size_t>(rows))};
  for (int64_t r = 0; r < rows; ++r) {
    out.labels[r] = static_cast<int32_t>((r * label_stride) % classes);
    out.mask[r] = r % mask_period != left_out;
  }
  return out;
}

// The GPU the CUDA-vs-CPU tests run on.
inline const Device kGpu = Device::cuda(0);

// Expects |gpu - cpu| <= relative * (1 + |cpu|) element-wise (gpu may live on the device).
inline void expect_close_relative(const Tensor& gpu, const Tensor& cpu, double relative, const char* what) {
  std::vector<float> g = gpu.to_vector<float>(), c = cpu.to_vector<float>();
  ASSERT_EQ(g.size(), c.size());
  for (size_t i = 0; i < g.size(); ++i)
    ASSERT_NEAR(g[i], c[i], relative * (1 + std::fabs(c[i]))) << what << " " << i;
}

}  // namespace tango::kernels::testing

// Skips a CUDA-vs-CPU test on machines without a GPU (never a silent pass).
#define TANGO_REQUIRE_GPU()              \
  if (::tango::cuda_device_count() == 0) \
  GTEST_SKIP() << ::tango::describe_devices() << " (run tests/gpu/run.sh on a GPU)"
