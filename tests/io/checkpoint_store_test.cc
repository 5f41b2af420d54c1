#include "io/checkpoint_store.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "io/atomic_file.h"
#include "io/metrics_writer.h"
#include "tests/common/test_data.h"

namespace tango {
namespace {

Checkpoint make_checkpoint(int64_t epoch) {
  Checkpoint c;
  c.epoch = epoch;
  c.rng_state = 0xfeedbeefcafe0000ull + epoch;
  c.config_hash = "abc123";
  c.tensors["layer0.weight"] = Tensor::from(std::vector<float>{1.5f, -2.f, 3.25f, float(epoch)}, 2, 2);
  c.tensors["adam.step"] = Tensor::from(std::vector<int64_t>{epoch});
  return c;
}

TEST(CheckpointStore, SaveLoadRoundTripIsBitExact) {
  testing::TempDir dir;
  CheckpointStore store(dir.path().string(), 0, 1);
  store.save(make_checkpoint(5));
  Checkpoint back = store.load(5, "abc123");
  EXPECT_EQ(back.epoch, 5);
  EXPECT_EQ(back.rng_state, 0xfeedbeefcafe0005ull);
  ASSERT_EQ(back.tensors.size(), 2u);
  EXPECT_EQ(back.tensors["layer0.weight"].to_vector<float>(), (std::vector<float>{1.5f, -2.f, 3.25f, 5.f}));
  EXPECT_EQ(back.tensors["layer0.weight"].cols(), 2);
  EXPECT_EQ(back.tensors["adam.step"].to_vector<int64_t>(), (std::vector<int64_t>{5}));
}

TEST(CheckpointStore, LatestCompleteEpochNeedsEveryRank) {
  testing::TempDir dir;
  CheckpointStore rank0(dir.path().string(), 0, 2), rank1(dir.path().string(), 1, 2);
  EXPECT_FALSE(rank0.latest_complete_epoch().has_value());
  rank0.save(make_checkpoint(2));
  rank1.save(make_checkpoint(2));
  rank0.save(make_checkpoint(4));  // rank 1 "crashed" before writing epoch 4
  EXPECT_EQ(rank0.latest_complete_epoch(), 2);
}

TEST(CheckpointStore, KeepsOnlyTheNewestCheckpoints) {
  testing::TempDir dir;
  CheckpointStore store(dir.path().string(), 0, 1);
  for (int e = 1; e <= 4; ++e) store.save(make_checkpoint(e), /*keep=*/2);
  EXPECT_FALSE(std::filesystem::exists(store.path_for(2, 0)));
  EXPECT_TRUE(std::filesystem::exists(store.path_for(3, 0)));
  EXPECT_TRUE(std::filesystem::exists(store.path_for(4, 0)));
}

TEST(CheckpointStore, RejectsAnotherConfigurationOrRankCount) {
  testing::TempDir dir;
  CheckpointStore(dir.path().string(), 0, 1).save(make_checkpoint(3));
  try {
    CheckpointStore(dir.path().string(), 0, 1).load(3, "other");
    FAIL() << "did not throw";
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_code(), 2);
    EXPECT_NE(std::string(e.what()).find("another configuration"), std::string::npos);
  }
  EXPECT_THROW(CheckpointStore(dir.path().string(), 0, 2).load(3), Error);
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
}  // namespace tango
