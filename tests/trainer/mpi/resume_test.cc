// Checkpoint + --resume continue bit-identically: 10 epochs straight equal 5 epochs, a resume, and 5
// more, in the exact bits of every weight and every epoch's loss, on 2 ranks with dropout on (its
// masks are keyed by the epoch), in FP32 with fp32 halos, in INT8 with 4/8-bit stochastically rounded
// halos (each message's rounding is keyed by its layer's exchange count, which the checkpoint
// carries), and with adaptive halo widths (the bit policy's widths and windows are in the
// checkpoint: every epoch's widths match too). After a resume the metrics file lists every epoch
// once, even when the killed run had logged epochs past its last checkpoint. Also: resuming under
// another configuration, on another dataset or from a damaged checkpoint is an input error on every
// rank that changes none of the run's files. Per-rank checkpoints of format 2 still resume, to the bit.
// (Resuming on another rank count: resume_rank_count_test.cc.)
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>

#include "comm/communicator.h"
#include "core/error.h"
#include "io/checkpoint_store.h"
#include "io/hdf5_file.h"
#include "io/metrics_writer.h"
#include "tests/common/test_data.h"
#include "tests/trainer/trainer_test_graphs.h"
#include "trainer/config.h"
#include "trainer/legacy_checkpoints.h"
#include "trainer/part_loader.h"
#include "trainer/train.h"

