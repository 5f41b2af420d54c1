#include "kernels/qlinear.h"

#include <gtest/gtest.h>

#include <cmath>

#include "tests/kernels/test_util.h"

namespace tango::kernels {
namespace {

using testing::random_matrix;

const int64_t kM = 13, kK = 7, kN = 5;  // K % 4 != 0

struct Grads {
  Tensor y, dx, dw, db;
};

Grads run(QLinear& layer, const Tensor& x, const Tensor& w, const Tensor& b, const Tensor& dy,
          Tensor* y_amax = nullptr) {
  Grads g{Tensor::empty(DType::kF32, Shape::mat(kM, kN)), Tensor::empty(DType::kF32, Shape::mat(kM, kK)),
          Tensor::empty(DType::kF32, Shape::mat(kK, kN)), Tensor::empty(DType::kF32, Shape::vec(kN))};
  layer.forward(x, w, b, g.y, y_amax);
  layer.backward(dy, g.dx, g.dw, g.db);
  return g;
}

// FP32 layer: L = sum(y * r) is bilinear in (x, w) and linear in b, so central differences are exact
// up to rounding: |error| <= ~4 eps sum|y r| / h.
TEST(QLinear, Fp32BackwardMatchesFiniteDifferences) {
  Tensor x = random_matrix(kM, kK, 1), w = random_matrix(kK, kN, 2),
         b = random_matrix(1, kN, 3).reshaped(Shape::vec(kN));
  Tensor r = random_matrix(kM, kN, 4);
  QLinear layer({.quantized = false});
  Grads g = run(layer, x, w, b, r);
  const float h = 1e-2f;
  auto loss = [&](const Tensor& xx, const Tensor& ww, const Tensor& bb) {
    QLinear probe({.quantized = false});
    Tensor y = Tensor::empty(DType::kF32, Shape::mat(kM, kN));
    probe.forward(xx, ww, bb, y);
    double sum = 0, magnitude = 0;
    for (int64_t i = 0; i < y.numel(); ++i) {
      sum += double(y.data<float>()[i]) * r.data<float>()[i];
      magnitude += std::fabs(double(y.data<float>()[i]) * r.data<float>()[i]);
    }
    return std::pair{sum, magnitude};
  };
  auto check = [&](Tensor& param, const Tensor& grad, const char* name) {
    for (int64_t i = 0; i < param.numel(); ++i) {
      float saved = param.data<float>()[i];
      param.data<float>()[i] = saved + h;
      auto [up, magnitude] = loss(x, w, b);
      param.data<float>()[i] = saved - h;
      auto [down, unused] = loss(x, w, b);
      param.data<float>()[i] = saved;
      EXPECT_NEAR(grad.data<float>()[i], (up - down) / (2 * h), 8 * 1.2e-7 * (magnitude + 1) / h)
          << name << " " << i;
    }
  };
  check(x, g.dx, "dx");
  check(w, g.dw, "dw");
  check(b, g.db, "db");
}

// INT8 layer vs FP32 layer on the same data. Each INT8 product obeys the QGEMM bound: for dx = dy w^T,
// |error| <= sum_n |dy| sw / 2 + |w| sdy / 2 + sdy sw / 4, and likewise for y and dw; db is FP32 in both.
TEST(QLinear, Int8ForwardAndBackwardAreWithinTheQuantizationBound) {
  Tensor x = random_matrix(kM, kK, 5), w = random_matrix(kK, kN, 6, -0.3f, 0.3f);
  Tensor b = random_matrix(1, kN, 7).reshaped(Shape::vec(kN)), dy = random_matrix(kM, kN, 8, -0.1f, 0.1f);
  QLinear fp32({.quantized = false}), int8(QLinearOptions{});
  Grads ref = run(fp32, x, w, b, dy), got = run(int8, x, w, b, dy);
  auto amax = [](const Tensor& t) {
    float m = 0;
    for (float v : t.to_vector<float>()) m = std::max(m, std::fabs(v));
    return m;
  };
  const double sx = amax(x) / 127, sw = amax(w) / 127, sdy = amax(dy) / 127;
  // Loose per-element bound from the maxima (every term at its largest) plus FP32 rounding.
  auto bound = [](int64_t depth, double amax_a, double sa, double amax_b, double sb) {
    return depth * (amax_a * sb / 2 + amax_b * sa / 2 + sa * sb / 4) + 1e-5;
  };
  for (int64_t i = 0; i < ref.y.numel(); ++i)
    EXPECT_NEAR(got.y.data<float>()[i], ref.y.data<float>()[i], bound(kK, amax(x), sx, amax(w), sw));
  for (int64_t i = 0; i < ref.dx.numel(); ++i)
    EXPECT_NEAR(got.dx.data<float>()[i], ref.dx.data<float>()[i], bound(kN, amax(dy), sdy, amax(w), sw));
  for (int64_t i = 0; i < ref.dw.numel(); ++i)
    EXPECT_NEAR(got.dw.data<float>()[i], ref.dw.data<float>()[i], bound(kM, amax(x), sx, amax(dy), sdy));
  EXPECT_EQ(got.db.to_vector<float>(), ref.db.to_vector<float>());
}

// The ablation switches change the cost, never the result: cached INT8 copies equal re-quantized ones,
// and the fused reduce epilogue returns the same max|y| as a separate pass.
TEST(QLinear, AblationSwitchesGiveIdenticalResults) {
  Tensor x = random_matrix(kM, kK, 9, 0.0f, 1.0f), w = random_matrix(kK, kN, 10);
  Tensor b = random_matrix(1, kN, 11).reshaped(Shape::vec(kN)), dy = random_matrix(kM, kN, 12);
  for (auto format : {QuantFormat::kInt8, QuantFormat::kUint8}) {
    QLinear cached({.input_format = format}),
        requantized({.input_format = format, .cache_quantized = false, .fuse_amax = false});
    Tensor amax_fused = Tensor::empty(DType::kF32, Shape::vec(1)), amax_separate = amax_fused.clone();
    Grads a = run(cached, x, w, b, dy, &amax_fused), c = run(requantized, x, w, b, dy, &amax_separate);
    EXPECT_EQ(a.y.to_vector<float>(), c.y.to_vector<float>());
    EXPECT_EQ(a.dx.to_vector<float>(), c.dx.to_vector<float>());
    EXPECT_EQ(a.dw.to_vector<float>(), c.dw.to_vector<float>());
    EXPECT_EQ(amax_fused.to_vector<float>(), amax_separate.to_vector<float>());
  }
}

}  // namespace
}  // namespace tango::kernels
