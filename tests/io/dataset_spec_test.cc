#include "io/dataset_spec.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "io/hdf5_dataset.h"
#include "tests/common/run_command.h"
#include "tests/common/test_data.h"

namespace tango::io {
namespace {

const char* kSmallSynthetic = "synthetic:nodes=300,avg_degree=6,classes=3,features=8,seed=4";

TEST(LoadDataset, SyntheticSpecGeneratesTheGraph) {
  Dataset d = load_dataset(kSmallSynthetic);
  EXPECT_EQ(d.num_nodes(), 300);
  EXPECT_EQ(d.num_features(), 8);
  EXPECT_EQ(d.num_classes, 3);
}

TEST(LoadDataset, Hdf5FileRoundTripsThroughTheResolver) {
  testing::TempDir dir;
  Dataset d = load_dataset(kSmallSynthetic);
  write_hdf5_dataset(d, dir.file("g.h5"));
  Dataset back = load_dataset(dir.file("g.h5"));
  EXPECT_EQ(back.graph.num_edges(), d.graph.num_edges());
  EXPECT_EQ(back.features.to_vector<float>(), d.features.to_vector<float>());
}

TEST(LoadDataset, OgbDirectoryIsRead) {
  TANGO_REQUIRE_DATASET(cora, "cora");
  Dataset d = load_dataset(cora, {.split = "public"});
  EXPECT_EQ(d.num_nodes(), 2708);
  EXPECT_EQ(d.split_name, "public");
}

TEST(LoadDataset, UnknownSpecsAndMisplacedSplitsAreInputErrors) {
  for (const std::string spec : {"/no/such/place", "graph.csv", "synthetic:nodes=abc"}) {
    try {
      load_dataset(spec);
      FAIL() << "accepted " << spec;
    } catch (const Error& e) {
      EXPECT_EQ(e.exit_code(), 2) << spec;
    }
  }
  EXPECT_THROW(load_dataset(kSmallSynthetic, {.split = "public"}), Error);
}

TEST(TangoDatasetBinary, InfoPrintsJsonStatistics) {
  auto r = testing::run_command(std::string(TANGO_DATASET_BIN) + " info --json '" + kSmallSynthetic + "'");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto j = nlohmann::json::parse(r.output.substr(r.output.find('{')));
  EXPECT_EQ(j["nodes"], 300);
  EXPECT_EQ(j["classes"], 3);
  EXPECT_GT(j["edge_homophily"].get<double>(), 0.5);
}

TEST(TangoDatasetBinary, ConvertWritesAReadableFile) {
  testing::TempDir dir;
  auto r = testing::run_command(std::string(TANGO_DATASET_BIN) + " convert '" + kSmallSynthetic + "' --out " +
                                dir.file("out.h5"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(load_dataset(dir.file("out.h5")).num_nodes(), 300);
}

TEST(TangoDatasetBinary, BadInputExitsWithTwoAndOneLine) {
  auto r = testing::run_command(std::string(TANGO_DATASET_BIN) + " info /no/such/dir");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("tango-dataset: error: dataset '/no/such/dir'"), std::string::npos) << r.output;
  r = testing::run_command(std::string(TANGO_DATASET_BIN) + " info");
  EXPECT_EQ(r.exit_code, 2) << r.output;
}

}  // namespace
}  // namespace tango::io
