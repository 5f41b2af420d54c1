// A node-classification dataset: a symmetric graph, node features, labels and a train/valid/test
// split, as every reader and the synthetic generator produce it.
#pragma once

#include <cstdint>
#include <string>

#include "core/tensor.h"
#include "io/csr_builder.h"
#include "io/graph.h"

namespace tango::io {

struct Dataset {
  std::string name;        // "cora", "synthetic:nodes=...", a file stem
  std::string split_name;  // which split the masks came from ("public", "random-60-20-20", ...)
  Graph graph;             // symmetric, no self-loops, no duplicates
  Tensor features;         // f32 [num_nodes, num_features]
  Tensor labels;           // i32 [num_nodes], in [0, num_classes)
  int32_t num_classes = 0;
  Tensor train_mask;  // u8 [num_nodes], 1 = in the split
  Tensor valid_mask;
  Tensor test_mask;
  EdgeCleanup cleanup;  // what reading did to the edge list

  int64_t num_nodes() const { return graph.num_nodes; }
  int64_t num_features() const { return features.defined() ? features.cols() : 0; }
};

// Checks the invariants every consumer relies on (shapes agree with the node count, labels in range,
// each split non-empty); throws an input error naming `origin` and the first problem found.
void validate_dataset(const Dataset& dataset, const std::string& origin);

// Counts the 1s of a u8 mask.
int64_t count_mask(const Tensor& mask);

}  // namespace tango::io
