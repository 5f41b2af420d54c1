#include "partition/verify.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "partition/checksum.h"
#include "partition/partition_writer.h"
#include "tests/common/test_data.h"
#include "tests/partition/tiny_datasets.h"

namespace tango {
namespace {

namespace fs = std::filesystem;

void partition_into(const io::Dataset& d, const std::string& dir, int32_t k) {
  partition::PartitionRun run;
  run.options.num_parts = k;
  partition::prepare_output_dir(dir, false);
  partition::PhaseProgress progress(false, false);
  partition::write_partition(d, run, dir, progress);
}

std::string verify_error(const std::string& dir, const partition::VerifyOptions& options) {
  try {
    partition::verify_partition(dir, options);
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_code(), 2) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "verification passed";
  return "";
}

void flip_byte(const std::string& path, int64_t offset) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(offset);
  char c = 0;
  f.get(c);
  f.seekp(offset);
  f.put(static_cast<char>(c ^ 0x01));
}

TEST(Sha256File, MatchesTheKnownDigestOfAbc) {
  testing::TempDir tmp;
  std::ofstream(tmp.file("abc")) << "abc";
  EXPECT_EQ(partition::sha256_file(tmp.file("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(VerifyPartition, AcceptsAFreshPartitionAndChecksEveryEdge) {
  testing::TempDir tmp;
  io::Dataset d = testing::random_dataset(400, 1500, 20, 11);
  for (int32_t k : {1, 3, 8}) {
    const std::string dir = tmp.file(fmt::format("k{}", k));
    partition_into(d, dir, k);
    partition::VerifyOptions options;
    options.dataset = &d;
    partition::VerifyReport report = partition::verify_partition(dir, options);
    EXPECT_EQ(report.num_parts, k);
    EXPECT_EQ(report.edges_checked, d.graph.num_edges());
    EXPECT_EQ(partition::verify_partition(dir).edges_checked, 0);
  }
}

TEST(VerifyPartition, CatchesAFlippedByte) {
  testing::TempDir tmp;
  io::Dataset d = testing::grid_dataset(12, 12);
  partition_into(d, tmp.path().string(), 2);
  const std::string part = tmp.file("part-00001.h5");
  flip_byte(part, static_cast<int64_t>(fs::file_size(part)) / 2);
  std::string message = verify_error(tmp.path().string(), {});
  EXPECT_NE(message.find("part-00001.h5': SHA-256"), std::string::npos) << message;
}

TEST(VerifyPartition, CatchesAPartFromAnotherGraph) {
  // Checksums refreshed, so only the cross-part checks can tell: part 1 comes from another run.
  testing::TempDir tmp;
  io::Dataset d = testing::grid_dataset(10, 10);
  partition_into(d, tmp.file("a"), 2);
  io::Dataset other = testing::grid_dataset(10, 10);
  partition::PartitionRun run;
  run.options.num_parts = 2;
  run.options.method = partition::PartitionMethod::kRandom;
  partition::prepare_output_dir(tmp.file("b"), false);
  partition::PhaseProgress progress(false, false);
  partition::write_partition(other, run, tmp.file("b"), progress);
  fs::copy_file(tmp.file("b/part-00001.h5"), tmp.file("a/part-00001.h5"),
                fs::copy_options::overwrite_existing);
  partition::PartitionManifest m = partition::read_manifest(tmp.file("a"));
  partition::PartitionManifest mb = partition::read_manifest(tmp.file("b"));
  m.parts[1] = mb.parts[1];
  partition::write_manifest(m, tmp.file("a"));
  std::string message = verify_error(tmp.file("a"), {});
  EXPECT_TRUE(message.find("owned by both") != std::string::npos ||
              message.find("owned by no part") != std::string::npos ||
              message.find("do not match") != std::string::npos ||
              message.find("listed under part") != std::string::npos)
      << message;
}

TEST(VerifyPartition, CatchesADatasetThatDiffersFromThePartition) {
  testing::TempDir tmp;
  io::Dataset d = testing::grid_dataset(6, 6);
  partition_into(d, tmp.path().string(), 3);
  io::Dataset changed = testing::grid_dataset(6, 6);
  changed.features.data<float>()[5 * 3 + 1] += 1.0f;  // node 5's second feature
  partition::VerifyOptions options;
  options.dataset = &changed;
  std::string message = verify_error(tmp.path().string(), options);
  EXPECT_NE(message.find("features of node 5 differ"), std::string::npos) << message;
  io::Dataset smaller = testing::grid_dataset(5, 6);
  options.dataset = &smaller;
  EXPECT_NE(verify_error(tmp.path().string(), options).find("was made from a graph of 36 nodes"),
            std::string::npos);
}

TEST(VerifyPartition, MissingPartFileIsNamed) {
  testing::TempDir tmp;
  io::Dataset d = testing::grid_dataset(5, 5);
  partition_into(d, tmp.path().string(), 2);
  fs::remove(tmp.file("part-00000.h5"));
  EXPECT_NE(verify_error(tmp.path().string(), {}).find("part-00000.h5"), std::string::npos);
}

}  // namespace
}  // namespace tango
