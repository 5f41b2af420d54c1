// Checkpoint + --resume continue bit-identically: 10 epochs straight equal 5 epochs, a resume, and 5
// more, in the exact bits of every weight and every epoch's loss, on 2 ranks with dropout on (its
// masks are keyed by the epoch), in FP32 with fp32 halos, in INT8 with 4/8-bit stochastically rounded
// halos (each message's rounding is keyed by its layer's exchange count, which the checkpoint
// carries), and with adaptive halo widths (the bit policy's widths and windows are in the
// checkpoint: every epoch's widths match too). After a resume the metrics file lists every epoch
// once, even when the killed run had logged epochs past its last checkpoint. Also: resuming under
// another configuration, or from a checkpoint of an older format, is an input error.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>

#include "comm/communicator.h"
#include "core/error.h"
#include "io/checkpoint_store.h"
#include "io/hdf5_file.h"
#include "io/metrics_writer.h"
#include "tests/common/test_data.h"
#include "tests/trainer/trainer_test_graphs.h"
#include "trainer/config.h"
#include "trainer/part_loader.h"
#include "trainer/train.h"

namespace tango::trainer {
namespace {

class Resume : public ::testing::Test {
 protected:
  void SetUp() override {
    Dataset dataset = testing::random_dataset(300, 8, 12, 4, 23);
    graph_ = comm_.size() == 1 ? dist_graph_from_dataset(dataset)
                               : partition_in_memory(dataset, comm_.size(), comm_.rank(), 1);
    // Three layers of 64: layer 1 exchanges 64-wide rows, whose int8/int4 codes keep per-row scales
    // (narrower rows share one scale per exchange, where the adaptive policy cannot narrow).
    config_.layers = 3;
    config_.hidden = 64;
    config_.dropout = 0.5;
    config_.quiet = true;
    config_.halo_bits.assign(3, HaloBits{});
  }

  // Every rank writes into its own copy of the same folder name: rank 0 creates it, all share it.
  std::string shared_dir(const std::string& name) {
    std::string path = (dir_.path() / name).string();
    std::vector<char> buffer(path.begin(), path.end());
    buffer.resize(4096, '\0');
    comm_.broadcast_bytes(buffer.data(), buffer.size(), 0);
    return std::string(buffer.data());
  }

  friend std::vector<nlohmann::json> expect_resume_is_bit_identical(Resume&, TrainConfig, const std::string&);

