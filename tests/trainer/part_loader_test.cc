// Loading a rank's part: the DistGraph matches the dataset it came from, and wrong inputs (a part count
// other than the rank count, a corrupted part file, a manifest of another format version) are input
// errors that say what to do.
#include "trainer/part_loader.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "partition/part_file.h"
#include "partition/partition_writer.h"
#include "tests/common/test_data.h"
#include "tests/trainer/trainer_test_graphs.h"

namespace tango::trainer {
namespace {

class PartLoader : public ::testing::Test {
 protected:
  void SetUp() override {
    dataset_ = testing::random_dataset(120, 6, 5, 3, 17);
    partition::PartitionRun run;
    run.dataset_spec = "random";
    run.options.num_parts = 2;
    partition::prepare_output_dir(dir_.path().string(), false);
    partition::PhaseProgress progress(false, false);
    partition::write_partition(dataset_, run, dir_.path().string(), progress);
  }

  // Runs `load` and returns the input error's message (fails the test on anything else).
  template <class Fn>
  std::string input_error(Fn&& load) {
    try {
      load();
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput) << e.what();
      return e.what();
    }
    ADD_FAILURE() << "no error";
    return "";
  }

  io::Dataset dataset_;
  tango::testing::TempDir dir_;
};

TEST_F(PartLoader, PartsCoverTheGraphWithGlobalNormalisation) {
  int64_t owned_total = 0;
  const std::vector<int64_t> indptr = dataset_.graph.indptr.to_vector<int64_t>();
  for (int rank = 0; rank < 2; ++rank) {
    DistGraph graph = load_partition_part(dir_.path().string(), rank, 2);
    owned_total += graph.num_owned;
    EXPECT_GT(graph.num_halo, 0);
    EXPECT_EQ(graph.input.rows(), graph.num_rows());
    const std::vector<int64_t> ids = graph.global_ids.to_vector<int64_t>();
    const std::vector<float> norm = graph.gcn_norm.to_vector<float>();
    const std::vector<float> features = graph.input.to_vector<float>();
    const std::vector<float> all_features = dataset_.features.to_vector<float>();
    for (int64_t row = 0; row < graph.num_rows(); ++row) {
      const int64_t v = ids[row];
      const double degree = static_cast<double>(indptr[v + 1] - indptr[v]);
      EXPECT_FLOAT_EQ(norm[row], static_cast<float>(1.0 / std::sqrt(degree + 1.0))) << "row " << row;
      for (int64_t j = 0; j < graph.num_features(); ++j) {
        ASSERT_EQ(features[row * graph.num_features() + j], all_features[v * graph.num_features() + j]);
      }
    }
    // One self-loop per owned row on top of the part's edges.
    EXPECT_EQ(graph.adjacency_with_self.num_edges(), graph.adjacency.num_edges() + graph.num_owned);
  }
  EXPECT_EQ(owned_total, dataset_.num_nodes());
}

TEST_F(PartLoader, RankCountOtherThanPartCountIsAnInputErrorNamingBoth) {
  const std::string message = input_error([&] { load_partition_part(dir_.path().string(), 0, 3); });
  EXPECT_NE(message.find("2 parts"), std::string::npos) << message;
  EXPECT_NE(message.find("3 ranks"), std::string::npos) << message;
  EXPECT_NE(message.find("mpirun -np 2"), std::string::npos) << message;
}

TEST_F(PartLoader, CorruptedPartFileIsAnInputError) {
  const std::string path = dir_.file("part-00001.h5");
  {
    std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
    file.seekg(0, std::ios::end);
    const std::streamoff size = file.tellg();
    file.seekp(size / 2);
    char byte = 0;
    file.seekg(size / 2);
    file.read(&byte, 1);
    byte = static_cast<char>(byte ^ 0x5a);
    file.seekp(size / 2);
    file.write(&byte, 1);
  }
  const std::string message = input_error([&] { load_partition_part(dir_.path().string(), 1, 2); });
  EXPECT_NE(message.find("part-00001.h5"), std::string::npos) << message;
  // The intact part still loads.
  EXPECT_NO_THROW(load_partition_part(dir_.path().string(), 0, 2));
}

// The layers compute a part's boundary rows first and send them before the inner rows exist, so a send
// list that names an inner row (which no tango-partition writes) is refused at load.
TEST_F(PartLoader, SendRowThatIsNotABoundaryRowIsAnInputError) {
  partition::PartitionPart part = partition::read_part(dir_.file("part-00000.h5"));
  ASSERT_GT(part.num_inner, 0);
  ASSERT_GT(part.send_rows.numel(), 0);
  EXPECT_NO_THROW(dist_graph_from_part(part, "part-00000.h5"));
  part.send_rows = part.send_rows.clone();
  part.send_rows.data<int64_t>()[0] = 0;  // an inner row
  const std::string message = input_error([&] { dist_graph_from_part(part, "part-00000.h5"); });
  EXPECT_NE(message.find("send row 0 is not a boundary row"), std::string::npos) << message;
}

TEST_F(PartLoader, ManifestOfAnotherFormatVersionIsAnInputError) {
  const std::string path = dir_.file("manifest.json");
  nlohmann::json manifest;
  std::ifstream(path) >> manifest;
  manifest["format_version"] = 99;
  std::ofstream(path) << manifest.dump();
  const std::string message = input_error([&] { load_partition_part(dir_.path().string(), 0, 2); });
  EXPECT_NE(message.find("99"), std::string::npos) << message;
}

}  // namespace
}  // namespace tango::trainer
