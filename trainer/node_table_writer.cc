#include "trainer/node_table_writer.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <numeric>
#include <optional>

#include "core/error.h"
#include "io/atomic_file.h"
#include "io/hdf5_file.h"
#include "trainer/collective_step.h"

namespace tango::trainer {
namespace {

int64_t row_width(const Tensor& table) {
  return table.ndim() == 2 ? table.cols() : 1;
}

Shape table_shape(const Tensor& table, int64_t rows) {
  return table.ndim() == 2 ? Shape::mat(rows, table.cols()) : Shape::vec(rows);
}

}  // namespace

void write_node_tables(const std::string& path, const std::vector<NodeTable>& tables,
                       const NodeFileAttributes& attributes, const Tensor& owned_global_ids,
                       int64_t num_global_nodes, comm::Communicator& comm, int64_t chunk_rows) {
  const bool root = comm.rank() == 0;
  const int64_t owned = owned_global_ids.numel();
  TANGO_CHECK(owned_global_ids.device().is_cpu() && owned_global_ids.dtype() == DType::kI64,
              "owned global ids must be i64 on the host, got {}", owned_global_ids.str());
  std::vector<int64_t> table_row_bytes;
  int64_t row_bytes = sizeof(int64_t);  // the id travels with its rows
  for (const NodeTable& table : tables) {
    TANGO_CHECK(table.owned_rows.device().is_cpu() && table.owned_rows.rows() == owned,
                "table '{}' must hold one row per owned node on the host, got {} for {} rows", table.name,
                table.owned_rows.str(), owned);
    table_row_bytes.push_back(row_width(table.owned_rows) *
                              static_cast<int64_t>(dtype_size(table.owned_rows.dtype())));
    row_bytes += table_row_bytes.back();
  }
  if (chunk_rows <= 0) chunk_rows = std::max<int64_t>(1, kNodeChunkBytes / row_bytes);

  // This rank's rows in global id order: each chunk of ids is one run of them.
  const int64_t* ids = owned_global_ids.data<int64_t>();
  std::vector<int64_t> order(static_cast<size_t>(owned));
  std::iota(order.begin(), order.end(), int64_t{0});
  std::sort(order.begin(), order.end(), [ids](int64_t a, int64_t b) { return ids[a] < ids[b]; });

  std::unique_ptr<io::AtomicFile> atomic;
  std::optional<io::H5File> file;
  run_on_rank0(comm, fmt::format("creating '{}'", path), [&] {
    atomic = std::make_unique<io::AtomicFile>(path);
    file.emplace(io::H5File::create(atomic->temp_path()));
    for (const NodeTable& table : tables)
      file->create_dataset(table.name, table.owned_rows.dtype(),
                           table_shape(table.owned_rows, num_global_nodes));
  });

  std::vector<char> send;
  int64_t cursor = 0;  // next position in `order`
  for (int64_t first = 0; first < num_global_nodes; first += chunk_rows) {
    const int64_t last = std::min(num_global_nodes, first + chunk_rows);
    int64_t end = cursor;
    while (end < owned && ids[order[end]] < last) ++end;
    const int64_t count = end - cursor;
    // [ids of the rows] [table 0's rows] [table 1's rows] ...
    send.resize(static_cast<size_t>(count * row_bytes));
    char* out = send.data();
    for (int64_t k = cursor; k < end; ++k, out += sizeof(int64_t))
      std::memcpy(out, &ids[order[k]], sizeof(int64_t));
    for (size_t t = 0; t < tables.size(); ++t) {
      const char* rows = static_cast<const char*>(tables[t].owned_rows.raw_data());
      const int64_t bytes = table_row_bytes[t];
      for (int64_t k = cursor; k < end; ++k, out += bytes) std::memcpy(out, rows + order[k] * bytes, bytes);
    }
    cursor = end;
    std::vector<int64_t> bytes_per_rank;
    const std::vector<char> all = comm.gather_bytes(send.data(), send.size(), 0, &bytes_per_rank);
    if (!root) continue;

    // Rank 0: every id of [first, last) exactly once, each row put at id - first.
    const int64_t chunk = last - first;
    std::vector<Tensor> chunk_tables;
    for (const NodeTable& table : tables)
      chunk_tables.push_back(Tensor::empty(table.owned_rows.dtype(), table_shape(table.owned_rows, chunk)));
    std::vector<uint8_t> seen(static_cast<size_t>(chunk), 0);
    int64_t received = 0;
    const char* block = all.data();
    for (int r = 0; r < comm.size(); ++r) {
      const int64_t rank_rows = bytes_per_rank[r] / row_bytes;
      std::vector<int64_t> slots(static_cast<size_t>(rank_rows));
      for (int64_t k = 0; k < rank_rows; ++k) {
        int64_t id = 0;
        std::memcpy(&id, block + k * sizeof(int64_t), sizeof(int64_t));
        TANGO_CHECK(id >= first && id < last && !seen[id - first],
                    "rank {} sent global id {} for the chunk [{}, {}) (twice, or outside it)", r, id, first,
                    last);
        seen[id - first] = 1;
        slots[k] = id - first;
      }
      const char* rows = block + rank_rows * static_cast<int64_t>(sizeof(int64_t));
      for (size_t t = 0; t < tables.size(); ++t) {
        char* target = static_cast<char*>(chunk_tables[t].raw_data());
        const int64_t bytes = table_row_bytes[t];
        for (int64_t k = 0; k < rank_rows; ++k, rows += bytes)
          std::memcpy(target + slots[k] * bytes, rows, bytes);
      }
      received += rank_rows;
      block += bytes_per_rank[r];
    }
    TANGO_CHECK(received == chunk,
                "the ranks sent {} rows for the {} global ids [{}, {}): a node without an owner", received,
                chunk, first, last);
    for (size_t t = 0; t < tables.size(); ++t) file->write_rows(tables[t].name, first, chunk_tables[t]);
  }
  TANGO_CHECK(cursor == owned, "rank {} owns {} rows with global ids outside [0, {})", comm.rank(),
              owned - cursor, num_global_nodes);
  if (!root) return;
  for (const auto& [name, value] : attributes.text) file->set_attr(name, value);
  for (const auto& [name, value] : attributes.numbers) file->set_attr(name, value);
  file->close();
  atomic->commit();
}

}  // namespace tango::trainer
