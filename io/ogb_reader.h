// Reads a node-classification dataset in the OGB node-property raw layout (what `ogbn-*` archives
// unpack to; ../shared/datasets holds two examples):
//   raw/edge.csv.gz           "u,v" per line          raw/num-node-list.csv.gz  the node count
//   raw/node-feat.csv.gz      F floats per node line  raw/num-edge-list.csv.gz  the edge-line count
//   raw/node-label.csv.gz     one integer per line    split/<name>/{train,valid,test}.csv.gz  node ids
// Edges are symmetrized with self-loops and duplicates dropped (counts in Dataset::cleanup);
// num_classes = max label + 1. Any bad input is a one-line input error naming the file and line.
#pragma once

#include <string>
#include <vector>

#include "io/dataset.h"

namespace tango::io {

// `split` picks split/<split>/; empty means the only split folder (an error if there are several).
Dataset read_ogb_dir(const std::string& dir, const std::string& split = "");

// The names of the split/<name>/ folders of an OGB directory, sorted.
std::vector<std::string> ogb_split_names(const std::string& dir);

}  // namespace tango::io
