// Hand-made graphs and partitions for the comm tests and the halo-exchange benchmark: every rank
// builds the same global graph and derives its own HaloPlan from an owner-per-node assignment, the
// way a partition's part files would describe it (owned rows inner-first, halo rows grouped by owner
// and sorted by global id, send lists in the receiver's halo order).
#pragma once

#include <algorithm>
#include <cstdint>
#include <random>
#include <set>
#include <vector>

#include "comm/halo_plan.h"

namespace tango::testing {

struct GlobalGraph {
  int64_t num_nodes = 0;
  std::vector<std::vector<int64_t>> neighbours;  // symmetric, no self loops
  void add_edge(int64_t u, int64_t v) {
    if (u == v) return;
    neighbours[u].push_back(v);
    neighbours[v].push_back(u);
  }
  void finish() {
    for (auto& list : neighbours) {
      std::sort(list.begin(), list.end());
      list.erase(std::unique(list.begin(), list.end()), list.end());
    }
  }
};

inline GlobalGraph path_graph(int64_t n) {
  GlobalGraph g{n, std::vector<std::vector<int64_t>>(static_cast<size_t>(n))};
  for (int64_t v = 0; v + 1 < n; ++v) g.add_edge(v, v + 1);
  g.finish();
  return g;
}

// Each node links to `local_degree` nodes within a window of `window` ids after it, plus
// `long_edges` uniformly random edges in total: with contiguous blocks as parts, the cut is about
// (window * parts + long_edges) rows, so the boundary fraction can be set to a realistic few percent.
inline GlobalGraph local_random_graph(int64_t n, int local_degree, int64_t window, int64_t long_edges,
                                      uint64_t seed) {
  GlobalGraph g{n, std::vector<std::vector<int64_t>>(static_cast<size_t>(n))};
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int64_t> offset(1, window), any(0, n - 1);
  for (int64_t v = 0; v < n; ++v)
    for (int k = 0; k < local_degree; ++k) g.add_edge(v, (v + offset(rng)) % n);
  for (int64_t e = 0; e < long_edges; ++e) g.add_edge(any(rng), any(rng));
  g.finish();
  return g;
}

inline std::vector<int> block_owners(int64_t n, int parts) {
  std::vector<int> owner(static_cast<size_t>(n));
  for (int64_t v = 0; v < n; ++v) owner[v] = static_cast<int>(v * parts / n);
  return owner;
}

inline std::vector<int> modulo_owners(int64_t n, int parts) {
  std::vector<int> owner(static_cast<size_t>(n));
  for (int64_t v = 0; v < n; ++v) owner[v] = static_cast<int>(v % parts);
  return owner;
}

// One rank's view: its plan plus the global id of every local row ([owned | halo]).
struct RankView {
  comm::HaloPlan plan;
  std::vector<int64_t> global_ids;
};

inline RankView build_rank_view(const GlobalGraph& g, const std::vector<int>& owner, int rank, int parts) {
  std::vector<int64_t> inner, boundary;
  for (int64_t v = 0; v < g.num_nodes; ++v) {
    if (owner[v] != rank) continue;
    bool is_boundary = false;
    for (int64_t u : g.neighbours[v]) is_boundary |= owner[u] != rank;
    (is_boundary ? boundary : inner).push_back(v);
  }
  RankView view;
  view.global_ids = inner;
  view.global_ids.insert(view.global_ids.end(), boundary.begin(), boundary.end());
  std::vector<int64_t> local_of(static_cast<size_t>(g.num_nodes), -1);
  for (size_t i = 0; i < view.global_ids.size(); ++i) local_of[view.global_ids[i]] = static_cast<int64_t>(i);
  std::vector<int64_t> send_offsets{0}, send_rows, halo_offsets{0};
  std::vector<int64_t> halo_ids;
  for (int p = 0; p < parts; ++p) {
    std::set<int64_t> halo_from_p, send_to_p;
    if (p != rank) {
      for (int64_t v : boundary)
        for (int64_t u : g.neighbours[v])
          if (owner[u] == p) {
            halo_from_p.insert(u);
            send_to_p.insert(v);
          }
    }
    halo_ids.insert(halo_ids.end(), halo_from_p.begin(), halo_from_p.end());
    halo_offsets.push_back(static_cast<int64_t>(halo_ids.size()));
    for (int64_t v : send_to_p) send_rows.push_back(local_of[v]);  // sorted by global id: p's halo order
    send_offsets.push_back(static_cast<int64_t>(send_rows.size()));
  }
  int64_t num_owned = static_cast<int64_t>(view.global_ids.size());
  view.global_ids.insert(view.global_ids.end(), halo_ids.begin(), halo_ids.end());
  view.plan =
      comm::HaloPlan::from_arrays(rank, parts, num_owned, static_cast<int64_t>(inner.size()),
                                  std::move(send_offsets), std::move(send_rows), std::move(halo_offsets));
  return view;
}

}  // namespace tango::testing
