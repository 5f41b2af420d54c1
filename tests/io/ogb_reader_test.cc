// The OGB raw reader on a tiny hand-written dataset, and every kind of bad input it must reject with
// a message naming the file and line.
#include "io/ogb_reader.h"

#include <gtest/gtest.h>

#include "tests/common/test_data.h"
#include "tests/io/io_test_util.h"

namespace tango::io {
namespace {

using testing::expect_input_error;
using testing::TempDir;
using testing::TinyOgb;

class OgbReaderTest : public ::testing::Test {
 protected:
  // Writes the fixture with `file` replaced by `text`, reads it, and expects an input error naming
  // that file and every string of `parts`.
  void expect_error_with(const std::string& file, const std::string& text, std::vector<std::string> parts) {
    TinyOgb fixture;
    fixture.files[file] = text;
    fixture.write(tmp.path());
    parts.push_back(file.substr(file.rfind('/') + 1));
    expect_input_error([&] { read_ogb_dir(dir()); }, parts);
  }
  std::string dir() const { return tmp.path().string(); }

  TempDir tmp;
};

TEST_F(OgbReaderTest, ReadsTheTinyDatasetWithSymmetrizedCleanedEdges) {
  TinyOgb().write(tmp.path());
  Dataset d = read_ogb_dir(dir());
  EXPECT_EQ(d.name, tmp.path().filename().string());
  EXPECT_EQ(d.split_name, "only");
  ASSERT_EQ(d.num_nodes(), 5);
  // Edges 0-1 (listed twice), 1-2, 2-3, 3-4; the self-loop 2-2 is dropped.
  EXPECT_EQ(d.graph.indptr.to_vector<int64_t>(), (std::vector<int64_t>{0, 1, 3, 5, 7, 8}));
  EXPECT_EQ(d.graph.indices.to_vector<int32_t>(), (std::vector<int32_t>{1, 0, 2, 1, 3, 2, 4, 3}));
  EXPECT_EQ(d.cleanup.input_edges, 6);
  EXPECT_EQ(d.cleanup.self_loops, 1);
  EXPECT_EQ(d.cleanup.duplicates, 2);  // 0->1 and 1->0 each arrive twice
  EXPECT_EQ(d.cleanup.directed_edges, 8);
  ASSERT_EQ(d.num_features(), 3);
  EXPECT_EQ(d.features.to_vector<float>(),
            (std::vector<float>{0.5f, 1, -2, 1.25f, 0, 3e-2f, -1, 2, 0, 0, 0, 0, 7, -0.125f, 1e3f}));
  EXPECT_EQ(d.labels.to_vector<int32_t>(), (std::vector<int32_t>{0, 2, 1, 1, 0}));
  EXPECT_EQ(d.num_classes, 3);
  EXPECT_EQ(d.train_mask.to_vector<uint8_t>(), (std::vector<uint8_t>{1, 1, 0, 0, 0}));
  EXPECT_EQ(d.valid_mask.to_vector<uint8_t>(), (std::vector<uint8_t>{0, 0, 1, 0, 0}));
  EXPECT_EQ(d.test_mask.to_vector<uint8_t>(), (std::vector<uint8_t>{0, 0, 0, 1, 1}));
}

TEST_F(OgbReaderTest, ReadsUncompressedFilesUnderTheSameNames) {
  TinyOgb fixture;
  for (const auto& [name, text] : fixture.files) testing::write_plain((tmp.path() / name).string(), text);
  EXPECT_EQ(read_ogb_dir(dir()).graph.num_edges(), 8);
}

TEST_F(OgbReaderTest, MissingFolderIsAnInputError) {
  expect_input_error([&] { read_ogb_dir(tmp.file("absent")); }, {tmp.file("absent"), "not a folder"});
}

TEST_F(OgbReaderTest, MissingFileIsAnInputErrorNamingIt) {
  TinyOgb fixture;
  fixture.files.erase("raw/node-feat.csv.gz");
  fixture.write(tmp.path());
  expect_input_error([&] { read_ogb_dir(dir()); }, {"node-feat.csv.gz", "does not exist"});
}

TEST_F(OgbReaderTest, NonNumericEdgeTokenNamesFileLineAndToken) {
  expect_error_with("raw/edge.csv.gz", "0,1\n1,0\n1,x2\n2,2\n2,3\n3,4\n",
                    {"line 3", "'x2' is not an integer"});
}

TEST_F(OgbReaderTest, EdgeLineWithOneIdNamesTheLine) {
  expect_error_with("raw/edge.csv.gz", "0,1\n1,0\n1,2\n2\n2,3\n3,4\n",
                    {"line 4", "expected two node ids", "found 1"});
}

TEST_F(OgbReaderTest, EdgeLineWithThreeIdsNamesTheLine) {
  expect_error_with("raw/edge.csv.gz", "0,1\n1,0,4\n1,2\n2,2\n2,3\n3,4\n", {"line 2", "found more"});
}

TEST_F(OgbReaderTest, EdgeEndpointOutOfRangeNamesTheLineAndId) {
  expect_error_with("raw/edge.csv.gz", "0,1\n1,0\n1,2\n2,2\n2,5\n3,4\n", {"line 5", "node id 5", "[0, 5)"});
  expect_error_with("raw/edge.csv.gz", "0,1\n-1,0\n1,2\n2,2\n2,3\n3,4\n", {"line 2", "node id -1"});
}

TEST_F(OgbReaderTest, EdgeLineCountMustMatchTheEdgeCountFile) {
  expect_error_with("raw/num-edge-list.csv.gz", "7\n", {"edge.csv.gz' has 6 lines", "says 7"});
}

TEST_F(OgbReaderTest, NonNumericNodeCountNamesTheFile) {
  expect_error_with("raw/num-node-list.csv.gz", "five\n", {"line 1", "'five' is not an integer"});
}

TEST_F(OgbReaderTest, FeatureLineWithWrongColumnCountNamesTheLine) {
  expect_error_with("raw/node-feat.csv.gz", "0.5,1,-2\n1.25,0\n-1,2,0\n0,0,0\n7,-0.125,1e3\n",
                    {"line 2", "2 values, expected 3"});
  expect_error_with("raw/node-feat.csv.gz", "0.5,1,-2\n1.25,0,1\n-1,2,0\n0,0,0,4\n7,-0.125,1e3\n",
                    {"line 4", "4 values, expected 3"});
}

TEST_F(OgbReaderTest, NonNumericFeatureNamesFileLineAndToken) {
  expect_error_with("raw/node-feat.csv.gz", "0.5,1,-2\n1.25,0,1\n-1,2,0\n0,abc,0\n7,-0.125,1e3\n",
                    {"line 4", "'abc' is not a number"});
}

TEST_F(OgbReaderTest, FeatureRowCountMustMatchTheNodeCount) {
  expect_error_with("raw/node-feat.csv.gz", "0.5,1,-2\n1.25,0,1\n-1,2,0\n0,0,0\n",
                    {"has 4 lines", "5 nodes"});
  expect_error_with("raw/node-feat.csv.gz", "0,0,0\n0,0,0\n0,0,0\n0,0,0\n0,0,0\n0,0,0\n",
                    {"more than 5 lines"});
}

TEST_F(OgbReaderTest, LabelRowCountMustMatchTheNodeCount) {
  expect_error_with("raw/node-label.csv.gz", "0\n2\n1\n1\n", {"has 4 lines", "5 nodes"});
  expect_error_with("raw/node-label.csv.gz", "0\n2\n1\n1\n0\n1\n", {"more than 5 lines"});
}

TEST_F(OgbReaderTest, HugeWrongNodeCountIsAnErrorNotAnAllocation) {
  expect_error_with("raw/num-node-list.csv.gz", "1000000000000\n",
                    {"node-label.csv.gz' has 5 lines", "says 1000000000000 nodes"});
}

TEST_F(OgbReaderTest, HugeWrongEdgeCountIsAnErrorNotAnAllocation) {
  expect_error_with("raw/num-edge-list.csv.gz", "1000000000000\n",
                    {"edge.csv.gz' has 6 lines", "says 1000000000000"});
}

TEST_F(OgbReaderTest, NegativeLabelNamesTheLine) {
  expect_error_with("raw/node-label.csv.gz", "0\n2\n-1\n1\n0\n", {"line 3", "label -1"});
}

TEST_F(OgbReaderTest, MultiColumnLabelNamesTheLine) {
  expect_error_with("raw/node-label.csv.gz", "0\n2,1\n1\n1\n0\n", {"line 2", "one integer label"});
}

TEST_F(OgbReaderTest, SplitIdOutOfRangeNamesFileAndLine) {
  expect_error_with("split/only/valid.csv.gz", "2\n4\n5\n", {"line 3", "node id 5", "[0, 5)"});
}

TEST_F(OgbReaderTest, EmptySplitIsAnInputError) {
  expect_error_with("split/only/test.csv.gz", "", {"is empty", "at least one node id"});
}

TEST_F(OgbReaderTest, ANodeInTwoSplitsNamesBothFilesAndTheLine) {
  // Node 0 is a training node (train.csv.gz) listed again on line 2 of the test split.
  expect_error_with("split/only/test.csv.gz", "3\n0\n4\n",
                    {"line 2", "node 0", "train split", "train.csv.gz", "one split"});
}

TEST_F(OgbReaderTest, AnIdListedTwiceInOneSplitCountsOnce) {
  TinyOgb fixture;
  fixture.files["split/only/test.csv.gz"] = "3\n4\n4\n";
  fixture.write(tmp.path());
  EXPECT_EQ(read_ogb_dir(dir()).test_mask.to_vector<uint8_t>(), (std::vector<uint8_t>{0, 0, 0, 1, 1}));
}

TEST_F(OgbReaderTest, SeveralSplitsNeedAName) {
  TinyOgb fixture;
  fixture.files["split/other/train.csv.gz"] = "2\n";
  fixture.files["split/other/valid.csv.gz"] = "3\n";
  fixture.files["split/other/test.csv.gz"] = "4\n";
  fixture.write(tmp.path());
  expect_input_error([&] { read_ogb_dir(dir()); }, {"several splits", "only, other", "--split NAME"});
  Dataset other = read_ogb_dir(dir(), "other");
  EXPECT_EQ(other.split_name, "other");
  EXPECT_EQ(other.train_mask.to_vector<uint8_t>(), (std::vector<uint8_t>{0, 0, 1, 0, 0}));
  EXPECT_EQ(read_ogb_dir(dir(), "only").split_name, "only");
}

TEST_F(OgbReaderTest, UnknownSplitNameListsTheAvailableOnes) {
  TinyOgb().write(tmp.path());
  expect_input_error([&] { read_ogb_dir(dir(), "public"); },
                     {"no split 'public'", "available splits are only"});
  EXPECT_EQ(ogb_split_names(dir()), std::vector<std::string>{"only"});
}

}  // namespace
}  // namespace tango::io
