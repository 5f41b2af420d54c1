// METIS k-way partitioning (METIS_PartGraphKway, edge-cut objective) of a symmetric CSR graph.
// Balances node counts, degrees or (nodes, training nodes) with ncon = 2; seeded and deterministic.
#pragma once

#include <cstdint>
#include <vector>

#include "core/tensor.h"
#include "io/graph.h"
#include "partition/assignment.h"

namespace tango::partition {

// `train_mask` (u8 [num_nodes]) is read only for BalanceMode::kTrain. num_parts must be >= 2.
std::vector<int32_t> metis_partition(const io::Graph& graph, const Tensor& train_mask,
                                     const PartitionOptions& options);

}  // namespace tango::partition
