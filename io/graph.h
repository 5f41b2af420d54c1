// A graph in CSR form: indptr (i64, num_nodes + 1) and indices (i32 when node ids fit, else i64).
// Datasets hold symmetric graphs without self-loops or duplicate edges; models add self-loops
// themselves where they want them.
#pragma once

#include <cstdint>
#include <utility>

#include "core/tensor.h"

namespace tango::io {

struct Graph {
  int64_t num_nodes = 0;
  Tensor indptr;   // i64 [num_nodes + 1]
  Tensor indices;  // i32 or i64 [num_edges], sorted within each row

  int64_t num_edges() const { return indices.defined() ? indices.numel() : 0; }
  bool wide_ids() const { return indices.dtype() == DType::kI64; }
};

// The index dtype a graph with n nodes uses.
inline DType index_dtype_for(int64_t num_nodes) {
  return num_nodes <= INT32_MAX ? DType::kI32 : DType::kI64;
}

// Calls fn(const IdT* indices) with the graph's column ids typed as int32_t or int64_t.
template <class Fn>
decltype(auto) visit_indices(const Graph& g, Fn&& fn) {
  if (g.wide_ids()) return fn(g.indices.data<int64_t>());
  return fn(g.indices.data<int32_t>());
}

}  // namespace tango::io
