// Small hand-made datasets for the partition tests, built through build_symmetric_csr like every
// reader: node v has features (v, v * 0.5 + f, ...), label v % classes, and a train/valid/test
// split by v % 3, so any row that lands in the wrong place is visible.
#pragma once

#include <cstdint>
#include <random>
#include <utility>
#include <vector>

#include "io/csr_builder.h"
#include "io/dataset.h"

namespace tango::testing {

inline io::Dataset make_dataset(int64_t num_nodes, const std::vector<std::pair<int64_t, int64_t>>& edges,
                                int64_t num_features = 3, int32_t num_classes = 3) {
  std::vector<int64_t> src, dst;
  for (auto [u, v] : edges) {
    src.push_back(u);
    dst.push_back(v);
  }
  io::Dataset d;
  d.name = "tiny";
  d.split_name = "mod3";
  d.graph = io::build_symmetric_csr(num_nodes, src, dst, &d.cleanup);
  std::vector<float> features(num_nodes * num_features);
  for (int64_t v = 0; v < num_nodes; ++v)
    for (int64_t f = 0; f < num_features; ++f)
      features[v * num_features + f] = f == 0 ? float(v) : v * 0.5f + f;
  d.features = Tensor::from(features, num_nodes, num_features);
  std::vector<int32_t> labels(num_nodes);
  std::vector<uint8_t> train(num_nodes), valid(num_nodes), test(num_nodes);
  for (int64_t v = 0; v < num_nodes; ++v) {
    labels[v] = static_cast<int32_t>(v % num_classes);
    train[v] = v % 3 == 0;
    valid[v] = v % 3 == 1;
    test[v] = v % 3 == 2;
  }
  d.labels = Tensor::from(labels);
  d.num_classes = num_classes;
  d.train_mask = Tensor::from(train);
  d.valid_mask = Tensor::from(valid);
  d.test_mask = Tensor::from(test);
  return d;
}

// A rows x cols grid: every node linked to its right and lower neighbour.
inline io::Dataset grid_dataset(int64_t rows, int64_t cols) {
  std::vector<std::pair<int64_t, int64_t>> edges;
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) {
      if (c + 1 < cols) edges.emplace_back(r * cols + c, r * cols + c + 1);
      if (r + 1 < rows) edges.emplace_back(r * cols + c, (r + 1) * cols + c);
    }
  return make_dataset(rows * cols, edges);
}

// Two cliques of `size` nodes joined by the single edge (size - 1, size).
inline io::Dataset two_cliques(int64_t size) {
  std::vector<std::pair<int64_t, int64_t>> edges;
  for (int64_t base : {int64_t{0}, size})
    for (int64_t i = 0; i < size; ++i)
      for (int64_t j = i + 1; j < size; ++j) edges.emplace_back(base + i, base + j);
  edges.emplace_back(size - 1, size);
  return make_dataset(2 * size, edges);
}

// A seeded random graph on `num_nodes` nodes whose last `isolated` nodes have no edges.
inline io::Dataset random_dataset(int64_t num_nodes, int64_t num_edges, int64_t isolated, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::pair<int64_t, int64_t>> edges;
  const uint64_t connected = static_cast<uint64_t>(num_nodes - isolated);
  for (int64_t e = 0; e < num_edges; ++e) edges.emplace_back(rng() % connected, rng() % connected);
  return make_dataset(num_nodes, edges);
}

}  // namespace tango::testing
