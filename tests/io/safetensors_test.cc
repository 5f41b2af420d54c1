// io/safetensors: the bytes are the format's (length, JSON header padded to 8, tensors tiling the buffer),
// a round trip keeps every value, shape (3-D and scalar too), dtype and metadata, and every kind of broken
// file is an input error naming the file and the defect.
#include "io/safetensors.h"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "io/hdf5_file.h"
#include "tests/common/test_data.h"
#include "tests/io/io_test_util.h"

namespace tango::io {
namespace {

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

SafetensorsFile sample() {
  SafetensorsFile file;
  file.metadata = {{"model", "gat"}, {"layers", "2"}};
  file.tensors["convs.0.att_src"] =
      safetensors_entry(Tensor::from(std::vector<float>{1, 2, 3, 4, 5, 6}), {1, 2, 3});
  file.tensors["convs.0.lin.weight"] =
      safetensors_entry(Tensor::from(std::vector<float>{-1.5f, 0.25f}, 1, 2), {1, 2});
  file.tensors["ids"] = safetensors_entry(Tensor::from(std::vector<int64_t>{7, -8, 1LL << 40}), {3});
  file.tensors["scalar"] = safetensors_entry(Tensor::from(std::vector<int32_t>{42}), {});
  file.tensors["empty"] = safetensors_entry(Tensor::empty(DType::kF32, Shape::vec(0)), {0, 4});
  return file;
}

TEST(Safetensors, BytesFollowTheFormat) {
  testing::TempDir dir;
  const std::string path = dir.file("m.safetensors");
  write_safetensors(path, sample());
  const std::string bytes = read_bytes(path);
  uint64_t header_bytes = 0;
  std::memcpy(&header_bytes, bytes.data(), 8);
  EXPECT_EQ((8 + header_bytes) % 8, 0u) << "the data starts 8-byte aligned";
  const nlohmann::json header = nlohmann::json::parse(bytes.substr(8, header_bytes));
  EXPECT_EQ(header["__metadata__"]["model"], "gat");
  EXPECT_EQ(header["convs.0.att_src"]["dtype"], "F32");
  EXPECT_EQ(header["convs.0.att_src"]["shape"], nlohmann::json({1, 2, 3}));
  EXPECT_EQ(header["ids"]["dtype"], "I64");
  EXPECT_EQ(header["scalar"]["shape"], nlohmann::json::array());
  // Tensors in name order, back to back from byte 0 of the data to the end of the file.
  uint64_t next = 0;
  for (const char* name : {"convs.0.att_src", "convs.0.lin.weight", "empty", "ids", "scalar"}) {
    EXPECT_EQ(header[name]["data_offsets"][0].get<uint64_t>(), next) << name;
    next = header[name]["data_offsets"][1];
  }
  EXPECT_EQ(8 + header_bytes + next, bytes.size());
  float first = 0;
  std::memcpy(&first, bytes.data() + 8 + header_bytes, 4);
  EXPECT_EQ(first, 1.0f);
}

TEST(Safetensors, RoundTripKeepsValuesShapesAndMetadata) {
  testing::TempDir dir;
  const std::string path = dir.file("m.safetensors");
  write_safetensors(path, sample());
  const SafetensorsFile back = read_safetensors(path);
  EXPECT_EQ(back.metadata, sample().metadata);
  ASSERT_EQ(back.tensors.size(), 5u);
  EXPECT_EQ(back.tensors.at("convs.0.att_src").shape, (std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ(back.tensors.at("convs.0.att_src").values.to_vector<float>(),
            (std::vector<float>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(back.tensors.at("convs.0.lin.weight").values.shape(), Shape::mat(1, 2));
  EXPECT_EQ(back.tensors.at("convs.0.lin.weight").values.to_vector<float>(),
            (std::vector<float>{-1.5f, 0.25f}));
  EXPECT_EQ(back.tensors.at("ids").values.to_vector<int64_t>(), (std::vector<int64_t>{7, -8, 1LL << 40}));
  EXPECT_EQ(back.tensors.at("scalar").values.to_vector<int32_t>(), (std::vector<int32_t>{42}));
  EXPECT_EQ(back.tensors.at("empty").values.numel(), 0);
}

TEST(Safetensors, TruncatedFileIsAnInputErrorNamingIt) {
  testing::TempDir dir;
  const std::string path = dir.file("m.safetensors");
  write_safetensors(path, sample());
  const std::string bytes = read_bytes(path);
  testing::write_plain(path, bytes.substr(0, bytes.size() - 3));
  testing::expect_input_error([&] { read_safetensors(path); }, {path, "truncated"});
  testing::write_plain(path, bytes.substr(0, 20));  // inside the header
  testing::expect_input_error([&] { read_safetensors(path); }, {path, "header"});
  testing::write_plain(path, bytes.substr(0, 5));
  testing::expect_input_error([&] { read_safetensors(path); }, {path, "not a safetensors file"});
}

TEST(Safetensors, ForeignFilesAreInputErrors) {
  testing::TempDir dir;
  const std::string text = dir.file("text.safetensors");
  testing::write_plain(text, "this is a text file, longer than eight bytes\n");
  testing::expect_input_error([&] { read_safetensors(text); }, {text, "not a safetensors file"});
  const std::string hdf5 = dir.file("data.h5");
  {
    H5File file = H5File::create(hdf5);
    file.write("/x", Tensor::from(std::vector<float>{1, 2, 3}));
  }
  testing::expect_input_error([&] { read_safetensors(hdf5); }, {hdf5, "not a safetensors file"});
  testing::expect_input_error([&] { read_safetensors(dir.file("missing.safetensors")); }, {"does not exist"});
}

// A header whose offsets leave a gap, a byte count that does not match the shape, an unknown dtype.
TEST(Safetensors, InconsistentHeadersAreInputErrors) {
  testing::TempDir dir;
  const std::string path = dir.file("bad.safetensors");
  auto write_with_header = [&](const nlohmann::json& header, size_t data_bytes) {
    const std::string text = header.dump();
    const uint64_t n = text.size();
    std::string bytes(8, '\0');
    std::memcpy(bytes.data(), &n, 8);
    testing::write_plain(path, bytes + text + std::string(data_bytes, '\0'));
  };
  write_with_header({{"a", {{"dtype", "F32"}, {"shape", {2}}, {"data_offsets", {4, 12}}}}}, 12);
  testing::expect_input_error([&] { read_safetensors(path); },
                              {path, "'a' starts at data byte 4, expected 0"});
  write_with_header({{"a", {{"dtype", "F32"}, {"shape", {3}}, {"data_offsets", {0, 8}}}}}, 8);
  testing::expect_input_error([&] { read_safetensors(path); }, {path, "'a'", "needs 12 bytes"});
  write_with_header({{"a", {{"dtype", "F16"}, {"shape", {2}}, {"data_offsets", {0, 4}}}}}, 4);
  testing::expect_input_error([&] { read_safetensors(path); }, {path, "'a'", "F16"});
  write_with_header({{"a", {{"dtype", "F32"}, {"shape", {1}}, {"data_offsets", {0, 4}}}}}, 9);
  testing::expect_input_error([&] { read_safetensors(path); }, {path, "5 bytes follow the last tensor"});
  write_with_header({{"__metadata__", {{"layers", 2}}}}, 0);
  testing::expect_input_error([&] { read_safetensors(path); }, {path, "'layers' is not a string"});
}

TEST(Safetensors, WriteIsAtomic) {
  testing::TempDir dir;
  const std::string path = dir.file("m.safetensors");
  write_safetensors(path, sample());
  for (const auto& entry : std::filesystem::directory_iterator(dir.path()))
    EXPECT_EQ(entry.path().filename(), "m.safetensors") << "a temp file was left behind";
  testing::expect_input_error([&] { write_safetensors(dir.file("no/such/folder/m.safetensors"), sample()); },
                              {"cannot create"});
}

}  // namespace
}  // namespace tango::io