namespace tango::trainer {
namespace {

class Resume : public ::testing::Test {
 protected:
  void SetUp() override {
    io::Dataset dataset = testing::random_dataset(300, 8, 12, 4, 23);
    graph_ = comm_.size() == 1 ? dist_graph_from_dataset(dataset)
                               : partition_in_memory(dataset, comm_.size(), comm_.rank(), 1);
    // Three layers of 64: layer 1 exchanges 64-wide rows with per-row int8/int4 scales.
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
  friend void expect_refused(Resume&, const TrainConfig&, const DistGraph&, const std::string&);
  friend TrainConfig two_epochs(Resume&, TrainConfig, const std::string&);
  friend void write_as_format2(Resume&, const TrainConfig&, int64_t);

  comm::Communicator comm_;
  DistGraph graph_;
  TrainConfig config_;
  tango::testing::TempDir dir_;
};

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

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
  const std::vector<nlohmann::json> expected = io::read_jsonl(straight.metrics_path);
  const std::vector<nlohmann::json> resumed = io::read_jsonl(first.metrics_path);
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
  const io::CheckpointStore store(first.checkpoint_dir);
  if (comm_.rank() == 0) {
    EXPECT_TRUE(std::filesystem::remove(store.path_for(7)));
  }
  comm_.barrier();
  std::vector<nlohmann::json> before;
  if (comm_.rank() == 0) {
    before = io::read_jsonl(first.metrics_path);
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
  const std::vector<nlohmann::json> lines = io::read_jsonl(first.metrics_path);
  ASSERT_EQ(lines.size(), 10u);
  for (size_t e = 0; e < lines.size(); ++e) EXPECT_EQ(lines[e]["epoch"], e + 1);
  for (size_t e = 0; e < 5; ++e) EXPECT_EQ(lines[e], before[e]) << "epoch " << e + 1;
  // Epochs 6 and 7 run again from the same checkpoint state: the same losses as the killed run logged.
  for (size_t e = 5; e < 7; ++e) EXPECT_EQ(lines[e]["loss"], before[e]["loss"]) << "epoch " << e + 1;
}

// Expects `config` to fail to resume with an input error on every rank whose message holds `needle`,
// and the checkpoint folder and the metrics file to be left byte for byte as they were.
void expect_refused(Resume& fixture, const TrainConfig& config, const DistGraph& graph,
                    const std::string& needle) {
  const auto snapshot = [&] {
    std::map<std::string, std::string> files;
    for (const auto& entry : std::filesystem::directory_iterator(config.checkpoint_dir))
      files[entry.path().filename().string()] = read_file(entry.path().string());
    if (!config.metrics_path.empty()) files["metrics"] = read_file(config.metrics_path);
    return files;
  };
  fixture.comm_.barrier();
  const auto before = snapshot();
  try {
    train(config, graph, fixture.comm_);
    ADD_FAILURE() << "resumed although: " << needle;
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput) << e.what();
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
  fixture.comm_.barrier();
  const auto after = snapshot();
  fixture.comm_.barrier();  // rank 0's folder goes with its fixture: every rank has read it
  for (const auto& [file, bytes] : before) {
    EXPECT_TRUE(after.count(file) && after.at(file) == bytes)
        << "rank " << fixture.comm_.rank() << ": a refused resume changed " << file << " (" << bytes.size()
        << " bytes before, " << (after.count(file) ? after.at(file).size() : 0) << " after)";
  }
  EXPECT_EQ(after.size(), before.size()) << "a refused resume added files";
}

// Two epochs into a fresh folder, with metrics: what the refusals below try to resume.
TrainConfig two_epochs(Resume& fixture, TrainConfig config, const std::string& name) {
  config.epochs = 2;
  config.checkpoint_dir = fixture.shared_dir(name);
  config.metrics_path = config.checkpoint_dir + ".jsonl";
  train(config, fixture.graph_, fixture.comm_);
  config.epochs = 4;
  config.resume = true;
  return config;
}

// Rewrites the checkpoint of `epoch` in `dir` as format 2 wrote it, one file per rank (rank 0 writes
// them all): the same tensors, the halo windows as [calls, decisions, 4 sums] with each rank's own
// sums, the format-2 hash; then removes the format-3 file.
void write_as_format2(Resume& fixture, const TrainConfig& config, int64_t epoch) {
  if (fixture.comm_.rank() == 0) {
    const io::CheckpointStore store(config.checkpoint_dir);
    const io::Checkpoint ckpt = store.load(epoch);
    const std::vector<int64_t> counts = ckpt.tensors.at("halo.policy.windows").to_vector<int64_t>();
    const std::vector<int64_t> sums = ckpt.tensors.at("halo.policy.window_sums").to_vector<int64_t>();
    const size_t windows = counts.size() / 2;
    for (int64_t r = 0; r < ckpt.num_ranks; ++r) {
      io::H5File h5 =
          io::H5File::create(config.checkpoint_dir + fmt::format("/ckpt-e{:06d}-r{:04d}.h5", epoch, r));
      h5.set_attr("format_version", int64_t{2});
      h5.set_attr("epoch", ckpt.epoch);
      h5.set_attr("rng_state", static_cast<int64_t>(ckpt.rng_state));
      h5.set_attr("config_hash", format2_config_hash(config));
      h5.set_attr("rank", r);
      h5.set_attr("num_ranks", ckpt.num_ranks);
      std::vector<int64_t> format2_windows;
      for (size_t w = 0; w < windows; ++w) {
        format2_windows.insert(format2_windows.end(), {counts[w * 2], counts[w * 2 + 1]});
        const size_t row = static_cast<size_t>(r) * windows * 4 + w * 4;
        format2_windows.insert(format2_windows.end(), sums.begin() + row, sums.begin() + row + 4);
      }
      for (const auto& [name, tensor] : ckpt.tensors)
        if (name != "halo.policy.windows" && name != "halo.policy.window_sums")
          h5.write("/tensors/" + name, tensor);
      h5.write("/tensors/halo.policy.windows", Tensor::from(format2_windows));
      h5.close();
    }
    std::filesystem::remove(store.path_for(epoch));
  }
  fixture.comm_.barrier();
}

// Per-rank checkpoints of format 2 (written before checkpoints became one file) still resume, to the bit
// on the rank count that wrote them, adaptive halo windows included; the next checkpoint is one file.
TEST_F(Resume, PerRankCheckpointsOfFormatTwoResumeBitForBit) {
  TrainConfig config = config_;
  config.stochastic_rounding = true;
  config.halo_bits_spec = "adaptive";
  config.halo_bits = parse_halo_bits(config.halo_bits_spec, config.layers, &config.halo_adaptive);
  TrainConfig straight = config;
  straight.epochs = 8;
  const TrainResult full = train(straight, graph_, comm_);
  TrainConfig first = config;
  first.epochs = 4;
  first.checkpoint_dir = shared_dir("format2");
  const TrainResult head = train(first, graph_, comm_);
  write_as_format2(*this, first, 4);
  TrainConfig second = first;
  second.epochs = 8;
  second.resume = true;
  const TrainResult tail = train(second, graph_, comm_);
  ASSERT_EQ(tail.losses.size(), 4u);
  for (size_t e = 0; e < 4; ++e)
    EXPECT_EQ(std::memcmp(&tail.losses[e], &full.losses[e + 4], sizeof(double)), 0) << "epoch " << e + 5;
  for (const auto& [name, weight] : full.weights)
    EXPECT_TRUE(same_bits(weight, tail.weights.at(name))) << name;
  EXPECT_EQ(io::CheckpointStore(first.checkpoint_dir).latest_epoch(), 8);
  comm_.barrier();
}

// Format 2 kept only a hash of the configuration: another one is refused, naming the file.
TEST_F(Resume, PerRankCheckpointsUnderAnotherConfigurationAreAnInputError) {
  TrainConfig config = two_epochs(*this, config_, "format2-changed");
  write_as_format2(*this, config, 2);
  config.lr = 0.05;
  expect_refused(*this, config, graph_, "ckpt-e000002-r0000.h5' belongs to another configuration");
}

// The error names each key that changed, with both values.
TEST_F(Resume, ResumingUnderAnotherConfigurationIsAnInputError) {
  TrainConfig changed = two_epochs(*this, config_, "changed");
  changed.lr = 0.05;
  expect_refused(*this, changed, graph_, "lr: 0.01 in the checkpoint, 0.05 now");
}

// Another dataset (here: the same sizes, other features) is refused naming both.
TEST_F(Resume, ResumingOnAnotherDatasetIsAnInputError) {
  const TrainConfig config = two_epochs(*this, config_, "other-data");
  io::Dataset other = testing::random_dataset(300, 8, 12, 4, 24);
  other.name = "other";
  const DistGraph other_graph = comm_.size() == 1 ? dist_graph_from_dataset(other)
                                                  : partition_in_memory(other, comm_.size(), comm_.rank(), 1);
  expect_refused(*this, config, other_graph, "but this run reads dataset 'other' (300 nodes");
}

// A truncated or changed checkpoint file is refused on every rank, naming it, and nothing is written.
TEST_F(Resume, DamagedCheckpointIsAnInputError) {
  const TrainConfig config = two_epochs(*this, config_, "damaged");
  const std::string path = io::CheckpointStore(config.checkpoint_dir).path_for(2);
  const std::string good = read_file(path);
  comm_.barrier();
  if (comm_.rank() == 0)
    std::ofstream(path, std::ios::binary | std::ios::trunc) << good.substr(0, good.size() / 3);
  expect_refused(*this, config, graph_, "checkpoint '" + path + "' cannot be resumed");
  comm_.barrier();
  if (comm_.rank() == 0) {
    // One bit of a weight (stored uncompressed: its first 16 bytes are found in the file).
    std::ofstream(path, std::ios::binary | std::ios::trunc) << good;
    const Tensor weight = io::CheckpointStore(config.checkpoint_dir).load(2).tensors.at("layer0.weight");
    const size_t at = good.find(std::string(static_cast<const char*>(weight.raw_data()), 16));
    ASSERT_NE(at, std::string::npos);
    std::string flipped = good;
    flipped[at + 5] ^= 0x10;
    std::ofstream(path, std::ios::binary | std::ios::trunc) << flipped;
  }
  expect_refused(*this, config, graph_, "checkpoint '" + path + "' cannot be resumed");
}

}  // namespace
}  // namespace tango::trainer
