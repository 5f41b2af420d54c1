#include "io/checkpoint_store.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "io/atomic_file.h"
#include "io/metrics_writer.h"
#include "tests/common/test_data.h"

namespace tango::io {
namespace {

Checkpoint make_checkpoint(int64_t epoch) {
  Checkpoint c;
  c.epoch = epoch;
  c.rng_state = 0xfeedbeefcafe0000ull + epoch;
  c.num_ranks = 4;
  c.config_hash = "abc123";
  c.config = R"({"lr":0.01})";
  c.dataset = {"toy", 10, 40, 0x8000000000000001ull};
  c.tensors["layer0.weight"] = Tensor::from(std::vector<float>{1.5f, -2.f, 3.25f, float(epoch)}, 2, 2);
  c.tensors["adam.step"] = Tensor::from(std::vector<int64_t>{epoch});
  return c;
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

// The input error (exit 2) load() gives, which must name the file.
std::string load_error(const CheckpointStore& store, int64_t epoch) {
  try {
    store.load(epoch);
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_code(), 2) << e.what();
    EXPECT_NE(std::string(e.what()).find(store.path_for(epoch)), std::string::npos) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "loaded a damaged checkpoint";
  return "";
}

TEST(CheckpointStore, SaveLoadRoundTripIsBitExact) {
  testing::TempDir dir;
  CheckpointStore store(dir.path().string());
  store.save(make_checkpoint(5));
  EXPECT_EQ(store.path_for(5), dir.file("ckpt-e000005.h5"));
  Checkpoint back = store.load(5);
  EXPECT_EQ(back.epoch, 5);
  EXPECT_EQ(back.rng_state, 0xfeedbeefcafe0005ull);
  EXPECT_EQ(back.num_ranks, 4);
  EXPECT_EQ(back.config_hash, "abc123");
  EXPECT_EQ(back.config, R"({"lr":0.01})");
  EXPECT_EQ(back.dataset.name, "toy");
  EXPECT_TRUE(back.dataset.same_data(DatasetIdentity{"other name", 10, 40, 0x8000000000000001ull}));
  ASSERT_EQ(back.tensors.size(), 2u);
  EXPECT_EQ(back.tensors["layer0.weight"].to_vector<float>(), (std::vector<float>{1.5f, -2.f, 3.25f, 5.f}));
  EXPECT_EQ(back.tensors["layer0.weight"].cols(), 2);
  EXPECT_EQ(back.tensors["adam.step"].to_vector<int64_t>(), (std::vector<int64_t>{5}));
}

// A temp file of a write that was killed is not a checkpoint.
TEST(CheckpointStore, LatestEpochIgnoresTempFiles) {
  testing::TempDir dir;
  CheckpointStore store(dir.path().string());
  EXPECT_FALSE(store.latest_epoch().has_value());
  store.save(make_checkpoint(2));
  write_bytes(store.path_for(4) + ".tmp-123", "half");
  EXPECT_EQ(store.latest_epoch(), 2);
  EXPECT_EQ(store.epochs(), (std::vector<int64_t>{2}));
}

TEST(CheckpointStore, KeepsOnlyTheNewestCheckpoints) {
  testing::TempDir dir;
  CheckpointStore store(dir.path().string());
  for (int e = 1; e <= 4; ++e) store.save(make_checkpoint(e), /*keep=*/2);
  EXPECT_EQ(store.epochs(), (std::vector<int64_t>{3, 4}));
  store.save(make_checkpoint(5), /*keep=*/1);
  EXPECT_EQ(store.epochs(), (std::vector<int64_t>{5}));
}

// Truncated, not HDF5 at all, or one byte of a tensor changed: an input error naming the file, never a
// run that resumes from garbage.
TEST(CheckpointStore, DamagedFilesAreInputErrors) {
  testing::TempDir dir;
  CheckpointStore store(dir.path().string());
  store.save(make_checkpoint(1));
  const std::string good = read_bytes(store.path_for(1));

  write_bytes(store.path_for(1), good.substr(0, good.size() / 2));
  EXPECT_NE(load_error(store, 1).find("remove it to resume from an older checkpoint"), std::string::npos);

  write_bytes(store.path_for(1), "not a checkpoint");
  load_error(store, 1);

  // The weights are stored uncompressed: find 3.25f's bytes and change one.
  std::string flipped = good;
  const float value = 3.25f;
  const size_t at = flipped.find(std::string(reinterpret_cast<const char*>(&value), sizeof value));
  ASSERT_NE(at, std::string::npos);
  flipped[at] ^= 0x01;
  write_bytes(store.path_for(1), flipped);
  EXPECT_NE(load_error(store, 1).find("do not match their checksum"), std::string::npos);

  write_bytes(store.path_for(1), good);
  EXPECT_EQ(store.load(1).epoch, 1);
}

// Format 2 wrote one file per rank: not this store's files.
TEST(CheckpointStore, PerRankFilesOfFormatTwoAreNotItsFiles) {
  testing::TempDir dir;
  CheckpointStore store(dir.path().string());
  write_bytes(dir.file("ckpt-e000010-r0000.h5"), "x");
  EXPECT_FALSE(store.latest_epoch().has_value());
}

TEST(MetricsWriter, AppendsOneJsonObjectPerLineAndResumes) {
  testing::TempDir dir;
  std::string path = dir.file("metrics.jsonl");
  {
    MetricsWriter writer(path, /*append=*/false);
    writer.append({{"epoch", 1}, {"loss", 1.25}});
    writer.append({{"epoch", 2}, {"loss", 0.5}});
  }
  { MetricsWriter(path, /*append=*/true).append({{"epoch", 3}, {"loss", 0.25}}); }
  auto records = read_jsonl(path);
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[2]["epoch"], 3);
  EXPECT_DOUBLE_EQ(records[1]["loss"].get<double>(), 0.5);
  MetricsWriter disabled;
  EXPECT_FALSE(disabled.enabled());
  disabled.append({{"ignored", true}});
}

// Resuming after epoch 2: later epochs' lines and a torn last line go, the rest stays byte for byte.
TEST(MetricsWriter, KeepMetricsThroughEpochDropsLaterAndTornLines) {
  testing::TempDir dir;
  std::string path = dir.file("metrics.jsonl");
  const std::string kept =
      "{\"epoch\":1,\"loss\":1.5}\n{\"note\":\"no epoch\"}\n{\"epoch\":2,\"loss\":0.75}\n";
  write_file_atomic(path, kept + "{\"epoch\":3,\"loss\":0.5}\n{\"epoch\":4,\"lo");
  keep_metrics_through_epoch(path, 2);
  std::ifstream in(path);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), kept);
  keep_metrics_through_epoch(dir.file("absent.jsonl"), 2);  // nothing logged yet: nothing to do
  EXPECT_FALSE(std::filesystem::exists(dir.file("absent.jsonl")));
  // A malformed line that is not the torn last one is an input error naming the line.
  write_file_atomic(path, "{\"epoch\":1}\n{oops\n{\"epoch\":2}\n");
  try {
    keep_metrics_through_epoch(path, 1);
    FAIL() << "did not throw";
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_code(), 2);
    EXPECT_NE(std::string(e.what()).find("line 2"), std::string::npos) << e.what();
  }
}

TEST(MetricsWriter, MalformedLineIsNamed) {
  testing::TempDir dir;
  std::string path = dir.file("bad.jsonl");
  write_json_atomic(path, {{"ok", 1}});  // a pretty-printed object spans lines: line 1 is "{"
  try {
    read_jsonl(path);
    FAIL() << "did not throw";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("line 1"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace tango::io
