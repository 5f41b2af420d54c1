#include "partition/random_partitioner.h"

#include <numeric>

namespace tango::partition {

namespace {
// SplitMix64: a tiny, well-mixed generator whose output is the same everywhere.
struct SplitMix64 {
  uint64_t state;
  uint64_t next() {
    uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // A value in [0, bound) by multiply-shift (bias below 2^-32 for bounds under 2^32).
  uint64_t below(uint64_t bound) {
    return static_cast<uint64_t>((static_cast<unsigned __int128>(next()) * bound) >> 64);
  }
};
}  // namespace

std::vector<int32_t> random_partition(int64_t num_nodes, int32_t num_parts, uint64_t seed) {
  std::vector<int64_t> order(num_nodes);
  std::iota(order.begin(), order.end(), int64_t{0});
  SplitMix64 rng{seed};
  for (int64_t i = num_nodes - 1; i > 0; --i) std::swap(order[i], order[rng.below(i + 1)]);
  std::vector<int32_t> owner(num_nodes);
  for (int64_t i = 0; i < num_nodes; ++i) owner[order[i]] = static_cast<int32_t>(i % num_parts);
  return owner;
}

}  // namespace tango::partition
