#include "io/csr_builder.h"

#include <omp.h>

#include <algorithm>
#include <vector>

#include "core/error.h"

namespace tango::io {

namespace {

template <class IdT>
Graph build_typed(int64_t n, std::span<const int64_t> src, std::span<const int64_t> dst, EdgeCleanup& stats) {
  const int64_t m = static_cast<int64_t>(src.size());
  // Count the out-degree of both directions (self-loops skipped).
  std::vector<int64_t> degree(n + 1, 0);
  int64_t loops = 0;
  for (int64_t e = 0; e < m; ++e) {
    if (src[e] == dst[e]) {
      ++loops;
      continue;
    }
    ++degree[src[e]];
    ++degree[dst[e]];
  }
  std::vector<int64_t> offset(n + 1, 0);
  for (int64_t v = 0; v < n; ++v) offset[v + 1] = offset[v] + degree[v];
  std::vector<IdT> cols(offset[n]);
  std::vector<int64_t> cursor(offset.begin(), offset.end() - 1);
  for (int64_t e = 0; e < m; ++e) {
    int64_t u = src[e], v = dst[e];
    if (u == v) continue;
    cols[cursor[u]++] = static_cast<IdT>(v);
    cols[cursor[v]++] = static_cast<IdT>(u);
  }
  // Sort and deduplicate each row in parallel; count the kept entries.
  std::vector<int64_t> kept(n + 1, 0);
#pragma omp parallel for schedule(dynamic, 1024)
  for (int64_t v = 0; v < n; ++v) {
    auto first = cols.begin() + offset[v], last = cols.begin() + offset[v + 1];
    std::sort(first, last);
    kept[v + 1] = std::unique(first, last) - first;
  }
  Graph g;
  g.num_nodes = n;
  g.indptr = Tensor::empty(DType::kI64, Shape::vec(n + 1));
  int64_t* indptr = g.indptr.data<int64_t>();
  indptr[0] = 0;
  for (int64_t v = 0; v < n; ++v) indptr[v + 1] = indptr[v] + kept[v + 1];
  g.indices = Tensor::empty(dtype_of<IdT>(), Shape::vec(indptr[n]));
  IdT* out = g.indices.data<IdT>();
#pragma omp parallel for schedule(dynamic, 1024)
  for (int64_t v = 0; v < n; ++v)
    std::copy_n(cols.begin() + offset[v], indptr[v + 1] - indptr[v], out + indptr[v]);
  stats.input_edges = m;
  stats.self_loops = loops;
  stats.directed_edges = indptr[n];
  stats.duplicates = offset[n] - indptr[n];
  return g;
}

}  // namespace

Graph build_symmetric_csr(int64_t num_nodes, std::span<const int64_t> src, std::span<const int64_t> dst,
                          EdgeCleanup* cleanup, const std::string& what) {
  TANGO_CHECK(src.size() == dst.size(), "edge arrays differ in length: {} vs {}", src.size(), dst.size());
  TANGO_CHECK_INPUT(num_nodes >= 0, "{}: negative node count {}", what, num_nodes);
  for (size_t e = 0; e < src.size(); ++e) {
    if (src[e] < 0 || src[e] >= num_nodes || dst[e] < 0 || dst[e] >= num_nodes) [[unlikely]]
      TANGO_FAIL_INPUT(
          "{}: edge {} ({}, {}) has a node id outside [0, {}): fix the edge list or the node count", what,
          e + 1, src[e], dst[e], num_nodes);
  }
  EdgeCleanup stats;
  Graph g = index_dtype_for(num_nodes) == DType::kI32 ? build_typed<int32_t>(num_nodes, src, dst, stats)
                                                      : build_typed<int64_t>(num_nodes, src, dst, stats);
  if (cleanup) *cleanup = stats;
  return g;
}

}  // namespace tango::io
