// Message codecs on one rank: names and sizes, the fused CPU encode/decode passes (clamp, exact
// scales, unsigned rows, zero rows, accumulation), and the error model of the adaptive policy.
#include "comm/codec.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>
#include <random>
#include <vector>

#include "comm/bit_policy.h"
#include "comm/cpu/message_codec.h"
#include "comm/exchange_stats.h"
#include "comm/wire_math.h"
#include "core/error.h"

namespace tango::comm {
namespace {

struct Coded {
  std::vector<uint8_t> wire;
  std::vector<float> decoded;
  EncodeStats stats;
};

Coded round_trip(const Codec& codec, const std::vector<float>& x, int64_t rows, int64_t cols,
                 uint64_t seed = 1, float tensor_scale = 1.0f) {
  Coded out;
  out.wire.assign(static_cast<size_t>(codec.message_bytes(rows, cols)), 0xAB);
  EncodeParams params{seed, 3, tensor_scale};
  cpu::encode_rows(codec, x.data(), cols, RowMap{}, rows, params, out.wire.data(), &out.stats);
  out.decoded.assign(x.size(), -999.0f);
  cpu::decode_rows(codec, out.wire.data(), rows, cols, tensor_scale, out.decoded.data(), RowMap{}, false);
  return out;
}

TEST(Codec, ParseAndNameRoundTrip) {
  for (const char* text : {"fp32", "bf16", "int8:row:stochastic", "int4:tensor:nearest", "int2:row:nearest"})
    EXPECT_EQ(Codec::parse(text).name(), text);
  EXPECT_EQ(Codec::parse("int4"), Codec::integer(4));
  EXPECT_EQ(Codec::parse("int8:nearest:tensor"),
            Codec::integer(8, ScaleGranularity::kPerTensor, Rounding::kNearest));
  EXPECT_THROW(Codec::parse("int3"), Error);
  EXPECT_THROW(Codec::parse("int8:rows"), Error);
  EXPECT_THROW(Codec::integer(16), Error);
}

TEST(Codec, MessageBytesCountScalesAndPartialBytes) {
  EXPECT_EQ(Codec::fp32().message_bytes(10, 7), 280);
  EXPECT_EQ(Codec::bf16().message_bytes(10, 7), 140);
  EXPECT_EQ(Codec::integer(8).message_bytes(10, 7), 10 * (2 + 7));
  EXPECT_EQ(Codec::integer(4).message_bytes(10, 7), 10 * (2 + 4));
  EXPECT_EQ(Codec::integer(2).message_bytes(10, 7), 10 * (2 + 2));
  EXPECT_EQ(Codec::parse("int2:tensor").message_bytes(10, 7), 10 * 2);
  EXPECT_EQ(Codec::integer(2).message_bytes(0, 7), 0);
}

TEST(Codec, Fp32AndBf16RoundTrip) {
  std::vector<float> x = {1.0f, -2.5f, 3.14159f, 1e-20f, -7e5f, 0.0f};
  EXPECT_EQ(round_trip(Codec::fp32(), x, 2, 3).decoded, x);
  Coded b = round_trip(Codec::bf16(), x, 2, 3);
  for (size_t i = 0; i < x.size(); ++i) EXPECT_NEAR(b.decoded[i], x[i], std::fabs(x[i]) * (1.0 / 256)) << i;
  EXPECT_GT(b.stats.squared_error, 0);
}

TEST(Codec, ScalesAreSentExactlyAsTheSenderUsedThem) {
  // amax 63.5 -> scale 0.5 (a bf16 value): every multiple of 0.5 must come back bit-exact.
  std::vector<float> x;
  for (int k = -127; k <= 127; ++k) x.push_back(0.5f * k);
  x.push_back(0.0f);
  Coded c = round_trip(Codec::integer(8, ScaleGranularity::kPerRow, Rounding::kNearest), x, 1, 256);
  EXPECT_EQ(c.decoded, x);
  EXPECT_EQ(c.stats.squared_error, 0.0);
}

TEST(Codec, ScaleIsRoundedUpSoTheLargestValueFits) {
  // amax / 127 = 1/127 is not a bf16 value; rounding it down would clip the largest element.
  std::vector<float> x(8, 0.0f);
  x[0] = 1.0f;
  x[1] = -1.0f;
  Coded c = round_trip(Codec::integer(8, ScaleGranularity::kPerRow, Rounding::kNearest), x, 1, 8);
  EXPECT_LE(c.decoded[0], 1.0f + 1.0f / 127);
  EXPECT_GE(c.decoded[0], 1.0f - 1.0f / 254);
  EXPECT_EQ(c.decoded[0], -c.decoded[1]);
}

TEST(Codec, NonNegativeRowsUseTheUnsignedRange) {
  // A ReLU-like row at 2 bits: 4 levels {0, 1, 2, 3} * amax / 3 reproduce these values exactly.
  std::vector<float> x = {0.0f, 1.0f, 2.0f, 3.0f, 3.0f, 2.0f, 1.0f, 0.0f};
  Coded c = round_trip(Codec::integer(2, ScaleGranularity::kPerRow, Rounding::kNearest), x, 1, 8);
  EXPECT_EQ(c.decoded, x);
  // A signed row only has {-1, 0, 1} * amax at 2 bits.
  std::vector<float> y = {-3.0f, 3.0f, 0.0f, 1.4f};
  Coded s = round_trip(Codec::integer(2, ScaleGranularity::kPerRow, Rounding::kNearest), y, 1, 4);
  EXPECT_EQ(s.decoded, (std::vector<float>{-3.0f, 3.0f, 0.0f, 0.0f}));
}

TEST(Codec, CodesAreClampedAndNeverSpillIntoTheNextRow) {
  // Row 0 sits at its maximum everywhere; with stochastic rounding AdaQP's unclamped packer could
  // carry into row 1. Row 1 is zero and must decode to exactly zero, whatever the draws.
  const int64_t cols = 13;
  for (int bits : {8, 4, 2}) {
    std::vector<float> x(2 * cols, 0.0f);
    for (int64_t j = 0; j < cols; ++j) x[j] = 5.0f;
    // Stochastic rounding moves an element by less than one step (amax / (2^B - 1), bf16-rounded up).
    double step = 5.0 / ((1 << bits) - 1) * (1 + 1.0 / 128);
    for (uint64_t seed = 0; seed < 50; ++seed) {
      Coded c = round_trip(Codec::integer(bits), x, 2, cols, seed);
      for (int64_t j = 0; j < cols; ++j) {
        ASSERT_LE(c.decoded[j], 5.0 * (1 + 1.0 / 128)) << bits << " bits, seed " << seed;
        ASSERT_NEAR(c.decoded[j], 5.0f, step) << bits << " bits, seed " << seed;
        ASSERT_EQ(c.decoded[cols + j], 0.0f) << bits << " bits, seed " << seed;
      }
    }
  }
}

// The vectorised CPU encoder (lanes of 16, tails, row-start offsets) writes exactly the bytes of the
// per-element functions the CUDA kernel runs (wire_math.h: scale word, encode_element, pack_field).
std::vector<uint8_t> reference_message(const Codec& codec, const std::vector<float>& x, int64_t rows,
                                       int64_t cols, uint64_t seed, uint64_t stream) {
  const int bits = codec.bits();
  const int64_t payload = codec.row_payload_bytes(cols);
  std::vector<uint8_t> wire(static_cast<size_t>(codec.message_bytes(rows, cols)), 0);
  for (int64_t i = 0; i < rows; ++i) {
    const float* row = x.data() + i * cols;
    float amax = 0, lo = row[0];
    for (int64_t j = 0; j < cols; ++j) {
      amax = std::max(amax, std::fabs(row[j]));
      lo = std::min(lo, row[j]);
    }
    const uint16_t word = row_scale_word(amax, lo, bits);
    std::memcpy(wire.data() + 2 * i, &word, sizeof word);
    const CodeRange range = row_code_range(word, bits);
    uint8_t* out = wire.data() + 2 * rows + i * payload;
    const int per_byte = 8 / bits;
    for (int64_t j = 0; j < cols; ++j) {
      const int code =
          encode_element(row[j], 1.0f / range.scale, range, codec.rounding == Rounding::kStochastic, seed,
                         stream, static_cast<uint64_t>(i * cols + j));
      out[j / per_byte] = kernels::pack_field(out[j / per_byte], code, static_cast<int>(j % per_byte), bits);
    }
  }
  return wire;
}

TEST(Codec, FusedEncoderWritesThePerElementReferenceBytes) {
  std::mt19937 rng(11);
  std::normal_distribution<float> normal;
  for (int64_t cols : {1, 3, 15, 16, 17, 33, 64, 100}) {
    const int64_t rows = 7;
    std::vector<float> x(static_cast<size_t>(rows * cols));
    for (size_t k = 0; k < x.size(); ++k) x[k] = normal(rng);
    for (int64_t j = 0; j < cols; ++j) x[2 * cols + j] = std::fabs(x[2 * cols + j]);  // an unsigned row
    for (const char* text : {"int8", "int4", "int2", "int8:nearest", "int4:nearest", "int2:nearest"}) {
      const Codec codec = Codec::parse(text);
      const Coded coded = round_trip(codec, x, rows, cols, 9);
      EXPECT_EQ(coded.wire, reference_message(codec, x, rows, cols, 9, 3)) << text << ", " << cols << " cols";
    }
  }
}

TEST(Codec, ZeroAndTinyRowsDecodeWithoutNaN) {
  std::vector<float> x = {0, 0, 0, 0, 1e-38f, -1e-38f, 0, 0};
  for (int bits : {8, 4, 2}) {
    Coded c = round_trip(Codec::integer(bits), x, 2, 4);
    for (size_t i = 0; i < 4; ++i) EXPECT_EQ(c.decoded[i], 0.0f);
    for (size_t i = 4; i < 8; ++i) {
      EXPECT_TRUE(std::isfinite(c.decoded[i]));
      EXPECT_NEAR(c.decoded[i], x[i], 1e-37);
    }
  }
}

TEST(Codec, DecodeAccumulatesThroughAnIndexMap) {
  std::vector<float> x = {1, 2, 3, 4, 5, 6};
  std::vector<uint8_t> wire(static_cast<size_t>(Codec::fp32().message_bytes(2, 3)));
  EncodeStats stats;
  cpu::encode_rows(Codec::fp32(), x.data(), 3, RowMap{}, 2, EncodeParams{}, wire.data(), &stats);
  std::vector<float> table(9, 10.0f);
  const int64_t rows[] = {2, 0};
  cpu::decode_rows(Codec::fp32(), wire.data(), 2, 3, 1.0f, table.data(), RowMap{rows, 0}, true);
  EXPECT_EQ(table, (std::vector<float>{14, 15, 16, 10, 10, 10, 11, 12, 13}));
  EXPECT_DOUBLE_EQ(stats.squared_signal, 91.0);
}

TEST(Codec, PerTensorScaleIsUsedAsGiven) {
  std::vector<float> x = {0.5f, -0.25f, 1.0f, 0.0f};
  Coded c = round_trip(Codec::parse("int8:tensor:nearest"), x, 2, 2, 1, 1.0f / 127);
  for (size_t i = 0; i < x.size(); ++i) EXPECT_NEAR(c.decoded[i], x[i], 0.5f / 127 + 1e-7f);
  EXPECT_EQ(c.wire.size(), 4u);  // codes only
}

TEST(BitPolicy, ErrorModelPredictsOtherWidthsFromOne) {
  // Gaussian rows, half of them ReLU'd: predict int4/int2 errors from an int8 measurement.
  const int64_t rows = 400, cols = 64;
  std::mt19937 rng(5);
  std::normal_distribution<float> normal;
  std::vector<float> x(rows * cols);
  for (int64_t i = 0; i < rows * cols; ++i) x[i] = (i / cols) % 2 ? std::max(0.0f, normal(rng)) : normal(rng);
  for (Rounding rounding : {Rounding::kNearest, Rounding::kStochastic}) {
    EncodeStats at8 = round_trip(Codec::integer(8, ScaleGranularity::kPerRow, rounding), x, rows, cols).stats;
    for (int bits : {8, 4, 2}) {
      EncodeStats measured =
          round_trip(Codec::integer(bits, ScaleGranularity::kPerRow, rounding), x, rows, cols).stats;
      double truth = std::sqrt(measured.squared_error / measured.squared_signal);
      double predicted = BitPolicy::predicted_relative_error(at8, 8, bits, rounding);
      EXPECT_NEAR(predicted / truth, 1.0, 0.35)
          << bits << " bits, predicted " << predicted << " measured " << truth;
    }
  }
}

TEST(BitPolicy, FixedWidthsAndBadInput) {
  BitPolicy policy({{8, 4}, {2, 32}}, {});
  EXPECT_EQ(policy.codec(0, Direction::kForward), Codec::integer(8));
  EXPECT_EQ(policy.codec(0, Direction::kBackward), Codec::integer(4));
  EXPECT_EQ(policy.codec(1, Direction::kForward), Codec::integer(2));
  EXPECT_EQ(policy.codec(1, Direction::kBackward), Codec::fp32());
  EXPECT_EQ(policy.describe(), "L0 fwd=8 bwd=4, L1 fwd=2 bwd=32");
  EXPECT_THROW(BitPolicy({{8, 3}}, {}), Error);
  EXPECT_EQ(codec_for_bits(16), Codec::bf16());
}

// state() / restore(): what a checkpoint carries; a state that does not fit is an input error.
TEST(BitPolicy, StateRoundTripsAndMisfitsAreRejected) {
  BitPolicy policy({{8, 8}, {8, 8}}, {});
  BitPolicy::State state = policy.state();
  ASSERT_EQ(state.bits.size(), 2u);
  ASSERT_EQ(state.windows.size(), 4u);
  state.bits[1] = {4, 2};
  state.windows[3] = {{1.0, 2.0, 3.0, 4.0}, 7, 2};
  policy.restore(state);
  EXPECT_EQ(policy.describe(), "L0 fwd=8 bwd=8, L1 fwd=4 bwd=2");
  const BitPolicy::State back = policy.state();
  EXPECT_EQ(back.windows[3].calls, 7);
  EXPECT_EQ(back.windows[3].decisions, 2);
  EXPECT_EQ(back.windows[3].stats.unsigned_amax2, 4.0);
  EXPECT_THROW(BitPolicy({{8, 8}}, {}).restore(state), Error);  // another layer count
  state.bits[0] = {8, 3};
  EXPECT_THROW(policy.restore(state), Error);
  state.bits[0] = {8, 8};
  state.windows[0].calls = -1;
  EXPECT_THROW(policy.restore(state), Error);
}

}  // namespace
}  // namespace tango::comm

