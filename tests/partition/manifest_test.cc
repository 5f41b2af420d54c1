#include "partition/manifest.h"

#include <gtest/gtest.h>

#include <fstream>

#include "core/error.h"
#include "tests/common/test_data.h"

namespace tango {
namespace {

partition::PartitionManifest sample_manifest() {
  partition::PartitionManifest m;
  m.dataset_spec = "/data/cora";
  m.dataset_name = "cora";
  m.split = "public";
  m.num_nodes = 10;
  m.num_edges = 20;
  m.num_features = 4;
  m.num_classes = 2;
  m.num_train = 3;
  m.options.num_parts = 2;
  m.options.seed = 12345678901ULL;
  m.options.balance = partition::BalanceMode::kTrain;
  m.edge_cut = 2;
  for (int32_t p = 0; p < 2; ++p) {
    partition::PartSummary s;
    s.id = p;
    s.file = "part-0000" + std::to_string(p) + ".h5";
    s.sha256 = std::string(64, 'a' + p);
    s.owned = 4 + 2 * p;  // 4 and 6: max/avg = 6/5
    s.halo = 1;
    s.edges = 10;
    s.train = 1 + p;
    m.parts.push_back(s);
  }
  m.phase_seconds = {{"partition", 0.25}, {"layout", 0.5}};
  m.compute_quality();
  return m;
}

TEST(Manifest, QualityFiguresFollowFromTheCounts) {
  partition::PartitionManifest m = sample_manifest();
  EXPECT_DOUBLE_EQ(m.edge_cut_percent, 20.0);         // 2 of 10 undirected edges
  EXPECT_DOUBLE_EQ(m.replication_factor, 12.0 / 10);  // (10 owned + 2 halo) / 10
  EXPECT_DOUBLE_EQ(m.node_balance, 1.2);
  EXPECT_DOUBLE_EQ(m.edge_balance, 1.0);
  EXPECT_DOUBLE_EQ(m.train_balance, 2.0 / 1.5);
}

TEST(Manifest, WriteThenReadRoundTrips) {
  testing::TempDir dir;
  partition::PartitionManifest m = sample_manifest();
  partition::write_manifest(m, dir.path().string());
  partition::PartitionManifest back = partition::read_manifest(dir.path().string());
  EXPECT_EQ(partition::manifest_to_json(back), partition::manifest_to_json(m));
  EXPECT_EQ(back.options.seed, 12345678901ULL);
  EXPECT_EQ(back.options.balance, partition::BalanceMode::kTrain);
  ASSERT_EQ(back.phase_seconds.size(), 2u);
  EXPECT_EQ(back.phase_seconds[0].first, "partition");  // in the order they ran, not sorted
  EXPECT_EQ(back.phase_seconds[1].first, "layout");
}

TEST(Manifest, BrokenManifestsAreInputErrorsNamingTheFile) {
  testing::TempDir dir;
  try {
    partition::read_manifest(dir.path().string());
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("manifest.json' not found"), std::string::npos) << e.what();
  }
  std::ofstream(dir.file("manifest.json")) << "{ not json";
  EXPECT_THROW(partition::read_manifest(dir.path().string()), Error);
  nlohmann::json j = partition::manifest_to_json(sample_manifest());
  j["parts"].erase(1);
  try {
    partition::manifest_from_json(j, "m.json");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_code(), 2);
    EXPECT_NE(std::string(e.what()).find("'m.json' lists 1 part files for num_parts = 2"), std::string::npos)
        << e.what();
  }
  j = partition::manifest_to_json(sample_manifest());
  j.erase("seed");
  EXPECT_THROW(partition::manifest_from_json(j, "m.json"), Error);
}

}  // namespace
}  // namespace tango
