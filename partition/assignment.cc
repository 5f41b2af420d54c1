#include "partition/assignment.h"

#include <algorithm>

#include "core/error.h"
#include "partition/metis_partitioner.h"
#include "partition/random_partitioner.h"

namespace tango::partition {

std::string method_name(PartitionMethod method) {
  return method == PartitionMethod::kMetis ? "metis" : "random";
}

std::string balance_name(BalanceMode balance) {
  switch (balance) {
    case BalanceMode::kNodes: return "nodes";
    case BalanceMode::kEdges: return "edges";
    case BalanceMode::kTrain: return "train";
  }
  return "?";
}

PartitionMethod parse_method(const std::string& text) {
  if (text == "metis") return PartitionMethod::kMetis;
  if (text == "random") return PartitionMethod::kRandom;
  TANGO_FAIL_INPUT("unknown partition method '{}': use metis or random", text);
}

BalanceMode parse_balance(const std::string& text) {
  if (text == "nodes") return BalanceMode::kNodes;
  if (text == "edges") return BalanceMode::kEdges;
  if (text == "train") return BalanceMode::kTrain;
  TANGO_FAIL_INPUT("unknown balance '{}': use nodes, edges or train", text);
}

std::vector<int32_t> assign_parts(const io::Dataset& dataset, const PartitionOptions& options) {
  const int64_t n = dataset.num_nodes();
  TANGO_CHECK_INPUT(options.num_parts >= 1, "--parts {} is invalid: give at least 1 part", options.num_parts);
  TANGO_CHECK_INPUT(options.num_parts <= n,
                    "--parts {} is more than the {} nodes of '{}': every part needs at least one node",
                    options.num_parts, n, dataset.name);
  TANGO_CHECK_INPUT(options.ufactor >= 1, "--ufactor {} is invalid: give a positive imbalance in 1/1000",
                    options.ufactor);
  if (options.num_parts == 1) return std::vector<int32_t>(n, 0);
  std::vector<int32_t> owner = options.method == PartitionMethod::kMetis
                                   ? metis_partition(dataset.graph, dataset.train_mask, options)
                                   : random_partition(n, options.num_parts, options.seed);
  fill_empty_parts(owner, options.num_parts);
  return owner;
}

int64_t fill_empty_parts(std::span<int32_t> owner, int32_t num_parts) {
  std::vector<int64_t> size(num_parts, 0);
  for (int32_t p : owner) {
    TANGO_CHECK(p >= 0 && p < num_parts, "partitioner returned part {} outside [0, {})", p, num_parts);
    ++size[p];
  }
  int64_t moved = 0;
  for (int32_t empty = 0; empty < num_parts; ++empty) {
    if (size[empty] > 0) continue;
    int32_t largest = static_cast<int32_t>(std::max_element(size.begin(), size.end()) - size.begin());
    TANGO_CHECK(size[largest] > 1, "cannot fill part {}: no part has a node to spare", empty);
    // The highest-numbered node of the largest part moves (deterministic).
    for (int64_t v = static_cast<int64_t>(owner.size()) - 1; v >= 0; --v) {
      if (owner[v] == largest) {
        owner[v] = empty;
        break;
      }
    }
    --size[largest];
    ++size[empty];
    ++moved;
  }
  return moved;
}

int64_t count_edge_cut(const io::Graph& graph, std::span<const int32_t> owner) {
  const int64_t* indptr = graph.indptr.data<int64_t>();
  int64_t cut_directed = 0;
  io::visit_indices(graph, [&](const auto* cols) {
#pragma omp parallel for reduction(+ : cut_directed) schedule(static)
    for (int64_t v = 0; v < graph.num_nodes; ++v)
      for (int64_t e = indptr[v]; e < indptr[v + 1]; ++e) cut_directed += owner[v] != owner[cols[e]];
  });
  return cut_directed / 2;
}

}  // namespace tango::partition
