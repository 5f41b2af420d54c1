// DistGraph: everything one rank trains on, in the part layout of partition/part_file.h.
//
// Rows of every layer table are [owned | halo]: owned nodes 0..num_owned-1 (inner rows, which have no
// neighbour on another rank, first; boundary rows last), then halo copies of other ranks' nodes,
// grouped by owner (rows from peer p: num_owned + [halo_offsets[p], halo_offsets[p+1])). The local
// adjacency has a row per owned node with all its in-edges; its columns index [owned | halo].
//
// Built here, once: the adjacency with and without self-loops as kernels::SparseGraph, GCN's
// normalisation d~^-1/2 with d~ = GLOBAL degree + 1 (so K ranks compute what 1 rank computes), SAGE's
// 1/degree, the layer-0 input table (owned features, then the halo rows' features carried by the part
// file, so layer 0 needs no exchange) and the send/receive arrays of the halo plan.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "io/dataset.h"
#include "io/graph.h"
#include "kernels/sparse_graph.h"

namespace tango::trainer {

// The owned rows of an adjacency split for overlap: inner rows [0, num_inner), whose columns are all
// owned (num_cols = num_owned: computable before the halo arrives), and boundary rows
// [num_inner, num_owned) over all columns. Entries are views of the whole CSR's arrays (boundary
// indptr rebased), in the same order, so edge tensors slice the same way.
struct RowSplit {
  kernels::CsrIndex inner;
  kernels::CsrIndex boundary;
  int64_t boundary_first_entry = 0;  // entry id of the first boundary-row entry in the whole CSR
};

RowSplit split_inner_boundary(const kernels::CsrIndex& whole, int64_t num_inner, int64_t num_owned);

// The rows of a reverse-graph CSR (csr_t(): rows [owned | halo], columns owned) split for the backward
// overlap: the halo rows, whose sums go home to their owners and so are computed and sent first, and
// the owned rows, computed while they travel. Views of the whole CSR's arrays (halo indptr rebased),
// in the same order: each row is the same sum as over the whole CSR.
struct ReverseSplit {
  kernels::CsrIndex owned;
  kernels::CsrIndex halo;
  int64_t halo_first_entry = 0;  // entry id of the first halo-row entry in the whole CSR
};

ReverseSplit split_owned_halo(const kernels::CsrIndex& reverse, int64_t num_owned);

struct DistGraph {
  int32_t part_id = 0;
  int32_t num_parts = 1;
  int64_t num_owned = 0;
  int64_t num_inner = 0;
  int64_t num_halo = 0;
  int64_t num_global_nodes = 0;
  int32_t num_classes = 0;
  // The dataset this part belongs to (io/dataset_identity.h): its name (for messages; from the
  // dataset or the partition's manifest) and this part's share of the dataset checksum, computed from
  // the raw owned rows by build_local_operators (before normalize_input_rows). Checkpoints record the
  // sum over the ranks, which is the same for any partition of the same dataset.
  std::string dataset_name;
  uint64_t dataset_checksum_share = 0;
  Device device = Device::cpu();  // where every tensor below lives (built on the host, see graph_on_device)

  Tensor global_ids;  // i64 [num_owned + num_halo]: dropout masks and checks key on these
  Tensor input;       // f32 [num_owned + num_halo, F]: layer-0 features of owned, then halo rows
  Tensor labels;      // i32 [num_owned]
  Tensor train_mask, valid_mask, test_mask;  // u8 [num_owned]

  kernels::SparseGraph adjacency;                  // owned x (owned + halo), no self-loops (SAGE)
  kernels::SparseGraph adjacency_with_self;        // the same plus (v, v) for each owned v (GCN, GAT)
  RowSplit adjacency_split;                        // of adjacency.csr()
  RowSplit adjacency_with_self_split;              // of adjacency_with_self.csr()
  ReverseSplit adjacency_reverse_split;            // of adjacency.csr_t()
  ReverseSplit adjacency_with_self_reverse_split;  // of adjacency_with_self.csr_t()
  Tensor gcn_norm;                                 // f32 [num_owned + num_halo]: (global degree + 1)^-1/2
  Tensor inverse_degree;  // f32 [num_owned]: 1 / global degree (0 for an isolated node)

  // Halo plan arrays (see comm/halo_plan.h); empty lists when num_parts == 1.
  std::vector<int64_t> send_offsets;  // [num_parts + 1]
  std::vector<int64_t> send_rows;
  std::vector<int64_t> halo_offsets;  // [num_parts + 1]

  int64_t num_rows() const { return num_owned + num_halo; }
  int64_t num_features() const { return input.cols(); }
};

// A copy of `graph` with every tensor on `device` (copied once, before training; the plan arrays stay on
// the host). The row splits (both directions) are re-made as views of the copied adjacency, as on the host.
DistGraph graph_on_device(const DistGraph& graph, Device device);

// The whole dataset as the single part of a 1-rank run.
DistGraph dist_graph_from_dataset(const io::Dataset& dataset);

// Divides every row of the input table by its sum of absolute values (rows summing to 0 stay), as
// the GCN paper does for cora's bag-of-words features. Row-local: K ranks agree with 1 rank.
void normalize_input_rows(DistGraph& graph);

// Fills adjacency, adjacency_with_self, gcn_norm, inverse_degree and dataset_checksum_share from the
// part's local CSR (rows = owned nodes, columns in [owned | halo]) and the global degrees of its owned +
// halo nodes (i64, no self-loop counted). Every other field must be set already.
void build_local_operators(DistGraph& graph, const io::Graph& local_graph, const Tensor& global_degree);

// The local CSR with a self-loop inserted, in sorted position, in every owned row.
io::Graph with_self_loops(const io::Graph& local_graph, int64_t num_cols);

}  // namespace tango::trainer
