#include "partition/partition_writer.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "partition/part_file.h"
#include "tests/common/test_data.h"
#include "tests/partition/part_invariants.h"
#include "tests/partition/tiny_datasets.h"

namespace tango {
namespace {

namespace fs = std::filesystem;

partition::PartitionManifest partition_into(const io::Dataset& d, const std::string& dir, int32_t k,
                                            uint64_t seed = 1, bool force = false) {
  partition::PartitionRun run;
  run.dataset_spec = "tiny";
  run.options.num_parts = k;
  run.options.seed = seed;
  partition::prepare_output_dir(dir, force);
  partition::PhaseProgress progress(false, false);
  return partition::write_partition(d, run, dir, progress);
}

std::vector<partition::PartitionPart> read_parts(const std::string& dir, int32_t k) {
  std::vector<partition::PartitionPart> parts;
  for (int32_t p = 0; p < k; ++p)
    parts.push_back(partition::read_part((fs::path(dir) / partition::part_file_name(p)).string()));
  return parts;
}

template <class T>
void expect_same_tensor(const Tensor& a, const Tensor& b) {
  ASSERT_EQ(a.defined(), b.defined());
  if (a.defined()) {
    EXPECT_EQ(a.to_vector<T>(), b.to_vector<T>());
  }
}

TEST(WritePartition, WritesPartsAndAManifestThatDescribesThem) {
  testing::TempDir tmp;
  io::Dataset d = testing::random_dataset(300, 900, 10, 3);
  partition::PartitionManifest m = partition_into(d, tmp.file("out"), 3);
  EXPECT_TRUE(fs::exists(tmp.file("out/manifest.json")));
  std::vector<partition::PartitionPart> parts = read_parts(tmp.file("out"), 3);
  testing::expect_parts_match_dataset(d, parts);
  ASSERT_EQ(m.parts.size(), 3u);
  int64_t owned = 0;
  for (int32_t p = 0; p < 3; ++p) {
    EXPECT_EQ(m.parts[p].owned, parts[p].num_owned);
    EXPECT_EQ(m.parts[p].halo, parts[p].num_halo());
    EXPECT_EQ(m.parts[p].sha256.size(), 64u);
    owned += m.parts[p].owned;
  }
  EXPECT_EQ(owned, 300);
  EXPECT_EQ(m.num_edges, d.graph.num_edges());
  EXPECT_GT(m.edge_cut, 0);
  EXPECT_EQ(m.phase_seconds.size(), 6u);  // partition, layout, parts, parts.build/write/checksum
}

// Byte-identical files: H5File turns off HDF5's per-dataset creation timestamps.
TEST(WritePartition, SameSeedGivesIdenticalParts) {
  testing::TempDir tmp;
  io::Dataset d = testing::grid_dataset(15, 17);
  partition::PartitionManifest a = partition_into(d, tmp.file("a"), 4, 9);
  partition::PartitionManifest b = partition_into(d, tmp.file("b"), 4, 9);
  EXPECT_EQ(a.edge_cut, b.edge_cut);
  for (int32_t p = 0; p < 4; ++p) EXPECT_EQ(a.parts[p].sha256, b.parts[p].sha256) << "part " << p;
  std::vector<partition::PartitionPart> pa = read_parts(tmp.file("a"), 4), pb = read_parts(tmp.file("b"), 4);
  for (int32_t p = 0; p < 4; ++p) {
    expect_same_tensor<int64_t>(pa[p].owned_global_ids, pb[p].owned_global_ids);
    expect_same_tensor<int64_t>(pa[p].halo_global_ids, pb[p].halo_global_ids);
    expect_same_tensor<int64_t>(pa[p].send_rows, pb[p].send_rows);
    expect_same_tensor<int32_t>(pa[p].local_graph.indices, pb[p].local_graph.indices);
    expect_same_tensor<float>(pa[p].features, pb[p].features);
    expect_same_tensor<float>(pa[p].halo_features, pb[p].halo_features);
  }
}

TEST(PrepareOutputDir, RefusesANonEmptyFolderWithoutForce) {
  testing::TempDir tmp;
  std::ofstream(tmp.file("notes.txt")) << "keep me";
  try {
    partition::prepare_output_dir(tmp.path().string(), false);
    FAIL() << "a non-empty folder was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_code(), 2);
    EXPECT_NE(std::string(e.what()).find("is not empty: pass --force"), std::string::npos) << e.what();
  }
  std::ofstream(tmp.file("plain")) << "x";
  EXPECT_THROW(partition::prepare_output_dir(tmp.file("plain"), true), Error);
}

TEST(PrepareOutputDir, ForceReplacesAnEarlierRunAndKeepsOtherFiles) {
  testing::TempDir tmp;
  const std::string dir = tmp.file("out");
  io::Dataset d = testing::grid_dataset(8, 8);
  partition_into(d, dir, 4);
  std::ofstream(dir + "/part-00001.h5.tmp-999") << "left by a killed run";
  std::ofstream(dir + "/notes.txt") << "keep me";
  partition::PartitionManifest m = partition_into(d, dir, 2, 1, /*force=*/true);
  EXPECT_FALSE(fs::exists(dir + "/part-00002.h5"));
  EXPECT_FALSE(fs::exists(dir + "/part-00001.h5.tmp-999"));
  EXPECT_TRUE(fs::exists(dir + "/notes.txt"));
  EXPECT_EQ(m.options.num_parts, 2);
  testing::expect_parts_match_dataset(d, read_parts(dir, 2));
}

}  // namespace
}  // namespace tango
