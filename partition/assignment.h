// Which part owns each node: the options that choose a partitioner (METIS k-way or a random
// baseline) and the one entry point that runs it. The result is a vector `owner` with
// owner[v] in [0, num_parts) and no part left empty, plus the quality measures the manifest reports.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "io/dataset.h"

namespace tango::partition {

enum class PartitionMethod { kMetis, kRandom };
// What METIS keeps equal across parts: node counts, edge counts (nodes weighted by degree), or
// node counts and training-node counts together (multi-constraint, as DistDGL does).
enum class BalanceMode { kNodes, kEdges, kTrain };

struct PartitionOptions {
  int32_t num_parts = 1;
  PartitionMethod method = PartitionMethod::kMetis;
  BalanceMode balance = BalanceMode::kNodes;
  uint64_t seed = 0;
  int32_t ufactor = 30;  // METIS load imbalance allowed, in 1/1000 (30 = 3%)
};

std::string method_name(PartitionMethod method);
std::string balance_name(BalanceMode balance);
// Parse "metis"/"random" and "nodes"/"edges"/"train"; anything else is an input error.
PartitionMethod parse_method(const std::string& text);
BalanceMode parse_balance(const std::string& text);

// Checks the options against the dataset (K >= 1, K <= nodes, ...) and runs the partitioner.
std::vector<int32_t> assign_parts(const io::Dataset& dataset, const PartitionOptions& options);

// Moves one node into each empty part (from the largest part), so that every rank has work.
// Returns how many nodes moved. METIS may leave parts empty on tiny or disconnected graphs.
int64_t fill_empty_parts(std::span<int32_t> owner, int32_t num_parts);

// Undirected edges whose endpoints lie in different parts.
int64_t count_edge_cut(const io::Graph& graph, std::span<const int32_t> owner);

}  // namespace tango::partition
