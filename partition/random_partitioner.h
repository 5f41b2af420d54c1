// The baseline partitioner: a seeded random permutation of the nodes dealt round-robin to the parts,
// so part sizes differ by at most one and the edge cut is what no locality at all gives
// ((K-1)/K of the edges in expectation). Deterministic on every platform (own shuffle, no std::shuffle).
#pragma once

#include <cstdint>
#include <vector>

namespace tango::partition {

std::vector<int32_t> random_partition(int64_t num_nodes, int32_t num_parts, uint64_t seed);

}  // namespace tango::partition
