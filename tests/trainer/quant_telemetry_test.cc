// The quantization telemetry (trainer/quant_telemetry.h) on hand-made operands whose statistics follow
// from the quantization rule (scale = amax / 127, nearest rounding): a per-tensor scale set by a large
// row rounds a small row to all-zero codes, one scale per row keeps every row's 127 levels.
#include "trainer/quant_telemetry.h"

#include <gtest/gtest.h>

#include <cmath>

#include "kernels/edge_quantize.h"
#include "trainer/ops.h"

namespace tango::trainer {
namespace {

// Rows: [127, 0, 0, 0] (sets the scale: 127 / 127 = 1), [0.375, -0.375, 0, 0] (0.375 rounds to 0: all-zero
// codes), [2, 0, 0, 0] (exact), a zero row (not counted). Binary fractions: every value is exact in f32.
Tensor hand_made() {
  return Tensor::from<float>({127, 0, 0, 0, 0.375f, -0.375f, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0}, 4, 4);
}

TEST(QuantTelemetry, PerTensorScaleZeroesTheSmallRowAsTheRuleSays) {
  QuantTelemetry telemetry(1);
  {
    const QuantTelemetry::Scope scope(&telemetry, 0, QuantPass::kForward, 4, 4);
    quantize_int8(hand_made(), "linear_x");
  }
  const QuantOperandStats& s = telemetry.stats(0, QuantPass::kForward, "linear_x");
  EXPECT_EQ(s.calls, 1);
  EXPECT_EQ(s.rows, 3);  // the zero row is not counted
  EXPECT_EQ(s.zero_rows, 1);
  // Error: only the small row's 2 * 0.375^2; signal: 127^2 + 2 * 0.375^2 + 2^2.
  const double error = 2 * 0.375 * 0.375, signal = 127.0 * 127.0 + error + 4.0;
  const nlohmann::json j = s.to_json();
  EXPECT_NEAR(j["rel_err"].get<double>(), std::sqrt(error / signal), 1e-12);
  EXPECT_NEAR(j["zero_rows"].get<double>(), 1.0 / 3.0, 1e-12);
  // Levels amax_row / step: 127, 0.375 and 2 with step 1.
  EXPECT_NEAR(j["levels_gmean"].get<double>(), std::cbrt(127.0 * 0.375 * 2.0), 1e-9);
  EXPECT_NEAR(j["levels_min"].get<double>(), 0.375, 1e-12);
  EXPECT_NEAR(j["amax_spread"].get<double>(), 127.0 / 0.375, 1e-9);
}

TEST(QuantTelemetry, PerRowScalesKeepEveryRowsLevels) {
  QuantTelemetry telemetry(1);
  {
    const QuantTelemetry::Scope scope(&telemetry, 0, QuantPass::kBackward, 4, 4);
    quantize_int8_rows(hand_made(), "linear_dy_rows");
  }
  const nlohmann::json j = telemetry.stats(0, QuantPass::kBackward, "linear_dy_rows").to_json();
  EXPECT_EQ(j["rows"], 3);
  EXPECT_EQ(j["zero_rows"].get<double>(), 0.0);
  EXPECT_NEAR(j["levels_gmean"].get<double>(), 127.0, 1e-4);  // f32 scale: a few ulps
  EXPECT_LT(j["rel_err"].get<double>(), 1e-6);                // every value is a code times its scale
  EXPECT_NEAR(j["amax_spread"].get<double>(), 127.0 / 0.375, 1e-9);
}

// dW's stochastic codes with one scale per block of 2 rows: the hand-made rows 0-1 share the 127 row's
// step (the 0.375 row reaches 0.375 levels), rows 2-3 the 2 row's (127 levels); measured per row with the
// block's scale.
TEST(QuantTelemetry, RowBlocksAreMeasuredWithTheirBlocksScale) {
  QuantTelemetry telemetry(1);
  {
    const QuantTelemetry::Scope scope(&telemetry, 0, QuantPass::kBackward, 4, 4);
    quantize_int8_stochastic_blocks(hand_made(), 2, 1, 2, "linear_dy_sr");
  }
  const nlohmann::json j = telemetry.stats(0, QuantPass::kBackward, "linear_dy_sr").to_json();
  EXPECT_EQ(j["rows"], 3);
  EXPECT_NEAR(j["levels_gmean"].get<double>(), std::cbrt(127.0 * 0.375 * 127.0), 1e-4);
  EXPECT_NEAR(j["levels_min"].get<double>(), 0.375, 1e-6);
}

TEST(QuantTelemetry, NothingIsMeasuredWithoutAScope) {
  QuantTelemetry telemetry(1);
  EXPECT_FALSE(QuantTelemetry::active());
  quantize_int8(hand_made(), "linear_x");
  { const QuantTelemetry::Scope closed(nullptr, 0, QuantPass::kForward, 4, 4); }
  quantize_int8(hand_made(), "linear_x");
  EXPECT_EQ(telemetry.stats(0, QuantPass::kForward, "linear_x").calls, 0);
}

TEST(QuantTelemetry, HaloRowsOfATableAreLeftOut) {
  // A table of 4 rows of which 2 are owned: the small row (1) is owned, the exact row (2) is a halo row.
  QuantTelemetry telemetry(1);
  {
    const QuantTelemetry::Scope scope(&telemetry, 0, QuantPass::kForward, 2, 4);
    quantize_int8(hand_made(), "aggregate_x");
  }
  const QuantOperandStats& s = telemetry.stats(0, QuantPass::kForward, "aggregate_x");
  EXPECT_EQ(s.rows, 2);
  EXPECT_EQ(s.zero_rows, 1);
  EXPECT_DOUBLE_EQ(s.squared_signal, 127.0 * 127.0 + 2 * 0.375 * 0.375);
}

// Attention coefficients of a node with one in-edge (alpha 1) and of a node with 300 (1/300 each), one
// head: one scale (1 / 127) puts 1/300 at 0.42 steps, so the second row rounds to zero; a scale per
// destination row keeps it.
kernels::CsrIndex star_csr(int64_t fan_in) {
  std::vector<int32_t> indices(static_cast<size_t>(fan_in + 1));
  std::vector<int32_t> ids(indices.size());
  for (size_t p = 0; p < indices.size(); ++p) {
    indices[p] = static_cast<int32_t>(p);
    ids[p] = static_cast<int32_t>(p);
  }
  kernels::CsrIndex csr;
  csr.num_rows = 2;
  csr.num_cols = fan_in + 1;
  csr.indptr = Tensor::from<int64_t>({0, 1, fan_in + 1});
  csr.indices = Tensor::from<int32_t>(indices);
  csr.edge_ids = Tensor::from<int32_t>(ids);
  csr.edge_ids_are_identity = true;
  return csr;
}

TEST(QuantTelemetry, AttentionRowsAreDestinationNodes) {
  constexpr int64_t kFanIn = 300;
  const kernels::CsrIndex csr = star_csr(kFanIn);
  std::vector<float> values(kFanIn + 1, 1.0f / kFanIn);
  values[0] = 1.0f;
  const Tensor alpha = Tensor::from<float>(values, kFanIn + 1, 1);

  QuantTelemetry telemetry(1);
  {
    const QuantTelemetry::Scope scope(&telemetry, 0, QuantPass::kForward, 2, 2);
    QuantTelemetry::record_edges("attention_alpha", csr, alpha, quantize_int8(alpha));
  }
  nlohmann::json j = telemetry.stats(0, QuantPass::kForward, "attention_alpha").to_json();
  EXPECT_EQ(j["rows"], 2);
  EXPECT_DOUBLE_EQ(j["zero_rows"].get<double>(), 0.5);
  const double small = 1.0 / kFanIn;  // lost entirely: error = signal of the second row
  EXPECT_NEAR(j["rel_err"].get<double>(), std::sqrt(kFanIn * small * small / (1.0 + kFanIn * small * small)),
              1e-6);
  EXPECT_NEAR(j["levels_min"].get<double>(), 127.0 / kFanIn, 1e-4);

  telemetry.clear();
  kernels::QTensor per_row = kernels::make_edge_row_qtensor(csr, 1);
  kernels::quantize_edges_per_row(csr, alpha, per_row);
  {
    const QuantTelemetry::Scope scope(&telemetry, 0, QuantPass::kBackward, 2, 2);
    QuantTelemetry::record_edges("attention_alpha", csr, alpha, per_row);
  }
  j = telemetry.stats(0, QuantPass::kBackward, "attention_alpha").to_json();
  EXPECT_DOUBLE_EQ(j["zero_rows"].get<double>(), 0.0);
  EXPECT_NEAR(j["levels_gmean"].get<double>(), 127.0, 1e-3);
  EXPECT_LT(j["rel_err"].get<double>(), 1e-6);
}

TEST(QuantTelemetry, LinearMapOperandsAreNamedByTheirWeight) {
  EXPECT_EQ(linear_map_operand("layer0.weight", "x"), "linear_x");
  EXPECT_EQ(linear_map_operand("layer2.root_weight", "dy_rows"), "root_dy_rows");
  EXPECT_EQ(linear_map_operand("layer1.neighbour_weight", "dy_sr"), "neighbour_dy_sr");
  EXPECT_EQ(linear_map_operand("layer1.neighbour_weight", "w"), "neighbour_w");
}

TEST(QuantTelemetry, DueOnlyEveryNEpochsUnderInt8) {
  EXPECT_FALSE(quant_telemetry_due(0, true, 9));
  EXPECT_FALSE(quant_telemetry_due(5, false, 4));
  EXPECT_FALSE(quant_telemetry_due(5, true, 3));
  EXPECT_TRUE(quant_telemetry_due(5, true, 4));
  EXPECT_TRUE(quant_telemetry_due(1, true, 0));
}

}  // namespace
}  // namespace tango::trainer
