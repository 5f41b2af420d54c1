// Small graphs for the trainer's tests: a random symmetric graph as a one-part DistGraph, with
// features, labels and masks drawn from a seeded RNG.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include "io/csr_builder.h"
#include "io/dataset.h"
#include "trainer/dist_graph.h"

namespace tango::trainer::testing {

// n nodes, about n * avg_degree / 2 undirected edges, `features` normal features, labels in
// [0, classes), every node in the training mask, every other node also valid / test.
inline io::Dataset random_dataset(int64_t n, int avg_degree, int64_t features, int32_t classes,
                                  uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<int64_t> src, dst;
  std::uniform_int_distribution<int64_t> node(0, n - 1);
  for (int64_t e = 0; e < n * avg_degree / 2; ++e) {
    const int64_t u = node(rng), v = node(rng);
    if (u == v) continue;
    src.push_back(u);
    dst.push_back(v);
  }
  io::Dataset d;
  d.name = "random";
  d.graph = io::build_symmetric_csr(n, src, dst, &d.cleanup);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> x(static_cast<size_t>(n * features));
  for (float& v : x) v = normal(rng);
  d.features = Tensor::from(x, n, features);
  std::vector<int32_t> labels(static_cast<size_t>(n));
  for (auto& y : labels) y = static_cast<int32_t>(rng() % static_cast<uint32_t>(classes));
  d.labels = Tensor::from(labels);
  d.num_classes = classes;
  std::vector<uint8_t> all(static_cast<size_t>(n), 1), even(static_cast<size_t>(n), 0);
  for (int64_t v = 0; v < n; v += 2) even[v] = 1;
  d.train_mask = Tensor::from(all);
  d.valid_mask = Tensor::from(even);
  d.test_mask = Tensor::from(even);
  return d;
}

}  // namespace tango::trainer::testing
