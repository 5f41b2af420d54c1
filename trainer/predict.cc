#include "trainer/predict.h"

#include <map>
#include <memory>

#include "core/error.h"
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
  auto* input = app.add_option_group("input");
  input->add_option("--parts", c.parts_dir, "Partition directory from tango-partition (one rank per part)");
  input->add_option("--dataset", c.dataset, "Dataset spec: OGB directory, .h5 file or synthetic:...");
  input->require_option(1);
  app.add_option("--split", c.split, "Split folder of an OGB directory (default: the only one)");
  app.add_option("--partition", c.partition, "With --dataset: partition into K parts in memory first")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--out", options.out_path, "Predictions file (HDF5): logits, predicted class, label, split")
      ->required();
  app.add_option("--embeddings", options.embeddings_path, "Also write the last hidden layer per node (HDF5)");
  app.add_option("--summary", options.summary_path, "Accuracies and counts as JSON");

  std::map<std::string, Precision> precisions{{"fp32", Precision::kFP32}, {"int8", Precision::kINT8}};
  app.add_option("--precision", c.precision, "Local primitives: fp32 | int8")
      ->transform(CLI::CheckedTransformer(precisions, CLI::ignore_case));
  app.add_option("--halo-bits", c.halo_bits_spec,
                 "Halo message bits: fwd=4 | 8 | per layer L1.fwd=2 (32 = fp32, 16 = bf16)");
  std::map<std::string, GatAttention> attention{{"fp32", GatAttention::kFP32},
                                                {"per-row", GatAttention::kPerRow},
                                                {"per-tensor", GatAttention::kPerTensor}};
  app.add_option("--gat-attention", c.gat_attention, "INT8 GAT attention scale: fp32 | per-row | per-tensor")
      ->transform(CLI::CheckedTransformer(attention, CLI::ignore_case));
  app.add_flag("--overlap,!--no-overlap", c.overlap, "Overlap halo exchanges with compute (same bits)");
  c.device = "auto";
  app.add_option("--device", c.device, "auto | cpu | cuda (as tango-train)")
      ->check(CLI::IsMember({"auto", "cpu", "cuda"}));
  app.add_flag("--quiet", c.quiet, "No result line");
}

void apply_model_spec(const ModelSpec& spec, TrainConfig& config) {
  spec.apply_to(config);
  config.dropout = 0;  // forward only: nothing is dropped
  config.attn_dropout = 0;
  finalize_config(config);
}

void check_model_fits(const LoadedModel& model, const std::string& model_path, const DistGraph& graph,
                      const TrainConfig& config) {
  const std::string data = !config.parts_dir.empty() ? fmt::format("partition '{}'", config.parts_dir)
                                                     : fmt::format("dataset '{}'", config.dataset);
  TANGO_CHECK_INPUT(graph.num_features() == model.spec.in_features,
                    "model file '{}' takes {} input features but {} has {} (a model of another dataset?)",
                    model_path, model.spec.in_features, data, graph.num_features());
  TANGO_CHECK_INPUT(graph.num_classes <= model.spec.num_classes,
                    "model file '{}' predicts {} classes but {} has labels of {} classes (a model of another "
                    "dataset?)",
                    model_path, model.spec.num_classes, data, graph.num_classes);
}

nlohmann::json predict(const TrainConfig& config, const LoadedModel& loaded, const PredictOptions& options,
                       const DistGraph& host_graph, comm::Communicator& comm) {
  const Device device = choose_train_device(config.device, comm);
  const DistGraph device_graph = device.is_cuda() ? graph_on_device(host_graph, device) : DistGraph();
  const DistGraph& graph = device.is_cuda() ? device_graph : host_graph;

  Model model(config, loaded.spec.in_features, loaded.spec.num_classes);
  set_weights(model, loaded.weights, fmt::format("model file '{}'", options.model_path));
  model.to(device);
  comm::BitPolicy bit_policy = make_bit_policy(config);
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
