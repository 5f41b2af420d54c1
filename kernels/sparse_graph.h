// SparseGraph: the index plans every sparse primitive (SpMM, SDDMM, edge softmax) runs on, built once
// on the host and copied to a device once.
//
// Convention: a CSR row is a DESTINATION, its column ids are SOURCES. An aggregation is
//   out[r, :] = sum over entries (r, c) of  w(r, c) * x[c, :]            (messages flow c -> r)
// so the forward pass walks `csr()` and the backward pass (dX = A^T dY) walks `csr_t()`, the CSR of the
// reverse graph (a CSC of the forward one). The number of columns may differ from the number of rows:
// a rank's local graph has rows = owned nodes and columns = [owned | halo] nodes.
//
// Edge-valued tensors (attention logits, edge weights: E x H) are always stored in the forward CSR's
// entry order ("canonical edge ids"). `CsrIndex::edge_ids` maps an entry to its canonical id: the
// identity for `csr()`, the transposition permutation for `csr_t()`. A primitive that reads or writes edge
// values through a CsrIndex uses edge_ids, so the same edge tensor serves both directions.
//
// The incidence matrices (node x edge, one 1 per column) that express the backward of u_add_v as an
// SpMM (Tango's incidence SpMM) are CsrIndex views on the same arrays: no extra memory beyond one iota.
#pragma once

#include <cstdint>

#include "core/tensor.h"

namespace tango::kernels {

// One direction of the adjacency in CSR form (all arrays on one device).
struct CsrIndex {
  int64_t num_rows = 0;
  int64_t num_cols = 0;
  Tensor indptr;                       // i64 [num_rows + 1]
  Tensor indices;                      // i32 [nnz], column (source) ids, sorted within each row
  Tensor edge_ids;                     // i32 [nnz], canonical edge id of each entry
  bool edge_ids_are_identity = false;  // entry p is canonical edge p (kernels then skip the indirection)
  // Rows of the edge tensors read or written through edge_ids; -1 means num_entries(). A row range of a
  // reverse CSR (trainer/dist_graph.h, ReverseSplit) keeps the whole graph's canonical ids, so its edge
  // tensors are the whole graph's [E, H] ones although it has fewer entries.
  int64_t edge_value_rows = -1;

  int64_t num_entries() const { return indices.defined() ? indices.numel() : 0; }
  int64_t num_edge_values() const { return edge_value_rows >= 0 ? edge_value_rows : num_entries(); }
  Device device() const { return indptr.device(); }
};

// Rows [begin, end) of `whole` (a host CSR) as a CSR over `num_cols` columns (at most whole's, when the rows
// reach no further): views of its index arrays, the indptr rebased to start at 0 (a copy when begin > 0),
// each row's entries in the same order, so each row's sums are the whole CSR's. Edge values: with
// identity ids the range's entry p is whole's entry indptr[begin] + p (slice the edge tensors there);
// otherwise its canonical ids keep indexing the whole graph's edge tensors (edge_value_rows).
CsrIndex csr_row_range(const CsrIndex& whole, int64_t begin, int64_t end, int64_t num_cols);

class SparseGraph {
 public:
  SparseGraph() = default;

  // From host CSR arrays (a dataset's io/graph.h Graph g: from_csr(g.num_nodes, g.num_nodes, g.indptr,
  // g.indices); kernels/ does not include io/, so the caller unpacks it) with num_rows x num_cols shape:
  // indptr i64 [num_rows + 1], indices i32 or i64 (narrowed; ids < 2^31) with every id in [0, num_cols).
  // Builds the transpose in parallel (OpenMP), deterministically: each transposed row lists its entries in
  // increasing forward-entry order.
  static SparseGraph from_csr(int64_t num_rows, int64_t num_cols, const Tensor& indptr,
                              const Tensor& indices);

  int64_t num_rows() const { return csr_.num_rows; }
  int64_t num_cols() const { return csr_.num_cols; }
  int64_t num_edges() const { return csr_.num_entries(); }
  Device device() const { return csr_.device(); }

  const CsrIndex& csr() const { return csr_; }      // rows = destinations
  const CsrIndex& csr_t() const { return csr_t_; }  // rows = sources (the reverse graph)

  // f32 [num_rows]: 1 / in-degree (0 for a row without entries): GraphSAGE-mean's row scaling.
  const Tensor& inverse_in_degree() const { return inverse_in_degree_; }

  // Incidence matrices as CSR (rows = nodes, cols = edges, values implicitly 1):
  // in_incidence()[r, e] = 1 when edge e ends at row r; out_incidence()[c, e] = 1 when e starts at c.
  CsrIndex in_incidence() const;
  CsrIndex out_incidence() const;

  // A copy of every array on `device` (done once; the graph is static during training).
  SparseGraph to(Device device) const;

 private:
  CsrIndex csr_;
  CsrIndex csr_t_;
  Tensor inverse_in_degree_;
};

}  // namespace tango::kernels
