#include "trainer/config.h"

#include <gtest/gtest.h>

#include <CLI/CLI.hpp>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "tests/common/test_data.h"

namespace tango::trainer {
namespace {

TrainConfig parse(std::vector<std::string> args) {
  CLI::App app;
  TrainConfig config;
  add_train_flags(app, config);
  std::reverse(args.begin(), args.end());  // CLI11 takes the vector in reverse order
  app.parse(args);
  finalize_config(config);
  return config;
}

TEST(TrainConfig, FlagsUsePygNames) {
  TrainConfig c = parse({"--dataset",      "synthetic:nodes=100",
                         "--model",        "gat",
                         "--layers",       "3",
                         "--hidden",       "32",
                         "--heads",        "4",
                         "--dropout",      "0.6",
                         "--lr",           "0.005",
                         "--weight-decay", "0.001",
                         "--epochs",       "7",
                         "--seed",         "9",
                         "--eval-every",   "2",
                         "--precision",    "int8"});
  EXPECT_EQ(c.model, ModelKind::kGAT);
  EXPECT_EQ(c.layers, 3);
  EXPECT_EQ(c.hidden, 32);
  EXPECT_EQ(c.heads, 4);
  EXPECT_DOUBLE_EQ(c.dropout, 0.6);
  EXPECT_DOUBLE_EQ(c.weight_decay, 0.001);
  EXPECT_EQ(c.epochs, 7);
  EXPECT_EQ(c.seed, 9u);
  EXPECT_EQ(c.precision, Precision::kINT8);
  EXPECT_EQ(c.halo_bits.size(), 3u);
}

TEST(TrainConfig, HaloBitsPerDirectionAndPerLayer) {
  bool adaptive = false;
  auto bits = parse_halo_bits("fwd=4,bwd=8,L1.fwd=2", 3, &adaptive);
  EXPECT_FALSE(adaptive);
  EXPECT_EQ(bits[0].forward, 4);
  EXPECT_EQ(bits[1].forward, 2);
  EXPECT_EQ(bits[2].forward, 4);
  EXPECT_EQ(bits[2].backward, 8);
  bits = parse_halo_bits("16", 2, &adaptive);
  EXPECT_EQ(bits[1].backward, 16);
  parse_halo_bits("adaptive", 2, &adaptive);
  EXPECT_TRUE(adaptive);
}

// Halo messages round stochastically unless told otherwise (trainer/config.h says why).
TEST(TrainConfig, HaloRoundingIsStochasticByDefault) {
  EXPECT_TRUE(parse({"--dataset", "x"}).stochastic_rounding);
  EXPECT_FALSE(parse({"--dataset", "x", "--nearest-rounding"}).stochastic_rounding);
  EXPECT_TRUE(parse({"--dataset", "x", "--stochastic-rounding"}).stochastic_rounding);
}

TEST(TrainConfig, BadHaloBitsQuoteTheSpec) {
  bool adaptive;
  for (const char* bad : {"fwd=3", "up=8", "L5.fwd=8", "fwd=", "L1=8", ""}) {
    try {
      parse_halo_bits(bad, 2, &adaptive);
      FAIL() << "accepted '" << bad << "'";
    } catch (const Error& e) {
      EXPECT_EQ(e.exit_code(), 2);
      EXPECT_NE(std::string(e.what()).find("--halo-bits"), std::string::npos) << e.what();
    }
  }
}

TEST(TrainConfig, TomlConfigFileSetsTheSameKeys) {
  testing::TempDir dir;
  std::string path = dir.file("run.toml");
  std::ofstream(path) << "dataset = \"synthetic:nodes=50\"\nhidden = 128\nlr = 0.05\nmodel = \"sage\"\n";
  TrainConfig c = parse({"--config", path, "--epochs", "3"});
  EXPECT_EQ(c.hidden, 128);
  EXPECT_DOUBLE_EQ(c.lr, 0.05);
  EXPECT_EQ(c.model, ModelKind::kSAGE);
  EXPECT_EQ(c.epochs, 3);
}

TEST(TrainConfig, GatWithoutItsFlagsGetsTheGatPaperSettings) {
  TrainConfig gat = parse({"--dataset", "x", "--model", "gat"});
  EXPECT_EQ(gat.hidden, 8);  // per head: 8 heads x 8 concatenated
  EXPECT_EQ(gat.heads, 8);
  EXPECT_DOUBLE_EQ(gat.dropout, 0.6);
  EXPECT_DOUBLE_EQ(gat.attn_dropout, 0.6);
  EXPECT_EQ(gat.activation, "elu");
  EXPECT_DOUBLE_EQ(gat.lr, 0.005);
  EXPECT_DOUBLE_EQ(gat.weight_decay, 5e-4);
  // Given values win, from the command line or from the TOML file; other models keep their defaults.
  TrainConfig given = parse({"--dataset", "x", "--model", "gat", "--lr", "0.01", "--attn-dropout", "0"});
  EXPECT_DOUBLE_EQ(given.lr, 0.01);
  EXPECT_DOUBLE_EQ(given.attn_dropout, 0.0);
  EXPECT_DOUBLE_EQ(given.dropout, 0.6);
  testing::TempDir dir;
  std::string path = dir.file("gat.toml");
  std::ofstream(path) << "dataset = \"x\"\nmodel = \"gat\"\nhidden = 16\nactivation = \"relu\"\n";
  TrainConfig toml = parse({"--config", path});
  EXPECT_EQ(toml.hidden, 16);
  EXPECT_EQ(toml.activation, "relu");
  EXPECT_DOUBLE_EQ(toml.lr, 0.005);
  TrainConfig gcn = parse({"--dataset", "x"});
  EXPECT_EQ(gcn.hidden, 64);
  EXPECT_DOUBLE_EQ(gcn.dropout, 0.5);
  EXPECT_DOUBLE_EQ(gcn.lr, 0.01);
  EXPECT_EQ(gcn.activation, "relu");
}

TEST(TrainConfig, HashIgnoresEpochsButNotHyperparameters) {
  TrainConfig a = parse({"--dataset", "x", "--epochs", "5"});
  TrainConfig b = parse({"--dataset", "x", "--epochs", "10"});
  TrainConfig c = parse({"--dataset", "x", "--lr", "0.1"});
  EXPECT_EQ(a.hash(), b.hash());
  EXPECT_NE(a.hash(), c.hash());
  EXPECT_EQ(a.to_json()["model"], "gcn");
}

// A checkpoint resumes on another rank count, partition, input path, device or set of outputs: none of
// these is in the hash. Everything that changes the math is.
TEST(TrainConfig, HashCoversTheMathOnly) {
  const std::string base = parse({"--dataset", "x"}).hash();
  for (const std::vector<std::string>& same :
       {std::vector<std::string>{"--parts", "parts4"},
        {"--dataset", "y", "--partition", "3"},
        {"--dataset", "x", "--split", "other"},
        {"--dataset", "x", "--device", "cpu"},
        {"--dataset", "x", "--no-overlap"},
        {"--dataset", "x", "--metrics", "m.jsonl", "--summary", "s.json"},
        {"--dataset", "x", "--checkpoint-dir", "c", "--checkpoint-every", "3", "--checkpoint-keep", "5"},
        {"--dataset", "x", "--quiet"}}) {
    EXPECT_EQ(parse(same).hash(), base) << same[0] << " " << same[1];
  }
  for (const std::vector<std::string>& changed : {std::vector<std::string>{"--model", "sage"},
                                                  {"--layers", "3"},
                                                  {"--hidden", "32"},
                                                  {"--heads", "4"},
                                                  {"--dropout", "0.1"},
                                                  {"--attn-dropout", "0.1"},
                                                  {"--activation", "elu"},
                                                  {"--lr", "0.1"},
                                                  {"--weight-decay", "0"},
                                                  {"--optimizer", "adamw"},
                                                  {"--seed", "2"},
                                                  {"--eval-every", "5"},
                                                  {"--precision", "int8"},
                                                  {"--halo-bits", "8"},
                                                  {"--gat-attention", "per-row"},
                                                  {"--nearest-rounding"},
                                                  {"--normalize-features"}}) {
    std::vector<std::string> args = {"--dataset", "x"};
    args.insert(args.end(), changed.begin(), changed.end());
    EXPECT_NE(parse(args).hash(), base) << changed[0];
  }
}

TEST(TrainConfig, InputIsRequiredAndResumeNeedsADirectory) {
  EXPECT_THROW(parse({"--epochs", "3"}), CLI::ParseError);
  EXPECT_THROW(parse({"--dataset", "x", "--resume"}), Error);
  EXPECT_THROW(parse({"--dataset", "x", "--model", "gin"}), CLI::ParseError);
}

TEST(TrainConfig, QuantTelemetryNeedsAMetricsFileAndStaysOutOfTheHash) {
  EXPECT_THROW(parse({"--dataset", "x", "--quant-telemetry-every", "5"}), Error);
  EXPECT_THROW(parse({"--dataset", "x", "--metrics", "m.jsonl", "--quant-telemetry-every", "-1"}),
               CLI::ParseError);
  const TrainConfig on = parse({"--dataset", "x", "--metrics", "m.jsonl", "--quant-telemetry-every", "5"});
  EXPECT_EQ(on.quant_telemetry_every, 5);
  EXPECT_EQ(on.hash(), parse({"--dataset", "x"}).hash());  // measuring changes no value
}

}  // namespace
}  // namespace tango::trainer
