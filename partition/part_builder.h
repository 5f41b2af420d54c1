// Turns a node -> part assignment into self-contained parts (see part_file.h for the layout).
//
// plan_layout() runs once over the whole graph: it marks boundary nodes (those with a neighbour in
// another part) and gives every node its row in its owner's part, inner nodes first, boundary last,
// each group in global-id order. build_part() then assembles one part at a time, so only one part's
// features are in memory beside the dataset: owned rows, halo columns grouped by owner, the local
// CSR, global degrees, features/labels/masks, halo features and per-peer send lists.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "io/dataset.h"
#include "partition/part_file.h"

namespace tango::partition {

struct PartLayout {
  int32_t num_parts = 0;
  std::vector<int32_t> owner;          // [num_nodes]: the part that owns each node
  std::vector<int64_t> local_row;      // [num_nodes]: its row inside the owner's part
  std::vector<int64_t> nodes_by_part;  // all nodes, grouped by part, in local row order
  std::vector<int64_t> part_offsets;   // [num_parts + 1] into nodes_by_part
  std::vector<int64_t> num_inner;      // [num_parts]

  int64_t num_owned(int32_t part) const { return part_offsets[part + 1] - part_offsets[part]; }
  std::span<const int64_t> owned_nodes(int32_t part) const {
    return {nodes_by_part.data() + part_offsets[part], static_cast<size_t>(num_owned(part))};
  }
};

// `owner` must hold a part in [0, num_parts) for every node of `graph`.
PartLayout plan_layout(const io::Graph& graph, std::vector<int32_t> owner, int32_t num_parts);

// Assembles part `part_id`. Halo features are gathered only when `with_halo_features`.
PartitionPart build_part(const io::Dataset& dataset, const PartLayout& layout, int32_t part_id,
                         bool with_halo_features);

}  // namespace tango::partition
