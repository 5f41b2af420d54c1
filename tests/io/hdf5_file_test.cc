// io/hdf5_file's table written in pieces (create_dataset + write_rows, what the predictions writer does
// chunk by chunk) reads back as one table; rows outside the dataset are refused. And check_can_create
// (io/atomic_file.h): the check a long run makes at its start for the files it writes at its end.
#include "io/hdf5_file.h"

#include <gtest/gtest.h>

#include "io/atomic_file.h"
#include "tests/common/test_data.h"
#include "tests/io/io_test_util.h"

namespace tango::io {
namespace {

TEST(H5File, WriteRowsFillsADatasetPieceByPiece) {
  testing::TempDir dir;
  const std::string path = dir.file("t.h5");
  {
    H5File file = H5File::create(path);
    file.create_dataset("/logits", DType::kF32, Shape::mat(5, 2));
    file.create_dataset("/split", DType::kU8, Shape::vec(5));
    file.write_rows("/logits", 3, Tensor::from(std::vector<float>{6, 7, 8, 9}, 2, 2));
    file.write_rows("/logits", 0, Tensor::from(std::vector<float>{0, 1, 2, 3, 4, 5}, 3, 2));
    file.write_rows("/split", 0, Tensor::from(std::vector<uint8_t>{0, 1, 2}));
    file.write_rows("/split", 3, Tensor::from(std::vector<uint8_t>{3, 1}));
    file.write_rows("/split", 5, Tensor::empty(DType::kU8, Shape::vec(0)));
    EXPECT_THROW(file.write_rows("/split", 4, Tensor::from(std::vector<uint8_t>{1, 2})), Error);
  }
  H5File file = H5File::open_read(path);
  const Tensor logits = file.read("/logits");
  EXPECT_EQ(logits.shape(), Shape::mat(5, 2));
  EXPECT_EQ(logits.to_vector<float>(), (std::vector<float>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
  EXPECT_EQ(file.read("/split").to_vector<uint8_t>(), (std::vector<uint8_t>{0, 1, 2, 3, 1}));
}

TEST(CheckCanCreate, NamesTheFlagAndTheMissingFolder) {
  testing::TempDir dir;
  check_can_create(dir.file("model.safetensors"), "--save-model");
  testing::expect_input_error([&] { check_can_create(dir.file("nope/model.safetensors"), "--save-model"); },
                              {"--save-model", "nope", "does not exist"});
  testing::expect_input_error([&] { check_can_create(dir.path().string(), "--out"); },
                              {"--out", "is a folder"});
}

}  // namespace
}  // namespace tango::io