namespace tango::comm {
namespace {

TEST(ExchangeStats, JsonCarriesBytesTimesAndError) {
  ExchangeStats a;
  a.calls = 1;
  a.rows_sent = 10;
  a.bytes_sent = 180;
  a.fp32_bytes = 2560;
  a.wait_s = 0.5;
  a.quantization.squared_error = 1;
  a.quantization.squared_signal = 100;
  ExchangeStats total;
  total.add(a);
  total.add(a);
  nlohmann::json j = to_json(total);
  EXPECT_EQ(j["calls"], 2);
  EXPECT_EQ(j["bytes_sent"], 360);
  EXPECT_DOUBLE_EQ(j["bytes_ratio"].get<double>(), 180.0 / 2560);
  EXPECT_DOUBLE_EQ(j["bytes_per_row"].get<double>(), 18.0);
  EXPECT_DOUBLE_EQ(j["wait_s"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(j["relative_error"].get<double>(), 0.1);
}

TEST(Codec, PerRowScalesKeepTheLowNormRowsBesideAHub) {
  // A narrow last layer (16 classes) on a power-law graph: one hub row 1000x larger than the rest.
  // With one scale per exchange, int4's 7 levels per sign put every other row's values below half a
  // step, so they decode to zero (relative error 1 on those rows); per-row scales keep each row
  // within half a step of its own max-abs, whatever the hub. This is why the trainer never narrows
  // a per-row codec to per-tensor, at any width: 2 bytes of scale per row (int4 at 16 columns: 10
  // bytes instead of 8, 0.16x fp32) against messages that would carry nothing.
  const int64_t rows = 64, cols = 16;
  std::vector<float> x(static_cast<size_t>(rows * cols));
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j)
      x[static_cast<size_t>(i * cols + j)] = (i == 0 ? 1000.0f : 1.0f) * float((j % 5) - 2) * 0.5f;
  const float hub_amax = 1000.0f;
  const Coded per_tensor = round_trip(Codec::parse("int4:tensor:nearest"), x, rows, cols, 1, hub_amax / 7);
  const Coded per_row = round_trip(Codec::parse("int4:row:nearest"), x, rows, cols);
  auto rest_error = [&](const Coded& c) {  // relative error of rows 1.. (everything but the hub)
    double err = 0, norm = 0;
    for (size_t k = static_cast<size_t>(cols); k < x.size(); ++k) {
      err += double(c.decoded[k] - x[k]) * double(c.decoded[k] - x[k]);
      norm += double(x[k]) * double(x[k]);
    }
    return std::sqrt(err / norm);
  };
  EXPECT_EQ(rest_error(per_tensor), 1.0);  // every non-hub row decodes to exactly zero
  // Per-row: a row's step is its amax/7 = 1/7 (rounded up to bf16), so each of -1, -0.5, 0, 0.5, 1 is
  // decoded within half a step (~1/14); their mean square over a row is 8.5/16 > 0.5, so the relative
  // error is at most (1/14)/sqrt(0.5).
  EXPECT_LE(rest_error(per_row), (1.0 / 14) / std::sqrt(0.5));
  EXPECT_EQ(per_row.wire.size(), static_cast<size_t>(rows * (2 + cols / 2)));
  EXPECT_EQ(per_tensor.wire.size(), static_cast<size_t>(rows * cols / 2));
}

}  // namespace
}  // namespace tango::comm
