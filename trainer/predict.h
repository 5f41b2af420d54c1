// tango-predict's run: a saved model (trainer/model_file.h: tango-train --save-model, or PyG weights
// exported in the same layout) applied to a dataset or a partition, forward only, on one or many ranks
// (the launch and loading of tango-train: trainer/part_loader.h), in any --precision and --halo-bits.
// Writes the predictions file (and embeddings) of trainer/predictions.h and reports the accuracy on
// whatever splits the data labels. The architecture comes from the model file (model, layers, widths,
// heads, activation, feature normalisation); the data must have its input width and no more classes, and
// be the dataset the model was trained on (any partition of it) unless --allow-other-dataset.
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "comm/communicator.h"
#include "trainer/config.h"
#include "trainer/dist_graph.h"
#include "trainer/epoch_report.h"
#include "trainer/model_file.h"

namespace tango::trainer {

struct PredictOptions {
  std::string model_path;            // --model FILE.safetensors
  std::string out_path;              // --out FILE.h5: the predictions
  std::string embeddings_path;       // --embeddings FILE.h5 (optional)
  std::string summary_path;          // --summary FILE.json (optional)
  int64_t chunk_rows = 0;            // rows per gathered chunk (0: trainer/node_table_writer.h's default)
  bool allow_other_dataset = false;  // --allow-other-dataset: data other than the training dataset is fine
};

// tango-predict's flags: the input (--parts / --dataset, --split, --partition) and the forward's precision
// and device (--precision, --halo-bits, --gat-attention, --device, --overlap) go to `config`.
void add_predict_flags(CLI::App& app, TrainConfig& config, PredictOptions& options);

// `config` with the architecture of `spec` and its derived fields resolved (halo bits per layer).
void apply_model_spec(const ModelSpec& spec, TrainConfig& config);

// An input error (naming the model file, the data and the mismatch) unless `graph` fits the model: the
// same input width, labels within its classes.
void check_model_fits(const LoadedModel& model, const std::string& model_path, const DistGraph& graph,
                      const TrainConfig& config);

// "dataset 'SPEC'" or "partition 'DIR'": the data `config` reads, for messages.
std::string data_description(const TrainConfig& config);

// The data against the dataset the model was trained on (`data`: its identity, dataset_identity_of in
// trainer/run_checkpoints.h, the same on every rank). Another dataset is an input error naming the model
// file, the data and what differs, unless `allow_other_dataset` (a newer snapshot of the graph, say: the
// shapes are checked by check_model_fits either way). Returns a warning (empty when there is none) for a
// model file that records no training dataset (PyG weights): the data cannot be checked then.
std::string check_model_dataset(const LoadedModel& model, const std::string& model_path,
                                const io::DatasetIdentity& data, const TrainConfig& config,
                                bool allow_other_dataset);

// Forward on every rank, the files, and the accuracies. Returns the summary JSON (what --summary gets).
nlohmann::json predict(const TrainConfig& config, const LoadedModel& model, const PredictOptions& options,
                       const DistGraph& host_graph, comm::Communicator& comm);

}  // namespace tango::trainer
