// The built-in synthetic graph: a degree-corrected stochastic block model with power-law degrees and
// class-correlated features, so that a GNN can learn it (neighbour aggregation beats features alone).
// Deterministic per seed, whatever the thread count. Spec string:
//   synthetic:nodes=100000,avg_degree=20,classes=8,features=128,homophily=0.8,seed=1
// (every key optional; unknown keys or bad values are input errors).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "io/dataset.h"

namespace tango {

struct SyntheticSpec {
  int64_t nodes = 10000;
  double avg_degree = 20;  // directed edges per node after symmetrizing (undirected edges = n*d/2)
  int32_t classes = 8;
  int64_t features = 64;
  double homophily = 0.8;  // probability that an edge's endpoints share a class
  uint64_t seed = 1;

  std::string str() const;  // the canonical spec string, "synthetic:nodes=...,..."
};

// Parses "synthetic:k=v,..." (the "synthetic:" prefix is required).
SyntheticSpec parse_synthetic_spec(std::string_view spec);
Dataset generate_synthetic(const SyntheticSpec& spec);

}  // namespace tango
