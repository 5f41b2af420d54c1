#include "trainer/predict.h"

#include <map>
#include <memory>

#include "core/error.h"
#include "io/content_hash.h"
#include "io/metrics_writer.h"
#include "trainer/device_choice.h"
#include "trainer/halo_link.h"
#include "trainer/model.h"
#include "trainer/predictions.h"

namespace tango::trainer {

void add_predict_flags(CLI::App& app, TrainConfig& c, PredictOptions& options) {
  app.add_option("--model", options.model_path,
                 "Model file (safetensors) from tango-train --save-model, or PyG weights in that layout")
      ->required();
  add_input_flags(app, c);
  app.add_option("--out", options.out_path, "Predictions file (HDF5): logits, predicted class, label, split")
      ->required();
  app.add_option("--embeddings", options.embeddings_path, "Also write the last hidden layer per node (HDF5)");
  app.add_option("--summary", options.summary_path, "Accuracies and counts as JSON");
  app.add_flag("--allow-other-dataset", options.allow_other_dataset,
               "Accept data other than the model's training dataset (e.g. a newer snapshot of the graph); "
               "its input width and classes are still checked");

  add_precision_flags(app, c, FlagsFor::kPrediction);
  app.add_flag("--quiet", c.quiet, "No result line");
}

void apply_model_spec(const ModelSpec& spec, TrainConfig& config) {
  spec.apply_to(config);
  config.dropout = 0;  // forward only: nothing is dropped
  config.attn_dropout = 0;
  finalize_config(config);
}

std::string data_description(const TrainConfig& config) {
  return !config.parts_dir.empty() ? fmt::format("partition '{}'", config.parts_dir)
                                   : fmt::format("dataset '{}'", config.dataset);
}

void check_model_fits(const LoadedModel& model, const std::string& model_path, const DistGraph& graph,
                      const TrainConfig& config) {
  const std::string data = data_description(config);
  TANGO_CHECK_INPUT(graph.num_features() == model.spec.in_features,
                    "model file '{}' takes {} input features but {} has {} (a model of another dataset?)",
                    model_path, model.spec.in_features, data, graph.num_features());
  TANGO_CHECK_INPUT(graph.num_classes <= model.spec.num_classes,
                    "model file '{}' predicts {} classes but {} has labels of {} classes (a model of another "
                    "dataset?)",
                    model_path, model.spec.num_classes, data, graph.num_classes);
}

namespace {

// What tells two dataset identities apart, in words.
std::string identity_differences(const io::DatasetIdentity& trained, const io::DatasetIdentity& given) {
  std::string text;
  if (trained.nodes != given.nodes) text = fmt::format("{} nodes, not {}", given.nodes, trained.nodes);
  if (trained.edges != given.edges)
    text += fmt::format("{}{} edges, not {}", text.empty() ? "" : "; ", given.edges, trained.edges);
  if (!text.empty()) return text;
  return fmt::format(
      "the same node and edge counts, other features, labels, splits or edges: checksum {}, "
      "not {}",
      io::hex64(given.checksum), io::hex64(trained.checksum));
}

}  // namespace

std::string check_model_dataset(const LoadedModel& model, const std::string& model_path,
                                const io::DatasetIdentity& data, const TrainConfig& config,
                                bool allow_other_dataset) {
  if (!model.dataset) {
    if (allow_other_dataset) return "";
    return fmt::format(
        "model file '{}' records no training dataset (PyG weights?), so whether {} is the data "
        "it was trained on cannot be checked",
        model_path, data_description(config));
  }
  TANGO_CHECK_INPUT(allow_other_dataset || model.dataset->same_data(data),
                    "model file '{}' was trained on dataset {}, but {} is another dataset ({}): apply the "
                    "model to its training dataset (any partition of it), or pass --allow-other-dataset for "
                    "other data of the same shapes (a newer snapshot of the graph, say)",
                    model_path, model.dataset->str(), data_description(config),
                    identity_differences(*model.dataset, data));
  return "";
}

nlohmann::json predict(const TrainConfig& config, const LoadedModel& loaded, const PredictOptions& options,
                       const DistGraph& host_graph, comm::Communicator& comm) {
  const Device device = choose_train_device(config.device, comm);
  const DistGraph device_graph = device.is_cuda() ? graph_on_device(host_graph, device) : DistGraph();
  const DistGraph& graph = device.is_cuda() ? device_graph : host_graph;

  Model model(config, loaded.spec.in_features, loaded.spec.num_classes);
  set_weights(model, loaded.weights, fmt::format("model file '{}'", options.model_path));
  model.to(device);
  // Inference has no gradient to keep unbiased: halo messages round to nearest (half stochastic
  // rounding's error variance at the same bits).
  TrainConfig halo_config = config;
  halo_config.stochastic_rounding = false;
  comm::BitPolicy bit_policy = make_bit_policy(halo_config);
  std::vector<std::unique_ptr<CommHaloLink>> links =
      make_halo_links(config, graph, comm, model.num_layers(), bit_policy);
  std::vector<HaloLink*> halos;
  for (auto& link : links) halos.push_back(link.get());

  PredictionFiles files{
      options.out_path, options.embeddings_path, {{"source", options.model_path}}, options.chunk_rows};
  const SplitCounts counts =
      predict_nodes(model, graph, host_graph, halos, comm, files, model_name(config.model));

  nlohmann::json summary = {{"model_file", options.model_path},
                            {"model", model_name(config.model)},
                            {"predictions", options.out_path},
                            {"nodes", host_graph.num_global_nodes},
                            {"ranks", comm.size()},
                            {"device", device.str()},
                            {"precision", config.precision == Precision::kINT8 ? "int8" : "fp32"}};
  if (!options.embeddings_path.empty()) summary["embeddings"] = options.embeddings_path;
  const char* names[3] = {"train", "valid", "test"};
  for (int s = 0; s < 3; ++s) {
    summary[fmt::format("{}_acc", names[s])] =
        counts.total[s] > 0 ? nlohmann::json(counts.accuracy(s)) : nlohmann::json(nullptr);
    summary["correct"][names[s]] = counts.correct[s];
    summary["total"][names[s]] = counts.total[s];
  }
  if (comm.rank() == 0 && !options.summary_path.empty()) io::write_json_atomic(options.summary_path, summary);
  return summary;
}

}  // namespace tango::trainer
