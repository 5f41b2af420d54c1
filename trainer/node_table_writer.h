// One HDF5 file of per-node tables (a run's logits, predicted classes, splits, embeddings) for the whole
// graph in global id order, written by rank 0 from every rank's owned rows, such that no rank holds more
// than its own rows plus one chunk: the global ids are walked in chunks of `chunk_rows`; for each chunk
// every rank sends rank 0 the rows it owns in it (its owned rows sorted by global id once, so each chunk is
// one run of them), rank 0 puts them in place by id, checks that every id of the chunk came exactly once,
// and writes the chunk's rows of every table (io/hdf5_file.h, hyperslabs of an uncompressed dataset).
// The file is written under a temp name, fsync'ed and renamed when complete (io/atomic_file.h): a failed
// run never leaves a partial file under the final name. Collective: every rank calls it with the same
// table names, dtypes and widths.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "comm/communicator.h"
#include "core/tensor.h"

namespace tango::trainer {

struct NodeTable {
  std::string name;   // dataset path in the file, e.g. "/logits"
  Tensor owned_rows;  // CPU, one row per owned node in the rank's row order: [owned] or [owned, width]
};

struct NodeFileAttributes {  // root attributes of the file
  std::map<std::string, std::string> text;
  std::map<std::string, int64_t> numbers;
};

// Bytes of one chunk (all tables' rows and their ids) when chunk_rows is 0.
constexpr int64_t kNodeChunkBytes = 32 << 20;

// `owned_global_ids` (i64, CPU) are the global ids of this rank's owned rows, in row order; every id in
// [0, num_global_nodes) is owned by exactly one rank. Rank 0 failing to create the file is a
// CollectiveError on every rank (trainer/collective_step.h; an input error when its folder is missing).
void write_node_tables(const std::string& path, const std::vector<NodeTable>& tables,
                       const NodeFileAttributes& attributes, const Tensor& owned_global_ids,
                       int64_t num_global_nodes, comm::Communicator& comm, int64_t chunk_rows = 0);

}  // namespace tango::trainer
