// The quantization telemetry across ranks (trainer/quant_telemetry.h). Runs as 2 ranks.
//  - The reduction: rows split over the ranks give the statistics one rank computes over all of them,
//    to rounding (sums of squares, counts and logs summed; extremes reduced), and a weight that every
//    rank quantizes alike counts once.
//  - Training: the metrics lines of a 1-rank and a 2-rank run have the same operands for every layer and
//    direction (GAT with per-row attention, SAGE), none under fp32, only on the epochs due.
//
// Tolerance of the 1- vs 2-rank values: a per-tensor scale is the amax over a rank's rows, so on 2 ranks
// each part's operand has its own, smaller or equal, step (and INT8 forward values then differ a little
// everywhere downstream). Relative error scales with the step; measured on this graph the 2-rank value is
// within 0.75-1.34x of the 1-rank one (stochastic dW operands the widest), so the bound is 1.5x, and the
// all-zero share within 0.06 (measured 0.044 at most). Exact where the math is: per-row scales keep 127
// levels in every row on any rank count, the epoch-1 weights are the same on every rank, and every node
// counts once (rows), except the forward aggregations' operands of layers > 0 on 2 ranks (GAT's Z, GCN
// and SAGE's aggregated table), quantized once per row range (inner rows, then boundary rows).
#include "trainer/quant_telemetry.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "comm/communicator.h"
#include "io/metrics_writer.h"
#include "io/synthetic.h"
#include "tests/common/test_data.h"
#include "trainer/ops.h"
#include "trainer/part_loader.h"
#include "trainer/train.h"

namespace tango::trainer {
namespace {

// Rows spanning six orders of magnitude: one per-tensor scale rounds the smallest to zero.
Tensor spread_rows(int64_t rows, int64_t cols) {
  std::vector<float> values(static_cast<size_t>(rows * cols));
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t j = 0; j < cols; ++j) {
      values[static_cast<size_t>(r * cols + j)] = static_cast<float>(
          std::pow(10.0, -0.6 * static_cast<double>(r)) * std::sin(1.0 + 0.7 * r + 1.3 * j));
    }
  }
  return Tensor::from<float>(values, rows, cols);
}

TEST(QuantTelemetryRanks, ReducedRowsEqualOneRankOverAllOfThem) {
  comm::Communicator comm;
  const int64_t rows = 11, cols = 7;
  const Tensor x = spread_rows(rows, cols);
  const kernels::QTensor q = quantize_int8(x);  // one scale, the whole tensor's, on every rank
  QuantOperandStats whole;
  whole.observe(x, q);
  ASSERT_GT(whole.zero_rows, 0) << "the operand must lose rows for the test to say something";

  QuantTelemetry telemetry(1);
  const int64_t begin = rows * comm.rank() / comm.size(), end = rows * (comm.rank() + 1) / comm.size();
  telemetry.stats(0, QuantPass::kBackward, "linear_dy_sr")
      .observe(x.slice_rows(begin, end), {q.values.slice_rows(begin, end), q.scales});
  telemetry.stats(0, QuantPass::kForward, "linear_w").observe(x, q);  // replicated, as a weight
  const nlohmann::json reduced = telemetry.reduce(comm);

  const nlohmann::json expected = whole.to_json();
  for (const nlohmann::json& got : {reduced["l0"]["bwd"]["linear_dy_sr"], reduced["l0"]["fwd"]["linear_w"]}) {
    EXPECT_EQ(got["rows"], expected["rows"]);
    EXPECT_EQ(got["zero_rows"], expected["zero_rows"]);
    for (const char* key : {"rel_err", "levels_gmean", "levels_min", "amax_spread"}) {
      EXPECT_NEAR(got[key].get<double>(), expected[key].get<double>(), 1e-12 * expected[key].get<double>())
          << key;
    }
  }
  EXPECT_EQ(reduced["l0"].size(), 2u);  // nothing else was quantized: no other entries
}

const char* kDataset =
    "synthetic:nodes=1500,avg_degree=20,classes=8,features=32,homophily=0.6,hub_exponent=1,seed=3";

// The metrics lines of a run on the first k world ranks (on world rank 0; empty elsewhere).
std::vector<nlohmann::json> metrics_on_k_ranks(const io::Dataset& data, int k, TrainConfig config,
                                               const std::string& path) {
  int world_rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &world_rank);
  MPI_Comm group = MPI_COMM_NULL;
  MPI_Comm_split(MPI_COMM_WORLD, world_rank < k ? 0 : MPI_UNDEFINED, world_rank, &group);
  if (group != MPI_COMM_NULL) {
    {
      comm::Communicator comm(group);
      const DistGraph graph =
          k == 1 ? dist_graph_from_dataset(data) : partition_in_memory(data, k, comm.rank(), 1);
      config.metrics_path = path;
      train(config, graph, comm);
    }
    MPI_Comm_free(&group);
  }
  MPI_Barrier(MPI_COMM_WORLD);
  return world_rank == 0 ? io::read_jsonl(path) : std::vector<nlohmann::json>();
}

