// Tango's HDF5 dataset layout: a write/read round trip is bit-exact, the reader rejects every kind of
// broken file with a message naming it, and a failed or killed write never leaves a file under the
// final name.
#include "io/hdf5_dataset.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <map>

#include "io/hdf5_file.h"
#include "io/ogb_reader.h"
#include "tests/common/test_data.h"
#include "tests/io/io_test_util.h"

namespace tango::io {
namespace {

using testing::expect_input_error;
using testing::TempDir;

void expect_same_bits(const Tensor& a, const Tensor& b, const char* what) {
  ASSERT_TRUE(a.defined() && b.defined()) << what;
  EXPECT_EQ(a.dtype(), b.dtype()) << what;
  EXPECT_EQ(a.shape(), b.shape()) << what;
  ASSERT_EQ(a.nbytes(), b.nbytes()) << what;
  EXPECT_EQ(std::memcmp(a.raw_data(), b.raw_data(), a.nbytes()), 0) << what << " differs";
}

void expect_same_dataset(const Dataset& a, const Dataset& b) {
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.split_name, b.split_name);
  EXPECT_EQ(a.num_classes, b.num_classes);
  EXPECT_EQ(a.graph.num_nodes, b.graph.num_nodes);
  expect_same_bits(a.graph.indptr, b.graph.indptr, "indptr");
  expect_same_bits(a.graph.indices, b.graph.indices, "indices");
  expect_same_bits(a.features, b.features, "features");
  expect_same_bits(a.labels, b.labels, "labels");
  expect_same_bits(a.train_mask, b.train_mask, "train mask");
  expect_same_bits(a.valid_mask, b.valid_mask, "valid mask");
  expect_same_bits(a.test_mask, b.test_mask, "test mask");
}

// The names in `dir`, to check that nothing (no temp file) was left behind.
std::vector<std::string> folder_entries(const std::filesystem::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) names.push_back(entry.path().filename());
  std::sort(names.begin(), names.end());
  return names;
}

class Hdf5DatasetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::TinyOgb().write(tmp.path() / "tiny");
    tiny = read_ogb_dir((tmp.path() / "tiny").string());
  }

  // Writes the tiny dataset's layout by hand, with `replace` overriding datasets and `skip` left out.
  std::string write_layout(const std::map<std::string, Tensor>& replace, const std::string& skip = "",
                           int64_t format_version = kHdf5DatasetFormatVersion) {
    const std::string path = tmp.file("layout.h5");
    std::filesystem::remove(path);
    std::map<std::string, Tensor> parts = {
        {"/graph/indptr", tiny.graph.indptr},
        {"/graph/indices", tiny.graph.indices},
        {"/node/feat", tiny.features},
        {"/node/label", tiny.labels},
        {"/split/train", Tensor::from(std::vector<int64_t>{0, 1})},
        {"/split/valid", Tensor::from(std::vector<int64_t>{2})},
        {"/split/test", Tensor::from(std::vector<int64_t>{3, 4})},
    };
    for (const auto& [name, tensor] : replace) parts[name] = tensor;
    H5File file = H5File::create(path);
    for (const auto& [name, tensor] : parts)
      if (name != skip) file.write(name, tensor);
    file.set_attr("name", std::string("tiny"));
    file.set_attr("split_name", std::string("only"));
    file.set_attr("num_classes", int64_t{3});
    file.set_attr("format_version", format_version);
    file.close();
    return path;
  }

  TempDir tmp;
  Dataset tiny;
};

TEST_F(Hdf5DatasetTest, RoundTripOfTheTinyDatasetIsBitExact) {
  const std::string path = tmp.file("tiny.h5");
  write_hdf5_dataset(tiny, path);
  Dataset back = read_hdf5_dataset(path);
  expect_same_dataset(tiny, back);
  EXPECT_EQ(back.cleanup.directed_edges, tiny.graph.num_edges());
}

TEST_F(Hdf5DatasetTest, HandWrittenLayoutReadsLikeTheWriterOutput) {
  Dataset back = read_hdf5_dataset(write_layout({}));
  tiny.name = "tiny";  // the layout's attribute
  expect_same_dataset(tiny, back);
}

TEST_F(Hdf5DatasetTest, WideIndicesAreNarrowedToTheGraphsIndexType) {
  std::vector<int32_t> narrow = tiny.graph.indices.to_vector<int32_t>();
  Tensor wide = Tensor::from(std::vector<int64_t>(narrow.begin(), narrow.end()));
  Dataset back = read_hdf5_dataset(write_layout({{"/graph/indices", wide}}));
  EXPECT_EQ(back.graph.indices.dtype(), DType::kI32);
  EXPECT_EQ(back.graph.indices.to_vector<int32_t>(), narrow);
}

TEST_F(Hdf5DatasetTest, RoundTripOfCoraIsBitExact) {
  TANGO_REQUIRE_DATASET(dir, "cora");
  Dataset cora = read_ogb_dir(dir);
  const std::string path = tmp.file("cora.h5");
  write_hdf5_dataset(cora, path);
  expect_same_dataset(cora, read_hdf5_dataset(path));
}