  comm::Communicator comm_;
  DistGraph graph_;
  TrainConfig config_;
  tango::testing::TempDir dir_;
};

bool same_bits(const Tensor& a, const Tensor& b) {
  return a.numel() == b.numel() && std::memcmp(a.raw_data(), b.raw_data(), a.nbytes()) == 0;
}

// Trains `config` 10 epochs straight and 5 + resume + 5 (each with its own checkpoint folder and
// metrics file) and expects the same bits in every loss and weight and, on rank 0, the same halo
// widths, codecs and bytes in every epoch's metrics line. Returns the resumed run's metrics lines.
std::vector<nlohmann::json> expect_resume_is_bit_identical(Resume& fixture, TrainConfig config,
                                                           const std::string& name) {
  TrainConfig straight = config;
  straight.epochs = 10;
  straight.checkpoint_dir = fixture.shared_dir(name + "-straight");
  straight.metrics_path = straight.checkpoint_dir + ".jsonl";
  const TrainResult full = train(straight, fixture.graph_, fixture.comm_);

  TrainConfig first = config;
  first.epochs = 5;
  first.checkpoint_dir = fixture.shared_dir(name + "-split");
  first.metrics_path = first.checkpoint_dir + ".jsonl";
  const TrainResult head = train(first, fixture.graph_, fixture.comm_);
  TrainConfig second = first;
  second.epochs = 10;
  second.resume = true;
  const TrainResult tail = train(second, fixture.graph_, fixture.comm_);

  EXPECT_EQ(head.losses.size(), 5u);
  EXPECT_EQ(tail.losses.size(), 5u);
  for (size_t e = 0; e < 10 && e < full.losses.size() && head.losses.size() + tail.losses.size() == 10; ++e) {
    const double resumed = e < 5 ? head.losses[e] : tail.losses[e - 5];
    EXPECT_EQ(std::memcmp(&resumed, &full.losses[e], sizeof(double)), 0)
        << name << " epoch " << e + 1 << ": " << resumed << " vs " << full.losses[e];
  }
  EXPECT_EQ(full.weights.size(), tail.weights.size());
  for (const auto& [weight_name, weight] : full.weights) {
    EXPECT_TRUE(tail.weights.count(weight_name) && same_bits(weight, tail.weights.at(weight_name)))
        << name << " " << weight_name;
  }
  EXPECT_EQ(tail.epochs, 10);
  EXPECT_EQ(tail.best_epoch, full.best_epoch);
  EXPECT_EQ(tail.test_acc, full.test_acc);
  EXPECT_EQ(tail.best_valid_acc, full.best_valid_acc);
  EXPECT_EQ(tail.bytes_sent + head.bytes_sent, full.bytes_sent) << name;

  if (fixture.comm_.rank() != 0) return {};
  const std::vector<nlohmann::json> expected = read_jsonl(straight.metrics_path);
  const std::vector<nlohmann::json> resumed = read_jsonl(first.metrics_path);
  EXPECT_EQ(expected.size(), 10u);
  EXPECT_EQ(resumed.size(), 10u) << name << ": one metrics line per epoch after the resume";
  for (size_t e = 0; e < expected.size() && e < resumed.size(); ++e) {
    EXPECT_EQ(resumed[e]["epoch"], expected[e]["epoch"]) << name << " line " << e + 1;
    EXPECT_EQ(resumed[e]["loss"], expected[e]["loss"]) << name << " line " << e + 1;
    EXPECT_EQ(resumed[e]["halo_bits"], expected[e]["halo_bits"]) << name << " epoch " << e + 1;
    EXPECT_EQ(resumed[e]["bytes_sent"], expected[e]["bytes_sent"]) << name << " epoch " << e + 1;
    for (size_t i = 0; i < expected[e]["halo"].size(); ++i)
      EXPECT_EQ(resumed[e]["halo"][i]["codec"], expected[e]["halo"][i]["codec"])
          << name << " epoch " << e + 1 << " " << expected[e]["halo"][i];
  }
  return resumed;
}

TEST_F(Resume, TenEpochsEqualFivePlusResumePlusFiveBitForBit) {
  expect_resume_is_bit_identical(*this, config_, "fp32");
}

// --precision int8 --halo-bits fwd=4,bwd=8 --stochastic-rounding: every halo message is rounded with a
// hash keyed by its layer's exchange count, which must continue across the resume.
TEST_F(Resume, Int8WithStochasticallyRoundedHalosResumesBitForBit) {
  TrainConfig config = config_;
  config.precision = Precision::kINT8;
  config.stochastic_rounding = true;
  config.halo_bits_spec = "fwd=4,bwd=8";
  config.halo_bits = parse_halo_bits(config.halo_bits_spec, config.layers, &config.halo_adaptive);
  expect_resume_is_bit_identical(*this, config, "int8-sr");
}

// --halo-bits adaptive: the widths chosen before the checkpoint and the statistics gathered since the
// last decision carry over, so every epoch's widths (in the metrics) and every bit match.
TEST_F(Resume, AdaptiveHaloBitsResumeWithTheirWidthsBitForBit) {
  TrainConfig config = config_;
  config.stochastic_rounding = true;
  config.halo_bits_spec = "adaptive";
  config.halo_bits = parse_halo_bits(config.halo_bits_spec, config.layers, &config.halo_adaptive);
  const std::vector<nlohmann::json> lines = expect_resume_is_bit_identical(*this, config, "adaptive");
  // The policy did move away from its starting width (else this test would not see a lost state).
  bool narrowed = false;
  for (const nlohmann::json& line : lines)
    for (const nlohmann::json& halo : line["halo"])
      narrowed |= halo["codec"].get<std::string>().rfind("int8", 0) != 0;
  if (comm_.rank() == 0) {
    EXPECT_TRUE(narrowed) << "the adaptive policy kept every message at 8 bits";
  }
}

// A run killed after logging epoch 7 with its last checkpoint at epoch 5 runs epochs 6 and 7 again
// on --resume: the metrics file then lists epochs 1..10 once each, epochs 1..5 untouched.
TEST_F(Resume, MetricsListEveryEpochOnceAfterAResume) {
  TrainConfig first = config_;
  first.epochs = 7;
  first.checkpoint_every = 5;
  first.checkpoint_dir = shared_dir("killed");
  first.metrics_path = first.checkpoint_dir + ".jsonl";
  train(first, graph_, comm_);
  // "Kill" the run after epoch 7: its final checkpoint was never written.
  const CheckpointStore store(first.checkpoint_dir, comm_.rank(), comm_.size());
  ASSERT_TRUE(std::filesystem::remove(store.path_for(7, comm_.rank())));
  comm_.barrier();
  std::vector<nlohmann::json> before;
  if (comm_.rank() == 0) {
    before = read_jsonl(first.metrics_path);
    ASSERT_EQ(before.size(), 7u);
    // And a torn line, as a kill mid-write leaves it.
    std::FILE* file = std::fopen(first.metrics_path.c_str(), "a");
    ASSERT_NE(file, nullptr);
    std::fputs("{\"epoch\": 8, \"lo", file);
    std::fclose(file);
  }
  comm_.barrier();

  TrainConfig second = first;
  second.epochs = 10;
  second.resume = true;
  const TrainResult tail = train(second, graph_, comm_);
  EXPECT_EQ(tail.losses.size(), 5u);
  if (comm_.rank() != 0) return;
  const std::vector<nlohmann::json> lines = read_jsonl(first.metrics_path);
  ASSERT_EQ(lines.size(), 10u);
  for (size_t e = 0; e < lines.size(); ++e) EXPECT_EQ(lines[e]["epoch"], e + 1);
  for (size_t e = 0; e < 5; ++e) EXPECT_EQ(lines[e], before[e]) << "epoch " << e + 1;
  // Epochs 6 and 7 run again from the same checkpoint state: the same losses as the killed run logged.
  for (size_t e = 5; e < 7; ++e) EXPECT_EQ(lines[e]["loss"], before[e]["loss"]) << "epoch " << e + 1;
}

// A checkpoint of format version 1 lacks the halo state: resuming from it is an input error that says
// so, on every rank, instead of a run that silently differs.
TEST_F(Resume, CheckpointOfAnOlderFormatIsAnInputError) {
  TrainConfig first = config_;
  first.epochs = 2;
  first.checkpoint_dir = shared_dir("old-format");
  train(first, graph_, comm_);
  {
    // Rewrite this rank's file as version 1 wrote it: the same attributes and tensors, no halo state.
    const CheckpointStore store(first.checkpoint_dir, comm_.rank(), comm_.size());
    const Checkpoint ckpt = store.load(2);
    const std::string path = store.path_for(2, comm_.rank());
    std::filesystem::remove(path);
    H5File h5 = H5File::create(path);
    h5.set_attr("format_version", int64_t{1});
    h5.set_attr("epoch", ckpt.epoch);
    h5.set_attr("rng_state", static_cast<int64_t>(ckpt.rng_state));
    h5.set_attr("config_hash", ckpt.config_hash);
    h5.set_attr("rank", static_cast<int64_t>(comm_.rank()));
    h5.set_attr("num_ranks", static_cast<int64_t>(comm_.size()));
    for (const auto& [name, tensor] : ckpt.tensors)
      if (name.rfind("halo.", 0) != 0) h5.write("/tensors/" + name, tensor);
    h5.close();
  }
  comm_.barrier();
  TrainConfig second = first;
  second.epochs = 4;
  second.resume = true;
  try {
    train(second, graph_, comm_);
    FAIL() << "resumed from a version-1 checkpoint";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput) << e.what();
    EXPECT_NE(std::string(e.what()).find("format version 1"), std::string::npos) << e.what();
  }
}

TEST_F(Resume, ResumingUnderAnotherConfigurationIsAnInputError) {
  TrainConfig first = config_;
  first.epochs = 2;
  first.checkpoint_dir = shared_dir("changed");
  train(first, graph_, comm_);
  TrainConfig changed = first;
  changed.epochs = 4;
  changed.resume = true;
  changed.lr = 0.05;
  try {
    train(changed, graph_, comm_);
    FAIL() << "resumed under another configuration";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput) << e.what();
  }
}

}  // namespace
}  // namespace tango::trainer
