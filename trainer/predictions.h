// What a model says about every node, the same for tango-train (its best-validation weights, after the
// last epoch) and tango-predict: one forward pass without dropout, the correct counts per split (the
// trainer's rule: a row is right when its first arg-max logit is its label), and the files:
//   predictions (--predictions / --out), rows in global id order:
//     /logits      f32 [n, classes]
//     /prediction  i32 [n]   first arg-max of the row's logits
//     /label       i32 [n]   the dataset's label
//     /split       u8  [n]   0 none, 1 train, 2 valid, 3 test
//     root attributes: format "tango-predictions", format_version 1, num_nodes, num_classes, model, plus
//     the caller's (source: the model file or "tango-train")
//   embeddings (--embeddings): /embeddings f32 [n, width], the last hidden layer's output after its
//     activation (what the output layer reads); root attributes format "tango-embeddings", layer, model.
// Both are written by rank 0, chunk by chunk (trainer/node_table_writer.h), atomically.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "comm/communicator.h"
#include "trainer/dist_graph.h"
#include "trainer/epoch_report.h"
#include "trainer/layers/layer.h"
#include "trainer/model.h"

namespace tango::trainer {

struct PredictionFiles {
  std::string predictions;                        // empty: not written
  std::string embeddings;                         // empty: not written
  std::map<std::string, std::string> attributes;  // extra root attributes of both files
  int64_t chunk_rows = 0;                         // rows per gathered chunk (0: node_table_writer's default)
};

// Runs `model` forward without dropout on `graph` (on its device; `host_graph` is the same part on the host),
// writes `files` and returns the correct counts over all ranks. Collective.
SplitCounts predict_nodes(Model& model, const DistGraph& graph, const DistGraph& host_graph,
                          const std::vector<HaloLink*>& halos, comm::Communicator& comm,
                          const PredictionFiles& files, const std::string& model_kind);

}  // namespace tango::trainer
