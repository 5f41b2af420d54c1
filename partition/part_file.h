// One rank's self-contained part of a partitioned graph, and its file (part-NNNNN.h5).
//
// This layout is a contract read by comm's halo exchange and by the trainer:
//   owned nodes are renumbered 0..num_owned-1, inner rows (no edge to another part) first and
//   boundary rows last; halo nodes (other parts' nodes adjacent to ours) follow as columns
//   num_owned + i, grouped by owner part in ascending part id and by global id inside a group;
//   send_rows lists, per peer, our boundary rows in exactly the order of that peer's halo rows
//   for us, so row i of a message fills halo row halo_offsets[me] + i at the peer.
// write_part() is atomic (temp name, fsync, rename); read_part() validates every shape and range.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "core/tensor.h"
#include "io/graph.h"

namespace tango::partition {

inline constexpr int64_t kPartFormatVersion = 1;

struct PartitionPart {
  int32_t part_id = 0;
  int32_t num_parts = 1;
  int64_t num_owned = 0;    // owned nodes, renumbered 0..num_owned-1
  int64_t num_inner = 0;    // rows [0, num_inner) have no edge to another part; the rest are boundary
  Tensor owned_global_ids;  // i64 [num_owned]
  Tensor halo_global_ids;   // i64 [num_halo], grouped by owner part; local column = num_owned + index
  Tensor halo_offsets;      // i64 [num_parts + 1]: halo rows owned by part p are [off[p], off[p+1])
  io::Graph local_graph;    // num_owned rows; columns index [owned | halo]; all edges of owned nodes
  Tensor global_degree;     // i64 [num_owned + num_halo]: degree in the whole graph, no self-loop
  Tensor features;          // f32 [num_owned, F]
  Tensor labels;            // i32 [num_owned]
  Tensor train_mask, valid_mask, test_mask;  // u8 [num_owned]
  Tensor halo_features;                      // f32 [num_halo, F], or undefined (--no-halo-features)
  Tensor send_offsets;                       // i64 [num_parts + 1]
  Tensor send_rows;  // i64: rows to send to peer p are send_rows[send_offsets[p] .. send_offsets[p+1])
  int32_t num_classes = 0;
  int64_t num_global_nodes = 0;

  int64_t num_halo() const { return halo_global_ids.defined() ? halo_global_ids.numel() : 0; }
  int64_t num_boundary() const { return num_owned - num_inner; }
  int64_t num_features() const { return features.defined() ? features.cols() : 0; }
};

// "part-00003.h5"
std::string part_file_name(int32_t part_id);

// Writes `part` to `path` atomically: a crash or kill leaves no file under `path`, only a temp file.
void write_part(const PartitionPart& part, const std::string& path);

// Reads and validates a part file; any inconsistency is an input error naming the file.
PartitionPart read_part(const std::string& path);

// Checks the invariants of an in-memory part (the same checks read_part runs); `origin` names it.
void validate_part(const PartitionPart& part, const std::string& origin);

namespace testing {
// Called by write_part after about half of the datasets are in the temp file (tests use it to kill
// the writer midway). Empty by default.
void set_part_write_midpoint_hook(std::function<void(const std::string& temp_path)> hook);
}  // namespace testing

}  // namespace tango::partition