TEST_F(Hdf5DatasetTest, NotAnHdf5FileIsAnInputErrorNamingIt) {
  testing::write_plain(tmp.file("text.h5"), "this is not HDF5\n");
  expect_input_error([&] { read_hdf5_dataset(tmp.file("text.h5")); },
                     {tmp.file("text.h5"), "not a readable HDF5"});
  expect_input_error([&] { read_hdf5_dataset(tmp.file("absent.h5")); },
                     {tmp.file("absent.h5"), "does not exist"});
}

TEST_F(Hdf5DatasetTest, MissingDatasetIsNamed) {
  const std::string path = write_layout({}, "/node/label");
  expect_input_error([&] { read_hdf5_dataset(path); }, {path, "no dataset '/node/label'"});
}

TEST_F(Hdf5DatasetTest, WrongDtypeIsNamed) {
  Tensor int_features = Tensor::zeros(DType::kI32, Shape::mat(5, 3));
  const std::string path = write_layout({{"/node/feat", int_features}});
  expect_input_error([&] { read_hdf5_dataset(path); }, {path, "'/node/feat' holds i32, expected f32"});
  const std::string path2 = write_layout({{"/graph/indptr", Tensor::zeros(DType::kI32, Shape::vec(6))}});
  expect_input_error([&] { read_hdf5_dataset(path2); }, {path2, "'/graph/indptr' holds i32, expected i64"});
}

TEST_F(Hdf5DatasetTest, WrongRowCountIsNamed) {
  const std::string path = write_layout({{"/node/label", Tensor::from(std::vector<int32_t>{0, 1, 2, 0})}});
  expect_input_error([&] { read_hdf5_dataset(path); }, {path, "'/node/label' has 4 rows, expected 5"});
  const std::string path2 = write_layout({{"/node/feat", Tensor::zeros(DType::kF32, Shape::mat(6, 3))}});
  expect_input_error([&] { read_hdf5_dataset(path2); }, {path2, "'/node/feat' has 6 rows, expected 5"});
}

TEST_F(Hdf5DatasetTest, IndptrThatDisagreesWithIndicesIsAnInputError) {
  const std::string path =
      write_layout({{"/graph/indptr", Tensor::from(std::vector<int64_t>{0, 1, 3, 5, 7, 7})}});
  expect_input_error([&] { read_hdf5_dataset(path); }, {path, "ends at 7", "has 8 entries"});
  const std::string path2 =
      write_layout({{"/graph/indptr", Tensor::from(std::vector<int64_t>{0, 3, 1, 5, 7, 8})}});
  expect_input_error([&] { read_hdf5_dataset(path2); }, {path2, "decreases at node 1"});
}

TEST_F(Hdf5DatasetTest, BrokenGraphInvariantsAreNamed) {
  // Row 0 lists 1 but row 1 does not list 0.
  const std::string asym =
      write_layout({{"/graph/indptr", Tensor::from(std::vector<int64_t>{0, 1, 1, 2, 3, 3})},
                    {"/graph/indices", Tensor::from(std::vector<int32_t>{1, 3, 2})}});
  expect_input_error([&] { read_hdf5_dataset(asym); }, {asym, "not symmetric", "row 0"});
  const std::string range =
      write_layout({{"/graph/indices", Tensor::from(std::vector<int32_t>{1, 0, 2, 1, 3, 2, 4, 9})}});
  expect_input_error([&] { read_hdf5_dataset(range); }, {range, "node id 9", "[0, 5)"});
  const std::string unsorted =
      write_layout({{"/graph/indices", Tensor::from(std::vector<int32_t>{1, 2, 0, 1, 3, 2, 4, 3})}});
  expect_input_error([&] { read_hdf5_dataset(unsorted); }, {unsorted, "row 1", "not strictly increasing"});
  const std::string loop =
      write_layout({{"/graph/indptr", Tensor::from(std::vector<int64_t>{0, 1, 3, 6, 8, 9})},
                    {"/graph/indices", Tensor::from(std::vector<int32_t>{1, 0, 2, 1, 2, 3, 2, 4, 3})}});
  expect_input_error([&] { read_hdf5_dataset(loop); }, {loop, "self-loop at node 2"});
}

TEST_F(Hdf5DatasetTest, SplitIdOutOfRangeAndEmptySplitAreNamed) {
  const std::string path = write_layout({{"/split/valid", Tensor::from(std::vector<int64_t>{2, 5})}});
  expect_input_error([&] { read_hdf5_dataset(path); }, {path, "/split/valid", "node id 5"});
  const std::string path2 = write_layout({{"/split/test", Tensor::from(std::vector<int64_t>{})}});
  expect_input_error([&] { read_hdf5_dataset(path2); }, {path2, "/split/test is empty"});
}