std::string shared_dir(comm::Communicator& comm, const tango::testing::TempDir& dir) {
  std::string base = dir.path().string();
  std::vector<char> buffer(base.begin(), base.end());
  buffer.resize(4096, '\0');
  comm.broadcast_bytes(buffer.data(), buffer.size(), 0);  // every rank uses rank 0's folder
  return buffer.data();
}

TrainConfig small_config(ModelKind model, int layers, int epochs, int every) {
  TrainConfig config;
  config.model = model;
  config.layers = layers;
  config.hidden = 8;
  config.heads = 2;
  config.dropout = 0;
  config.epochs = epochs;
  config.quiet = true;
  config.precision = Precision::kINT8;
  config.gat_attention = GatAttention::kPerRow;
  config.quant_telemetry_every = every;
  config.halo_bits.assign(static_cast<size_t>(layers), HaloBits{});
  return config;
}

std::set<std::string> operands(const nlohmann::json& pass) {
  std::set<std::string> names;
  for (const auto& [name, stats] : pass.items()) names.insert(name);
  return names;
}

bool per_row(const std::string& operand) {
  return operand.ends_with("_dy_rows") || operand == "attention_alpha";
}

// Every layer and direction of `one` (1 rank) and `two` (2 ranks) has the expected operands, with values
// that agree within the bounds of the header.
void expect_agree(const nlohmann::json& one, const nlohmann::json& two, int layers,
                  const std::set<std::string>& forward, const std::set<std::string>& backward,
                  bool same_weights) {
  ASSERT_EQ(one.size(), static_cast<size_t>(layers));
  for (int l = 0; l < layers; ++l) {
    const std::string layer = fmt::format("l{}", l);
    for (const char* pass : {"fwd", "bwd"}) {
      SCOPED_TRACE(fmt::format("{}.{}", layer, pass));
      ASSERT_TRUE(one.contains(layer) && one[layer].contains(pass));
      ASSERT_TRUE(two.contains(layer) && two[layer].contains(pass));
      EXPECT_EQ(operands(one[layer][pass]), std::string(pass) == "fwd" ? forward : backward);
      EXPECT_EQ(operands(two[layer][pass]), operands(one[layer][pass]));
      for (const auto& [operand, a] : one[layer][pass].items()) {
        SCOPED_TRACE(operand);
        const nlohmann::json& b = two[layer][pass][operand];
        if (std::string(pass) == "fwd" && (operand == "attention_z" || operand == "aggregate_x")) {
          EXPECT_GE(b["rows"].get<int64_t>(), a["rows"].get<int64_t>());
        } else {
          EXPECT_EQ(b["rows"], a["rows"]);
        }
        const double ea = a["rel_err"].get<double>(), eb = b["rel_err"].get<double>();
        EXPECT_GT(ea, 0.0);
        EXPECT_LT(eb, 1.5 * ea);
        EXPECT_GT(eb, ea / 1.5);
        EXPECT_NEAR(b["zero_rows"].get<double>(), a["zero_rows"].get<double>(), 0.06);
        if (per_row(operand)) {
          for (const nlohmann::json* s : {&a, &b}) {
            EXPECT_EQ((*s)["zero_rows"].get<double>(), 0.0);
            EXPECT_NEAR((*s)["levels_gmean"].get<double>(), 127.0, 1e-3);
          }
        }
        if (same_weights && operand.ends_with("_w")) {
          EXPECT_NEAR(eb, ea, 1e-9 * ea);
          EXPECT_NEAR(b["levels_gmean"].get<double>(), a["levels_gmean"].get<double>(), 1e-9);
        }
      }
    }
  }
}

TEST(QuantTelemetryRanks, GatOperandsAgreeOnOneAndTwoRanks) {
  comm::Communicator world;
  ASSERT_EQ(world.size(), 2);
  tango::testing::TempDir dir;
  const std::string base = shared_dir(world, dir);
  const io::Dataset data = io::generate_synthetic(io::parse_synthetic_spec(kDataset));
  const TrainConfig config = small_config(ModelKind::kGAT, 3, 2, 1);
  const auto one = metrics_on_k_ranks(data, 1, config, base + "/gat1.jsonl");
  const auto two = metrics_on_k_ranks(data, 2, config, base + "/gat2.jsonl");
  if (world.rank() != 0) return;
  ASSERT_EQ(one.size(), 2u);
  ASSERT_EQ(two.size(), 2u);
  const std::set<std::string> forward = {"linear_x", "linear_w", "attention_z", "attention_alpha"};
  const std::set<std::string> backward = {"linear_dy_rows", "linear_dy_sr", "attention_z", "attention_alpha",
                                          "attention_dy"};
  for (size_t e = 0; e < 2; ++e) {
    SCOPED_TRACE(fmt::format("epoch {}", e + 1));
    ASSERT_TRUE(one[e].contains("quant") && two[e].contains("quant"));
    expect_agree(one[e]["quant"], two[e]["quant"], 3, forward, backward, /*same_weights=*/e == 0);
  }
}

