#include "partition/metis_partitioner.h"

#include <metis.h>

#include <limits>

#include "core/error.h"

namespace tango::partition {

namespace {
const char* metis_status_text(int status) {
  switch (status) {
    case METIS_ERROR_INPUT: return "METIS_ERROR_INPUT (the graph or options were rejected)";
    case METIS_ERROR_MEMORY: return "METIS_ERROR_MEMORY (out of memory)";
    default: return "METIS_ERROR";
  }
}
}  // namespace

std::vector<int32_t> metis_partition(const io::Graph& graph, const Tensor& train_mask,
                                     const PartitionOptions& options) {
  const int64_t n = graph.num_nodes;
  const int64_t m = graph.num_edges();
  constexpr int64_t kIdxMax = std::numeric_limits<idx_t>::max();
  TANGO_CHECK(options.num_parts >= 2, "METIS needs at least 2 parts, got {}", options.num_parts);
  TANGO_CHECK_INPUT(n < kIdxMax && m < kIdxMax,
                    "the graph has {} nodes and {} directed edges, more than this METIS build's {}-bit ids "
                    "hold: use --method random or a METIS built with IDXTYPEWIDTH=64",
                    n, m, IDXTYPEWIDTH);

  // METIS wants its own integer type; copy the CSR into idx_t arrays.
  std::vector<idx_t> xadj(n + 1), adjncy(m);
  const int64_t* indptr = graph.indptr.data<int64_t>();
  for (int64_t v = 0; v <= n; ++v) xadj[v] = static_cast<idx_t>(indptr[v]);
  io::visit_indices(graph, [&](const auto* cols) {
    for (int64_t e = 0; e < m; ++e) adjncy[e] = static_cast<idx_t>(cols[e]);
  });

  idx_t ncon = 1;
  std::vector<idx_t> vwgt;  // empty: unit node weights
  if (options.balance == BalanceMode::kEdges) {
    vwgt.resize(n);
    for (int64_t v = 0; v < n; ++v) vwgt[v] = static_cast<idx_t>(indptr[v + 1] - indptr[v] + 1);
  } else if (options.balance == BalanceMode::kTrain) {
    ncon = 2;
    vwgt.resize(2 * n);
    const uint8_t* train = train_mask.data<uint8_t>();
    for (int64_t v = 0; v < n; ++v) {
      vwgt[2 * v] = 1;
      vwgt[2 * v + 1] = train[v] ? 1 : 0;
    }
  }

  idx_t metis_options[METIS_NOPTIONS];
  METIS_SetDefaultOptions(metis_options);
  metis_options[METIS_OPTION_OBJTYPE] = METIS_OBJTYPE_CUT;
  metis_options[METIS_OPTION_NUMBERING] = 0;
  metis_options[METIS_OPTION_SEED] = static_cast<idx_t>(options.seed % static_cast<uint64_t>(kIdxMax));
  metis_options[METIS_OPTION_UFACTOR] = options.ufactor;

  idx_t nvtxs = static_cast<idx_t>(n);
  idx_t nparts = options.num_parts;
  idx_t edgecut = 0;
  std::vector<idx_t> part(n);
  int status =
      METIS_PartGraphKway(&nvtxs, &ncon, xadj.data(), adjncy.data(), vwgt.empty() ? nullptr : vwgt.data(),
                          nullptr, nullptr, &nparts, nullptr, nullptr, metis_options, &edgecut, part.data());
  if (status != METIS_OK)
    TANGO_FAIL("METIS_PartGraphKway into {} parts failed: {}", options.num_parts, metis_status_text(status));
  return std::vector<int32_t>(part.begin(), part.end());
}

}  // namespace tango::partition
