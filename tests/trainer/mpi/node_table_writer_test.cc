// trainer/node_table_writer on real ranks: rows owned in scattered, unsorted global ids come out of rank 0's
// file in global id order, for every chunk size (1 row, 7 rows: chunks that straddle owners, the default:
// one chunk), for f32 tables and i32 / u8 vectors; a rank with no rows takes part; a file rank 0 cannot
// create is an input error on every rank (no rank is left in a gather) and leaves nothing behind.
#include "trainer/node_table_writer.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "core/error.h"
#include "io/hdf5_file.h"
#include "tests/common/test_data.h"

namespace tango::trainer {
namespace {

constexpr int64_t kNodes = 50;

// Node v belongs to rank (7 v + 3) mod size, except that the last rank owns none when size > 1; each rank
// lists its ids in descending order.
std::vector<int64_t> owned_ids(int rank, int size) {
  const int owners = size > 1 ? size - 1 : 1;
  std::vector<int64_t> ids;
  for (int64_t v = kNodes - 1; v >= 0; --v) {
    if ((7 * v + 3) % owners == rank) ids.push_back(v);
  }
  return ids;
}

// Every rank writes into rank 0's temp folder.
std::string shared_folder(comm::Communicator& comm, const tango::testing::TempDir& dir) {
  std::string base = dir.path().string();
  std::vector<char> buffer(base.begin(), base.end());
  buffer.resize(4096, '\0');
  comm.broadcast_bytes(buffer.data(), buffer.size(), 0);
  return buffer.data();
}

TEST(NodeTableWriter, RowsComeOutInGlobalIdOrderForEveryChunkSize) {
  comm::Communicator comm;
  tango::testing::TempDir dir;
  const std::string folder = shared_folder(comm, dir);
  const std::vector<int64_t> ids = owned_ids(comm.rank(), comm.size());
  const int64_t owned = static_cast<int64_t>(ids.size());
  std::vector<float> logits;
  std::vector<int32_t> classes;
  std::vector<uint8_t> codes;
  for (int64_t v : ids) {
    for (int c = 0; c < 3; ++c) logits.push_back(static_cast<float>(10 * v + c));
    classes.push_back(static_cast<int32_t>(v * v));
    codes.push_back(static_cast<uint8_t>(v % 4));
  }
  const std::vector<NodeTable> tables = {
      {"/logits", owned > 0 ? Tensor::from(logits, owned, 3) : Tensor::empty(DType::kF32, Shape::mat(0, 3))},
      {"/prediction", owned > 0 ? Tensor::from(classes) : Tensor::empty(DType::kI32, Shape::vec(0))},
      {"/split", owned > 0 ? Tensor::from(codes) : Tensor::empty(DType::kU8, Shape::vec(0))}};
  const Tensor id_tensor = owned > 0 ? Tensor::from(ids) : Tensor::empty(DType::kI64, Shape::vec(0));
  for (int64_t chunk_rows : {int64_t{1}, int64_t{7}, int64_t{0}}) {
    SCOPED_TRACE(chunk_rows);
    const std::string path = folder + "/nodes-" + std::to_string(chunk_rows) + ".h5";
    NodeFileAttributes attributes;
    attributes.text["format"] = "test";
    attributes.numbers["num_nodes"] = kNodes;
    write_node_tables(path, tables, attributes, id_tensor, kNodes, comm, chunk_rows);
    comm.barrier();
    if (comm.rank() != 0) continue;
    io::H5File file = io::H5File::open_read(path);
    const Tensor all_logits = file.read_checked("/logits", DType::kF32, kNodes);
    ASSERT_EQ(all_logits.cols(), 3);
    const std::vector<float> l = all_logits.to_vector<float>();
    const std::vector<int32_t> p = file.read_checked("/prediction", DType::kI32, kNodes).to_vector<int32_t>();
    const std::vector<uint8_t> s = file.read_checked("/split", DType::kU8, kNodes).to_vector<uint8_t>();
    for (int64_t v = 0; v < kNodes; ++v) {
      for (int c = 0; c < 3; ++c) EXPECT_EQ(l[v * 3 + c], static_cast<float>(10 * v + c)) << v;
      EXPECT_EQ(p[v], v * v);
      EXPECT_EQ(s[v], v % 4);
    }
    EXPECT_EQ(file.attr_string("format"), "test");
    EXPECT_EQ(file.attr_int("num_nodes"), kNodes);
  }
}

TEST(NodeTableWriter, AFileRankZeroCannotCreateIsAnErrorOnEveryRank) {
  comm::Communicator comm;
  tango::testing::TempDir dir;
  const std::string folder = shared_folder(comm, dir);
  const std::vector<int64_t> ids = owned_ids(comm.rank(), comm.size());
  const Tensor id_tensor = ids.empty() ? Tensor::empty(DType::kI64, Shape::vec(0)) : Tensor::from(ids);
  const std::vector<NodeTable> tables = {{"/id", id_tensor}};
  try {
    write_node_tables(folder + "/missing/nodes.h5", tables, {}, id_tensor, kNodes, comm);
    ADD_FAILURE() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput) << e.what();
    EXPECT_NE(std::string(e.what()).find("missing"), std::string::npos) << e.what();
  }
  comm.barrier();
  EXPECT_FALSE(std::filesystem::exists(folder + "/missing"));
}

}  // namespace
}  // namespace tango::trainer