TEST(QuantTelemetryRanks, SageOperandsOnlyOnTheEpochsDue) {
  comm::Communicator world;
  tango::testing::TempDir dir;
  const std::string base = shared_dir(world, dir);
  const io::Dataset data = io::generate_synthetic(io::parse_synthetic_spec(kDataset));
  const TrainConfig config = small_config(ModelKind::kSAGE, 2, 3, 2);
  const auto one = metrics_on_k_ranks(data, 1, config, base + "/sage1.jsonl");
  const auto two = metrics_on_k_ranks(data, 2, config, base + "/sage2.jsonl");
  if (world.rank() != 0) return;
  ASSERT_EQ(one.size(), 3u);
  ASSERT_EQ(two.size(), 3u);
  for (size_t e : {0u, 2u}) EXPECT_FALSE(one[e].contains("quant") || two[e].contains("quant")) << e + 1;
  ASSERT_TRUE(one[1].contains("quant") && two[1].contains("quant"));
  // 32 -> 8 -> 8 classes: layer 0 transforms first (the neighbour map sees the table), layer 1 aggregates
  // first; both aggregate an INT8 operand forward and backward.
  const std::set<std::string> forward = {"root_x", "root_w", "neighbour_x", "neighbour_w", "aggregate_x"};
  const std::set<std::string> backward = {"root_dy_rows", "root_dy_sr", "neighbour_dy_rows",
                                          "neighbour_dy_sr", "aggregate_dy"};
  expect_agree(one[1]["quant"], two[1]["quant"], 2, forward, backward, /*same_weights=*/false);
}

// The halo half of the telemetry: on this hub graph a 4-bit exchange of the last layer's 8-wide rows
// keeps per-row scales (one scale per exchange zeroes the rows beside the hubs: comm/README.md, "Wire
// format"), so its relative error stays near the 4-bit floor of a per-row codec.
TEST(QuantTelemetryRanks, NarrowHaloRowsKeepPerRowScales) {
  comm::Communicator world;
  tango::testing::TempDir dir;
  const std::string base = shared_dir(world, dir);
  const io::Dataset data = io::generate_synthetic(io::parse_synthetic_spec(kDataset));
  TrainConfig config = small_config(ModelKind::kGCN, 3, 2, 0);
  config.halo_bits.assign(3, HaloBits{4, 4});
  const auto lines = metrics_on_k_ranks(data, 2, config, base + "/halo4.jsonl");
  if (world.rank() != 0) return;
  ASSERT_EQ(lines.size(), 2u);
  int narrow = 0;
  for (const nlohmann::json& halo : lines.back()["halo"]) {
    SCOPED_TRACE(halo.dump());
    if (halo["bytes_sent"].get<int64_t>() == 0) continue;  // layer 0 exchanges nothing forward
    EXPECT_TRUE(halo["codec"].get<std::string>().starts_with("int4:row")) << "per-row scales at every width";
    // Stochastic rounding (the default) on a row's own grid is within one step (amax/7) per value:
    // 0.04-0.10 measured here (nearest: 0.03-0.07); one scale per exchange gives 0.19-0.35 on the same run.
    EXPECT_LT(halo["relative_error"].get<double>(), 0.15);
    // 8 wide: 2 bytes of scale + 4 of codes a row against 32 bytes of fp32.
    if (halo["layer"] == 2) {
      ++narrow;
      EXPECT_NEAR(double(halo["bytes_sent"].get<int64_t>()) / halo["bytes_fp32"].get<int64_t>(), 6.0 / 32,
                  1e-12);
    }
  }
  EXPECT_GT(narrow, 0);
}

TEST(QuantTelemetryRanks, Fp32RunsWriteNone) {
  comm::Communicator world;
  tango::testing::TempDir dir;
  const std::string base = shared_dir(world, dir);
  const io::Dataset data = io::generate_synthetic(io::parse_synthetic_spec(kDataset));
  TrainConfig config = small_config(ModelKind::kGAT, 2, 2, 1);
  config.precision = Precision::kFP32;
  const auto lines = metrics_on_k_ranks(data, world.size(), config, base + "/fp32.jsonl");
  if (world.rank() != 0) return;
  ASSERT_EQ(lines.size(), 2u);
  for (const nlohmann::json& line : lines) EXPECT_FALSE(line.contains("quant")) << line.dump();
}

}  // namespace
}  // namespace tango::trainer
