// What a run leaves behind: one JSON line per epoch with the time split, accuracies on evaluation
// epochs, halo bytes per layer and direction, peak memory per rank; the summary JSON with the fields
// the issue names; the resolved config beside the metrics. Runs on 2 ranks with int4/int8 halos, so the
// byte accounting is real and smaller than fp32.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "comm/communicator.h"
#include "io/metrics_writer.h"
#include "tests/common/test_data.h"
#include "tests/trainer/trainer_test_graphs.h"
#include "trainer/part_loader.h"
#include "trainer/train.h"

namespace tango::trainer {
namespace {

TEST(TrainOutputs, MetricsSummaryAndResolvedConfigAreWritten) {
  comm::Communicator comm;
  io::Dataset dataset = testing::random_dataset(400, 8, 16, 4, 31);
  DistGraph graph = comm.size() == 1 ? dist_graph_from_dataset(dataset)
                                     : partition_in_memory(dataset, comm.size(), comm.rank(), 1);
  tango::testing::TempDir dir;
  std::string base = dir.path().string();
  std::vector<char> buffer(base.begin(), base.end());
  buffer.resize(4096, '\0');
  comm.broadcast_bytes(buffer.data(), buffer.size(), 0);  // every rank uses rank 0's folder
  base = buffer.data();

  TrainConfig config;
  config.hidden = 16;
  config.epochs = 4;
  config.eval_every = 2;
  config.quiet = true;
  config.precision = Precision::kINT8;
  config.halo_bits_spec = "fwd=4,bwd=8";
  config.halo_bits.assign(2, HaloBits{4, 8});
  config.metrics_path = base + "/metrics.jsonl";
  config.summary_path = base + "/summary.json";
  const TrainResult result = train(config, graph, comm);
  comm.barrier();
  if (comm.rank() != 0) return;

  const std::vector<nlohmann::json> lines = io::read_jsonl(config.metrics_path);
  ASSERT_EQ(lines.size(), 4u);
  for (size_t e = 0; e < lines.size(); ++e) {
    const nlohmann::json& line = lines[e];
    EXPECT_EQ(line["epoch"], static_cast<int>(e + 1));
    EXPECT_GT(line["loss"].get<double>(), 0.0);
    const nlohmann::json& time_ms = line["time_ms"];
    for (const char* part : {"compute", "comm_wait", "comm_wait_forward", "comm_wait_backward", "allreduce",
                             "gradient_allreduce_wait", "optimizer"}) {
      EXPECT_GE(time_ms[part].get<double>(), 0.0) << part;
    }
    // The splits add up: halo time by direction, and the gradient allreduce's wait is part of "allreduce"
    // (which also holds the loss and accuracy counts' allreduces).
    EXPECT_NEAR(time_ms["comm_wait"].get<double>(),
                time_ms["comm_wait_forward"].get<double>() + time_ms["comm_wait_backward"].get<double>(),
                1e-9 * (1.0 + time_ms["comm_wait"].get<double>()));
    EXPECT_LE(time_ms["gradient_allreduce_wait"].get<double>(), time_ms["allreduce"].get<double>());
    if (comm.size() > 1) {  // both directions exchange (layer 1) on every epoch
      EXPECT_GT(time_ms["comm_wait_forward"].get<double>(), 0.0);
      EXPECT_GT(time_ms["comm_wait_backward"].get<double>(), 0.0);
    }
    EXPECT_EQ(line.contains("valid_acc"), (e + 1) % 2 == 0) << "epoch " << e + 1;
    EXPECT_EQ(line["peak_memory_bytes"].size(), static_cast<size_t>(comm.size()));
    ASSERT_EQ(line["halo"].size(), 4u);  // 2 layers x 2 directions
    if (comm.size() > 1) {
      for (const nlohmann::json& h : line["halo"]) {
        if (h["layer"] == 0) continue;  // layer 0 needs no exchange
        EXPECT_GT(h["bytes_sent"].get<int64_t>(), 0) << h.dump();
        // Per row: ceil(cols * bits / 8) code bytes + a bf16 scale vs 4 * cols: below half for cols >= 2.
        EXPECT_LT(h["bytes_sent"].get<int64_t>(), h["bytes_fp32"].get<int64_t>() / 2) << h.dump();
        EXPECT_GT(h["relative_error"].get<double>(), 0.0) << h.dump();
      }
    }
  }
  std::ifstream summary_file(config.summary_path);
  const nlohmann::json summary = nlohmann::json::parse(summary_file);
  for (const char* key : {"test_acc", "best_valid_acc", "epochs", "epoch_ms_mean", "ranks", "bytes_sent",
                          "bytes_fp32", "config"}) {
    EXPECT_TRUE(summary.contains(key)) << key;
  }
  EXPECT_EQ(summary["ranks"], comm.size());
  EXPECT_EQ(summary["epochs"], 4);
  EXPECT_EQ(summary["test_acc"].get<double>(), result.test_acc);
  EXPECT_GE(result.test_acc, 0.0);
  EXPECT_LE(result.test_acc, 1.0);
  EXPECT_EQ(summary["config"]["precision"], "int8");
  EXPECT_TRUE(std::filesystem::exists(resolved_config_path(config)));
}

// --halo-bits adaptive: comm's BitPolicy picks each layer's width from the measured error, the same on
// every rank; the chosen widths are in every metrics line and the bytes stay below fp32.
TEST(TrainOutputs, AdaptiveHaloBitsAreReportedAndSaveBytes) {
  comm::Communicator comm;
  io::Dataset dataset = testing::random_dataset(400, 8, 16, 4, 37);
  DistGraph graph = comm.size() == 1 ? dist_graph_from_dataset(dataset)
                                     : partition_in_memory(dataset, comm.size(), comm.rank(), 1);
  tango::testing::TempDir dir;
  std::string base = dir.path().string();
  std::vector<char> buffer(base.begin(), base.end());
  buffer.resize(4096, '\0');
  comm.broadcast_bytes(buffer.data(), buffer.size(), 0);
  base = buffer.data();
  TrainConfig config;
  config.hidden = 16;
  config.epochs = 6;
  config.quiet = true;
  config.halo_bits_spec = "adaptive";
  config.halo_bits = parse_halo_bits("adaptive", config.layers, &config.halo_adaptive);
  config.metrics_path = base + "/adaptive.jsonl";
  const TrainResult result = train(config, graph, comm);
  comm.barrier();
  if (comm.rank() != 0) return;
  const std::vector<nlohmann::json> lines = io::read_jsonl(config.metrics_path);
  ASSERT_EQ(lines.size(), 6u);
  for (const nlohmann::json& line : lines) {
    EXPECT_NE(line["halo_bits"].get<std::string>().find("L1 fwd="), std::string::npos) << line["halo_bits"];
  }
  if (comm.size() > 1) {
    EXPECT_GT(result.bytes_sent, 0);
    EXPECT_LT(result.bytes_sent, result.bytes_fp32 / 2);
  }
}

}  // namespace
}  // namespace tango::trainer
