#include "kernels/quantize.h"

#include <gtest/gtest.h>

#include <cmath>

#include "kernels/quant_math.h"
#include "tests/kernels/test_util.h"

namespace tango::kernels {
namespace {

using testing::random_matrix;

struct Case {
  int64_t rows, cols;
};
// Odd sizes on purpose: a single row, K % 4 != 0, tails past vector widths, a row longer than a block.
const Case kShapes[] = {{1, 1}, {1, 7}, {3, 5}, {17, 33}, {64, 130}, {5, 1031}};

TEST(Amax, MatchesLoopPerTensorAndPerRow) {
  for (Case c : kShapes) {
    Tensor x = random_matrix(c.rows, c.cols, 11, -3.0f, 2.0f);
    Tensor all = Tensor::empty(DType::kF32, Shape::vec(1));
    Tensor rows = Tensor::empty(DType::kF32, Shape::vec(c.rows));
    amax(x, all);
    amax_rows(x, rows);
    const float* p = x.data<float>();
    float want_all = 0.0f;
    for (int64_t r = 0; r < c.rows; ++r) {
      float want_row = 0.0f;
      for (int64_t j = 0; j < c.cols; ++j) want_row = std::max(want_row, std::fabs(p[r * c.cols + j]));
      EXPECT_EQ(rows.data<float>()[r], want_row);
      want_all = std::max(want_all, want_row);
    }
    EXPECT_EQ(all.data<float>()[0], want_all);
  }
}

// Over several 16K-value spans (each thread reduces whole spans), with the maximum placed in the last span,
// a NaN that must never win (in its own span and elsewhere), an infinity that must win, and -0.0.
TEST(Amax, NaNNeverWinsInfinityDoesAcrossSpans) {
  const int64_t n = 3 * 16384 + 77;
  Tensor x = random_matrix(1, n, 12, -1.0f, 1.0f);
  float* p = x.data<float>();
  p[0] = -0.0f;
  p[n - 5] = -1.5f;  // the largest magnitude
  p[100] = std::nanf("");
  p[n - 3] = -std::nanf("");
  Tensor all = Tensor::empty(DType::kF32, Shape::vec(1));
  amax(x, all);
  EXPECT_EQ(all.data<float>()[0], 1.5f);
  Tensor rows = Tensor::empty(DType::kF32, Shape::vec(1));
  amax_rows(x, rows);
  EXPECT_EQ(rows.data<float>()[0], 1.5f);
  p[20000] = -INFINITY;
  amax(x, all);
  EXPECT_EQ(all.data<float>()[0], INFINITY);
  // All NaN: nothing wins, amax is 0 (quantize then uses scale 1).
  Tensor nan = Tensor::from(std::vector<float>{std::nanf(""), -std::nanf("")}, 1, 2);
  amax(nan, all);
  EXPECT_EQ(all.data<float>()[0], 0.0f);
}

TEST(Quantize, ZeroTensorGivesScaleOneAndZeroCodes) {
  for (auto g : {ScaleGranularity::kPerTensor, ScaleGranularity::kPerRow}) {
    QuantizeOptions opt{.granularity = g};
    Tensor x = Tensor::zeros(DType::kF32, Shape::mat(4, 9));
    QTensor q = make_qtensor(4, 9, opt, Device::cpu());
    quantize(x, q, opt);
    for (float s : q.scales.to_vector<float>()) EXPECT_EQ(s, 1.0f);
    for (int8_t v : q.values.to_vector<int8_t>()) EXPECT_EQ(v, 0);
  }
}

// Nearest rounding: every format and granularity reconstructs within half a scale step, and the codes
// equal rint(x / scale) clamped, computed here with plain loops.
TEST(Quantize, NearestIsWithinHalfAScaleStepForEveryFormat) {
  for (auto format : {QuantFormat::kInt8, QuantFormat::kUint8, QuantFormat::kInt4, QuantFormat::kInt2}) {
    for (auto g : {ScaleGranularity::kPerTensor, ScaleGranularity::kPerRow}) {
      for (Case c : kShapes) {
        QuantizeOptions opt{.format = format, .granularity = g};
        float lo = format == QuantFormat::kUint8 ? 0.0f : -2.0f;
        Tensor x = random_matrix(c.rows, c.cols, 5, lo, 2.0f);
        QTensor q = make_qtensor(c.rows, c.cols, opt, Device::cpu());
        quantize(x, q, opt);
        Tensor back = Tensor::empty(DType::kF32, x.shape());
        dequantize(q, back, opt);
        const float* px = x.data<float>();
        const float* pb = back.data<float>();
        const float* scales = q.scales.data<float>();
        const float qmax = static_cast<float>(format_qmax(format));
        for (int64_t r = 0; r < c.rows; ++r) {
          float row_amax = 0.0f, all_amax = 0.0f;
          for (int64_t j = 0; j < c.cols; ++j) row_amax = std::max(row_amax, std::fabs(px[r * c.cols + j]));
          for (int64_t i = 0; i < x.numel(); ++i) all_amax = std::max(all_amax, std::fabs(px[i]));
          float s = g == ScaleGranularity::kPerRow ? scales[r] : scales[0];
          ASSERT_FLOAT_EQ(s, (g == ScaleGranularity::kPerRow ? row_amax : all_amax) / qmax);
          for (int64_t j = 0; j < c.cols; ++j) {
            float xv = px[r * c.cols + j];
            float code = std::rint(xv * (1.0f / s));
            ASSERT_EQ(pb[r * c.cols + j], code * s) << "row " << r << " col " << j;
            // Half a step, plus the rounding of x / s and of code * s in f32.
            ASSERT_LE(std::fabs(xv - pb[r * c.cols + j]), s / 2 + 4e-7f * std::fabs(xv));
          }
        }
      }
    }
  }
}

TEST(Quantize, NearestRoundsTiesToEven) {
  // scale = 127 / 127 = 1: 2.5 -> 2, 3.5 -> 4, -2.5 -> -2.
  Tensor x = Tensor::from(std::vector<float>{2.5f, 3.5f, -2.5f, 127.0f, 0.5f, -0.5f});
  QTensor q = make_qtensor(1, 6, {}, Device::cpu());
  quantize(x, q);
  EXPECT_EQ(q.values.to_vector<int8_t>(), (std::vector<int8_t>{2, 4, -2, 127, 0, 0}));
}

// When the amax is given and smaller than the data (a stale or remote scale), codes clamp to the range
// of the format instead of wrapping into the neighbouring packed field.
TEST(Quantize, OutOfRangeValuesClampWithoutCorruptingNeighbours) {
  Tensor x = Tensor::from(std::vector<float>{10.0f, 0.0f, -10.0f, 1.0f, -1.0f}, 1, 5);
  Tensor amax_small = Tensor::from(std::vector<float>{1.0f});
  for (auto format : {QuantFormat::kInt8, QuantFormat::kInt4, QuantFormat::kInt2}) {
    QuantizeOptions opt{.format = format};
    QTensor q = make_qtensor(1, 5, opt, Device::cpu());
    quantize_from_amax(x, amax_small, q, opt);
    Tensor back = Tensor::empty(DType::kF32, x.shape());
    dequantize(q, back, opt);
    EXPECT_EQ(back.to_vector<float>(), (std::vector<float>{1.0f, 0.0f, -1.0f, 1.0f, -1.0f}))
        << "bits " << format_bits(format);
  }
}

TEST(Quantize, PackedCodesRoundTripEveryValueOfTheRange) {
  for (int bits : {4, 2}) {
    int qmax = signed_qmax(bits);
    for (int64_t cols : {1, 2, 3, 5, 8, 9}) {
      std::vector<int> codes(static_cast<size_t>(cols));
      for (int64_t j = 0; j < cols; ++j) codes[j] = static_cast<int>(j * 5 % (2 * qmax + 1)) - qmax;
      std::vector<uint8_t> packed(static_cast<size_t>(packed_row_bytes(cols, bits)), 0xff);
      int per_byte = 8 / bits;
      for (int64_t j = 0; j < cols; ++j)
        packed[j / per_byte] =
            pack_field(packed[j / per_byte], codes[j], static_cast<int>(j % per_byte), bits);
      for (int64_t j = 0; j < cols; ++j)
        EXPECT_EQ(unpack_field(packed[j / per_byte], static_cast<int>(j % per_byte), bits), codes[j]);
    }
  }
}

TEST(Quantize, StochasticRoundingIsUnbiasedAndPicksANeighbour) {
  // Each of `draws` independent streams rounds the same values. A draw's error is in (-s, s) with
  // variance frac(1 - frac) s^2 <= s^2 / 4, so the mean over `draws` has std <= s / (2 sqrt(draws));
  // 5 of those bound a false failure to below 1e-6 per element.
  const int draws = 4000;
  Tensor x = random_matrix(3, 21, 9, -1.0f, 1.0f);
  std::vector<double> sum(static_cast<size_t>(x.numel()), 0.0);
  float scale = 0.0f;
  for (int d = 0; d < draws; ++d) {
    QuantizeOptions opt{.rounding = Rounding::kStochastic, .seed = 42, .stream = static_cast<uint64_t>(d)};
    QTensor q = make_qtensor(3, 21, opt, Device::cpu());
    quantize(x, q, opt);
    scale = q.scales.data<float>()[0];
    const int8_t* codes = q.values.data<int8_t>();
    for (int64_t i = 0; i < x.numel(); ++i) {
      float v = x.data<float>()[i] / scale;
      ASSERT_TRUE(codes[i] == std::floor(v) || codes[i] == std::ceil(v)) << v << " -> " << int(codes[i]);
      sum[i] += codes[i] * static_cast<double>(scale) - x.data<float>()[i];
    }
  }
  const double bound = 5.0 * scale / (2.0 * std::sqrt(static_cast<double>(draws)));
  for (double s : sum) EXPECT_LE(std::fabs(s / draws), bound);
}

TEST(Quantize, StochasticRoundingIsReproducibleAndStreamsDiffer) {
  Tensor x = random_matrix(8, 40, 3);
  auto run = [&](uint64_t stream) {
    QuantizeOptions opt{.rounding = Rounding::kStochastic, .seed = 7, .stream = stream};
    QTensor q = make_qtensor(8, 40, opt, Device::cpu());
    quantize(x, q, opt);
    return q.values.to_vector<int8_t>();
  };
  EXPECT_EQ(run(1), run(1));
  EXPECT_NE(run(1), run(2));
}

TEST(KeyedUniform, IsUniformOnTheUnitInterval) {
  // Mean 1/2 and variance 1/12 within 5 standard errors over 100k draws.
  const int n = 100000;
  double sum = 0.0, sum_sq = 0.0;
  for (int i = 0; i < n; ++i) {
    double u = keyed_uniform(stream_key(1, 2), static_cast<uint64_t>(i));
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    sum += u;
    sum_sq += u * u;
  }
  EXPECT_NEAR(sum / n, 0.5, 5.0 * std::sqrt(1.0 / 12.0 / n));
  EXPECT_NEAR(sum_sq / n - (sum / n) * (sum / n), 1.0 / 12.0, 5.0 * std::sqrt(1.0 / 180.0 / n));
}

TEST(Bf16, RoundsToNearestEvenAndKeepsNaN) {
  Tensor x = Tensor::from(std::vector<float>{1.0f, 1.0f + 0x1p-8f, 1.0f + 3 * 0x1p-8f, -2.0f, NAN, 1e-3f});
  Tensor b = Tensor::empty(DType::kBF16, x.shape());
  cast_to_bf16(x, b);
  const bf16* bits = b.data<bf16>();
  EXPECT_EQ(bits[0].bits, 0x3f80);
  EXPECT_EQ(bits[1].bits, 0x3f80);  // tie, even stays
  EXPECT_EQ(bits[2].bits, 0x3f82);  // tie, odd rounds up
  EXPECT_EQ(bits[3].bits, 0xc000);
  Tensor back = Tensor::empty(DType::kF32, x.shape());
  cast_from_bf16(b, back);
  std::vector<float> v = back.to_vector<float>();
  EXPECT_TRUE(std::isnan(v[4]));
  EXPECT_LE(std::fabs(v[5] - 1e-3f), 1e-3f * 0x1p-8f);  // half an ulp of an 8-bit mantissa
}

}  // namespace
}  // namespace tango::kernels
