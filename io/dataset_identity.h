// What makes a dataset the same dataset, whatever the partition it is read through: its node count,
// its directed edge count and a 64-bit checksum of its contents. A checkpoint records it; resuming a
// run checks it, so a run can move to another rank count or another partition of the same dataset
// (`--dataset SPEC`, `--parts DIR` of any K) but not to another dataset.
//
// The checksum is a sum (mod 2^64) over the nodes v of node_digest(v) (global id, label, split, the
// bits of its feature row) and over the directed edges (v, u) of edge_digest(v, u) (global ids), each
// an io/content_hash.h hash. A sum does not depend on the order of its terms, so every part of a
// partition computes the share of the nodes it owns (from its part file: owned rows, their edges
// with the halo columns mapped to global ids) and the shares of any K parts add up to the checksum of
// the whole dataset. Raw features are hashed (before --normalize-features, which the config hash
// covers). Computed by the trainer from what it loaded, so it needs nothing from the manifest and
// checks the data itself, not a claim about it.
#pragma once

#include <cstdint>
#include <string>

#include "core/tensor.h"
#include "io/dataset.h"
#include "io/graph.h"

namespace tango::io {

struct DatasetIdentity {
  std::string name;  // for messages only: the same data under another name or path is the same dataset
  int64_t nodes = 0;
  int64_t edges = 0;  // directed: each undirected edge twice
  uint64_t checksum = 0;

  bool same_data(const DatasetIdentity& other) const {
    return nodes == other.nodes && edges == other.edges && checksum == other.checksum;
  }
  // "'cora' (2708 nodes, 10556 edges, checksum 0123456789abcdef)"
  std::string str() const;
};

// The share of `adjacency`'s rows in the checksum. Row r (r < adjacency.num_nodes) is the node with
// global id global_ids[r]; its neighbours are adjacency's local columns c, with global ids global_ids[c]
// (no self-loops). features, labels and the masks have a row per adjacency row (more rows are ignored).
uint64_t dataset_checksum_share(const Graph& adjacency, const Tensor& global_ids, const Tensor& features,
                                const Tensor& labels, const Tensor& train_mask, const Tensor& valid_mask,
                                const Tensor& test_mask);

// The identity of a whole dataset (the share of all its nodes).
DatasetIdentity dataset_identity(const Dataset& dataset);

}  // namespace tango::io
