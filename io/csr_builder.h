// Builds a symmetric CSR graph from an edge list: every edge is added in both directions,
// self-loops and duplicates are dropped, rows are sorted. Shared by every reader and the generator,
// so all datasets obey the same invariants. Parallel (OpenMP) and deterministic.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "io/graph.h"

namespace tango::io {

struct EdgeCleanup {
  int64_t input_edges = 0;     // pairs given
  int64_t self_loops = 0;      // pairs with u == v, dropped
  int64_t duplicates = 0;      // directed edges seen more than once after symmetrizing, dropped
  int64_t directed_edges = 0;  // edges in the resulting CSR (each undirected edge counts twice)
};

// `src`/`dst` are parallel arrays of node ids in [0, num_nodes). An id out of range is an input error
// that names `what` (e.g. the file) and the offending position.
Graph build_symmetric_csr(int64_t num_nodes, std::span<const int64_t> src, std::span<const int64_t> dst,
                          EdgeCleanup* cleanup = nullptr, const std::string& what = "edge list");

}  // namespace tango::io
