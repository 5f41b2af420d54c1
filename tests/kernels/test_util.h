// Helpers every kernel test shares: seeded random tensors and the GPU skip guard. The sparse tests add
// graphs, a reference quantizer and finite differences in sparse_test_util.h.
#pragma once

#include <gtest/gtest.h>

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

}  // namespace tango::kernels::testing

// Skips a CUDA-vs-CPU test on machines without a GPU (never a silent pass).
#define TANGO_REQUIRE_GPU()              \
  if (::tango::cuda_device_count() == 0) \
  GTEST_SKIP() << ::tango::describe_devices() << " (run tests/gpu/run.sh on a GPU)"
