// The built-in synthetic graph: a degree-corrected stochastic block model with power-law degrees and
// class-correlated features, so that a GNN can learn it (neighbour aggregation beats features alone).
// Deterministic per seed, whatever the thread count. Spec string:
//   synthetic:nodes=100000,avg_degree=20,classes=8,features=128,homophily=0.8,seed=1
// (every key optional; unknown keys or bad values are input errors).
//
// The model (synthetic.cc):
//  - classes: a seeded random permutation of the nodes dealt round-robin, so class sizes differ by <= 1;
//  - degree propensity theta_v: Pareto with density exponent 2.3 (P(theta > x) = x^-1.3, x >= 1), capped
//    at nodes^hub_exponent (default 0.5: sqrt(nodes)), so degrees are heavy-tailed (max degree >> mean) as
//    in real graphs; a larger hub_exponent gives a small graph the hubs of a large one;
//  - undirected edges: source ~ theta over all nodes; with probability `homophily` the target is drawn
//    ~ theta within the source's class, otherwise ~ theta within one of the other classes, so the
//    fraction of edges joining equal labels is `homophily` (before self-loops and duplicates drop);
//  - edges are drawn in rounds until build_symmetric_csr keeps about nodes * avg_degree directed edges
//    (within 0.5% unless the graph is too dense to get there);
//  - features: x_v = centroid[class(v)] + N(0, I), with random centroids of norm kSyntheticSignal: alone
//    they classify about half the nodes (8 classes), averaged over a 2-hop neighbourhood far more;
//  - split: a seeded random 60/20/20 train/valid/test permutation ("random-60-20-20").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "io/dataset.h"

namespace tango::io {

// Distance of each class centroid from the origin, in units of the per-feature noise deviation.
inline constexpr double kSyntheticSignal = 1.25;

// Accepted ranges (checked by parse_synthetic_spec and generate_synthetic):
//   nodes >= 3 (three non-empty splits), 0 < avg_degree <= nodes - 1 (a simple graph's maximum),
//   2 <= classes <= nodes, features >= 1, 0 <= homophily <= 1, 0.5 <= hub_exponent <= 1, seed any
//   unsigned 64-bit integer.
struct SyntheticSpec {
  int64_t nodes = 10000;
  double avg_degree = 20;  // directed edges per node after symmetrizing (undirected edges = n*d/2)
  int32_t classes = 8;
  int64_t features = 64;
  double homophily = 0.8;     // probability that an edge's endpoints share a class
  double hub_exponent = 0.5;  // degree propensities are capped at nodes^hub_exponent
  uint64_t seed = 1;

  std::string str() const;  // the canonical spec string, "synthetic:nodes=...,..."; parses back equal
  bool operator==(const SyntheticSpec&) const = default;
};

// Parses "synthetic:k=v,..." (the "synthetic" prefix is required; "synthetic" alone means all defaults).
// Integers may be written as exact decimals ("nodes=1e6"). Throws an input error naming the bad key or
// value and the accepted keys and ranges.
SyntheticSpec parse_synthetic_spec(std::string_view spec);

// Checks the ranges above; throws an input error naming the first bad key.
void validate_synthetic_spec(const SyntheticSpec& spec);

// Generates the dataset (name = spec.str(), split_name = "random-60-20-20"). Uses OpenMP threads; the
// result is identical for every thread count.
Dataset generate_synthetic(const SyntheticSpec& spec);

}  // namespace tango::io