TEST_F(Hdf5DatasetTest, LabelOutsideTheClassCountIsNamed) {
  const std::string path = write_layout({{"/node/label", Tensor::from(std::vector<int32_t>{0, 1, 3, 1, 0})}});
  expect_input_error([&] { read_hdf5_dataset(path); }, {path, "node 2 has label 3", "[0, 3)"});
}

TEST_F(Hdf5DatasetTest, OtherFormatVersionIsRefused) {
  const std::string path = write_layout({}, "", kHdf5DatasetFormatVersion + 1);
  expect_input_error([&] { read_hdf5_dataset(path); }, {path, "format_version 2"});
}

TEST_F(Hdf5DatasetTest, InvalidDatasetWritesNothing) {
  tiny.labels.data<int32_t>()[1] = 7;  // outside [0, 3)
  std::filesystem::create_directory(tmp.path() / "out");
  const std::string path = (tmp.path() / "out" / "bad.h5").string();
  expect_input_error([&] { write_hdf5_dataset(tiny, path); }, {path, "label 7"});
  EXPECT_TRUE(folder_entries(tmp.path() / "out").empty());
}

TEST_F(Hdf5DatasetTest, FailedRenameRemovesTheTempFileAndCreatesNoFile) {
  std::filesystem::create_directories(tmp.path() / "out" / "taken.h5" /
                                      "child");  // the final name is a folder
  EXPECT_THROW(write_hdf5_dataset(tiny, (tmp.path() / "out" / "taken.h5").string()), Error);
  EXPECT_EQ(folder_entries(tmp.path() / "out"), std::vector<std::string>{"taken.h5"});
  EXPECT_TRUE(std::filesystem::is_directory(tmp.path() / "out" / "taken.h5"));
}

// A dataset whose features alone take 512 KiB.
Dataset ring_dataset(int64_t n, int64_t num_features) {
  std::vector<int64_t> src(n), dst(n);
  for (int64_t v = 0; v < n; ++v) src[v] = v, dst[v] = (v + 1) % n;
  Dataset d;
  d.name = "ring";
  d.split_name = "all";
  d.graph = build_symmetric_csr(n, src, dst);
  d.features = Tensor::empty(DType::kF32, Shape::mat(n, num_features));
  for (int64_t i = 0; i < n * num_features; ++i)
    d.features.data<float>()[i] = static_cast<float>(i % 97) / 7.0f;
  std::vector<int32_t> labels(n);
  for (int64_t v = 0; v < n; ++v) labels[v] = static_cast<int32_t>(v % 3);
  d.labels = Tensor::from(labels);
  d.num_classes = 3;
  d.train_mask = Tensor::zeros(DType::kU8, Shape::vec(n));
  d.valid_mask = Tensor::zeros(DType::kU8, Shape::vec(n));
  d.test_mask = Tensor::zeros(DType::kU8, Shape::vec(n));
  d.train_mask.data<uint8_t>()[0] = d.valid_mask.data<uint8_t>()[1] = d.test_mask.data<uint8_t>()[2] = 1;
  return d;
}

TEST(ValidateDataset, ASplitOverlapIsAnInputErrorNamingTheNode) {
  Dataset d = ring_dataset(8, 2);
  validate_dataset(d, "ring.h5");
  d.test_mask.data<uint8_t>()[1] = 1;  // node 1 is a validation node too
  testing::expect_input_error([&] { validate_dataset(d, "ring.h5"); },
                              {"ring.h5", "node 1", "valid", "test", "one split"});
}

TEST_F(Hdf5DatasetTest, WriteKilledMidwayLeavesThePreviousFileIntact) {
  const std::string path = tmp.file("data.h5");
  write_hdf5_dataset(tiny, path);
  Dataset big = ring_dataset(4096, 32);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // The kernel kills the writer with SIGXFSZ once its temp file passes 64 KiB: a crash mid-write.
    rlimit limit{64 << 10, 64 << 10};
    setrlimit(RLIMIT_FSIZE, &limit);
    try {
      write_hdf5_dataset(big, path);
    } catch (...) {
      _exit(3);
    }
    _exit(0);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the writer was not killed (exit status " << WEXITSTATUS(status) << ")";
  EXPECT_EQ(WTERMSIG(status), SIGXFSZ);
  // The final name still holds the old, complete dataset; the half-written temp file is beside it.
  expect_same_dataset(tiny, read_hdf5_dataset(path));
  EXPECT_TRUE(std::filesystem::exists(path + ".tmp-" + std::to_string(child)));
  // Without the limit the same write replaces the file.
  write_hdf5_dataset(big, path);
  expect_same_dataset(big, read_hdf5_dataset(path));
}

TEST_F(Hdf5DatasetTest, WriteKilledMidwayCreatesNoFinalFile) {
  const std::string path = tmp.file("fresh.h5");
  Dataset big = ring_dataset(4096, 32);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    rlimit limit{64 << 10, 64 << 10};
    setrlimit(RLIMIT_FSIZE, &limit);
    write_hdf5_dataset(big, path);
    _exit(0);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status));
  EXPECT_FALSE(std::filesystem::exists(path));
}

}  // namespace
}  // namespace tango::io
