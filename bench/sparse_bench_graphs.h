// Graphs for the sparse kernel benchmarks: Chung-Lu random graphs with power-law expected degrees
// (exponent ~2.1, like social and web graphs), node ids shuffled so hubs are spread over memory, built with
// io/csr_builder.h (symmetric, no self-loops, no duplicates). Built once per process and cached by size.
// Also the random dense inputs (node features, edge values) the sparse benchmarks feed them.
#pragma once

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <memory>
#include <numeric>
#include <random>
#include <utility>
#include <vector>

#include "core/tensor.h"
#include "io/csr_builder.h"
#include "kernels/sparse_graph.h"

namespace tango::bench {

struct BenchGraph {
  int64_t nodes = 0;
  int64_t undirected_edges = 0;  // after dropping duplicates and self-loops
  kernels::SparseGraph graph;
};

// Samples `pairs` endpoint pairs with probability proportional to the nodes' weights.
inline void sample_pairs(const std::vector<double>& cumulative, const std::vector<int64_t>& label,
                         int64_t pairs, uint64_t seed, std::vector<int64_t>& src, std::vector<int64_t>& dst) {
  const size_t base = src.size();
  src.resize(base + pairs);
  dst.resize(base + pairs);
  const double total = cumulative.back();
  // Fixed chunks with their own generator: the same graph whatever the thread count.
  constexpr int64_t kChunk = 1 << 16;
  const int64_t chunks = (pairs + kChunk - 1) / kChunk;
#pragma omp parallel for schedule(dynamic, 1)
  for (int64_t chunk = 0; chunk < chunks; ++chunk) {
    std::mt19937_64 rng(seed * 1000003 + static_cast<uint64_t>(chunk));
    std::uniform_real_distribution<double> dist(0.0, total);
    auto pick = [&] {
      const auto it = std::upper_bound(cumulative.begin(), cumulative.end(), dist(rng));
      return label[std::min<size_t>(it - cumulative.begin(), label.size() - 1)];
    };
    for (int64_t i = chunk * kChunk; i < std::min(pairs, (chunk + 1) * kChunk); ++i) {
      src[base + i] = pick();
      dst[base + i] = pick();
    }
  }
}

inline BenchGraph power_law_graph(int64_t nodes, int64_t undirected_edges, uint64_t seed = 1) {
  const double exponent = 2.1;
  std::vector<double> cumulative(nodes);
  double sum = 0.0;
  for (int64_t i = 0; i < nodes; ++i) {
    sum += std::pow(static_cast<double>(i + 1), -1.0 / (exponent - 1.0));
    cumulative[i] = sum;
  }
  std::vector<int64_t> label(nodes);
  std::iota(label.begin(), label.end(), 0);
  std::shuffle(label.begin(), label.end(), std::mt19937_64(seed));
  std::vector<int64_t> src, dst;
  sample_pairs(cumulative, label, undirected_edges, seed, src, dst);
  io::EdgeCleanup cleanup;
  io::Graph g = io::build_symmetric_csr(nodes, src, dst, &cleanup);
  // Duplicates among hub pairs fall out; top up once so the edge count lands near the target.
  const int64_t missing = undirected_edges - cleanup.directed_edges / 2;
  if (missing > 0) {
    sample_pairs(cumulative, label, missing + missing / 4, seed + 1, src, dst);
    g = io::build_symmetric_csr(nodes, src, dst, &cleanup);
  }
  BenchGraph out;
  out.nodes = nodes;
  out.undirected_edges = cleanup.directed_edges / 2;
  out.graph = kernels::SparseGraph::from_csr(nodes, nodes, g.indptr, g.indices);
  return out;
}

// The benchmark graphs by name: "facebook-like" (22,470 nodes, ~171k undirected edges, the size of
// shared/datasets/facebook) and "1M" (1,000,000 nodes, ~10M undirected = 20M directed edges).
inline const BenchGraph& bench_graph(int which) {
  static std::map<int, std::unique_ptr<BenchGraph>> cache;
  auto& slot = cache[which];
  if (!slot) {
    slot = std::make_unique<BenchGraph>(which == 0 ? power_law_graph(22470, 170823, 7)
                                                   : power_law_graph(1000000, 10000000, 11));
  }
  return *slot;
}

inline const char* bench_graph_name(int which) {
  return which == 0 ? "fb22k" : "pl1M";
}

// f32 [rows, cols] uniform in [-1, 1), fixed chunks with their own generator (the same values whatever the
// thread count).
inline Tensor random_features(int64_t rows, int64_t cols, uint64_t seed) {
  Tensor x = Tensor::empty(DType::kF32, Shape::mat(rows, cols));
  float* p = x.data<float>();
  const int64_t n = rows * cols;
  constexpr int64_t kChunk = 1 << 16;
#pragma omp parallel for schedule(static)
  for (int64_t chunk = 0; chunk < (n + kChunk - 1) / kChunk; ++chunk) {
    std::mt19937_64 rng(seed * 0x9e3779b97f4a7c15ULL + static_cast<uint64_t>(chunk));
    std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
    for (int64_t i = chunk * kChunk; i < std::min(n, (chunk + 1) * kChunk); ++i) p[i] = dist(rng);
  }
  return x;
}

}  // namespace tango::bench
