#include "trainer/config.h"

#include <fmt/format.h>
#include <zlib.h>

#include <CLI/CLI.hpp>
#include <charconv>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/error.h"
#include "trainer/config_file.h"

namespace tango::trainer {

namespace {

int parse_bits(std::string_view text, const std::string& spec) {
  int bits = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), bits);
  TANGO_CHECK_INPUT(ec == std::errc() && end == text.data() + text.size() &&
                        (bits == 32 || bits == 16 || bits == 8 || bits == 4 || bits == 2),
                    "--halo-bits '{}': '{}' is not a bit width; use 32, 16, 8, 4 or 2", spec, text);
  return bits;
}

std::vector<std::string_view> split(std::string_view text, char sep) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(sep, start);
    if (end == std::string_view::npos) end = text.size();
    parts.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

}  // namespace

const char* model_name(ModelKind kind) {
  switch (kind) {
    case ModelKind::kGCN: return "gcn";
    case ModelKind::kSAGE: return "sage";
    case ModelKind::kGAT: return "gat";
    case ModelKind::kMLP: return "mlp";
  }
  return "?";
}

std::vector<HaloBits> parse_halo_bits(const std::string& spec, int layers, bool* adaptive) {
  *adaptive = false;
  std::vector<HaloBits> bits(static_cast<size_t>(layers));
  if (spec == "adaptive") {
    *adaptive = true;
    for (auto& b : bits) b = {8, 8};  // starting point; the adaptive rule moves each layer from here
    return bits;
  }
  for (std::string_view item : split(spec, ',')) {
    TANGO_CHECK_INPUT(!item.empty(), "--halo-bits '{}': empty item (use e.g. fwd=4,bwd=8)", spec);
    size_t eq = item.find('=');
    if (eq == std::string_view::npos) {  // a bare width applies to both directions of every layer
      int b = parse_bits(item, spec);
      for (auto& h : bits) h = {b, b};
      continue;
    }
    std::string_view key = item.substr(0, eq);
    int b = parse_bits(item.substr(eq + 1), spec);
    int first = 0, last = layers - 1;
    if (key.starts_with("L")) {  // "L1.fwd": one layer
      size_t dot = key.find('.');
      int layer = -1;
      std::string_view number = key.substr(1, dot == std::string_view::npos ? key.size() - 1 : dot - 1);
      auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), layer);
      TANGO_CHECK_INPUT(dot != std::string_view::npos && ec == std::errc() &&
                            end == number.data() + number.size() && layer >= 0 && layer < layers,
                        "--halo-bits '{}': '{}' does not name a layer in [0, {}) (use e.g. L1.fwd=2)", spec,
                        key, layers);
      first = last = layer;
      key = key.substr(dot + 1);
    }
    TANGO_CHECK_INPUT(key == "fwd" || key == "bwd",
                      "--halo-bits '{}': unknown key '{}' (use fwd=, bwd=, L<i>.fwd=, L<i>.bwd= or adaptive)",
                      spec, key);
    for (int l = first; l <= last; ++l) (key == "fwd" ? bits[l].forward : bits[l].backward) = b;
  }
  return bits;
}

void add_input_flags(CLI::App& app, TrainConfig& c) {
  auto* input = app.add_option_group("input");
  input->add_option("--parts", c.parts_dir, "Partition directory from tango-partition (one rank per part)");
  input->add_option("--dataset", c.dataset, "Dataset spec: OGB directory, .h5 file or synthetic:...");
  input->require_option(1);
  app.add_option("--split", c.split, "Split folder of an OGB directory (default: the only one)");
  app.add_option("--partition", c.partition, "With --dataset: partition into K parts in memory first")
      ->check(CLI::NonNegativeNumber);
}

void add_precision_flags(CLI::App& app, TrainConfig& c, FlagsFor program) {
  const bool training = program == FlagsFor::kTraining;
  std::map<std::string, Precision> precisions{{"fp32", Precision::kFP32}, {"int8", Precision::kINT8}};
  app.add_option("--precision", c.precision, "Local primitives: fp32 | int8")
      ->transform(CLI::CheckedTransformer(precisions, CLI::ignore_case));
  app.add_option("--halo-bits", c.halo_bits_spec,
                 training
                     ? "Halo message bits: fwd=4,bwd=8 | 8 | adaptive | per layer L1.fwd=2 (32 = fp32, 16 = "
                       "bf16)"
                     : "Halo message bits: fwd=4 | 8 | per layer L1.fwd=2 (32 = fp32, 16 = bf16)");
  std::map<std::string, GatAttention> attention{{"fp32", GatAttention::kFP32},
                                                {"per-row", GatAttention::kPerRow},
                                                {"per-tensor", GatAttention::kPerTensor}};
  app.add_option("--gat-attention", c.gat_attention,
                 training ? "INT8 GAT attention scale: fp32 | per-row | per-tensor (Tango)"
                          : "INT8 GAT attention scale: fp32 | per-row | per-tensor")
      ->transform(CLI::CheckedTransformer(attention, CLI::ignore_case));
  if (training)
    app.add_flag("--stochastic-rounding,!--nearest-rounding", c.stochastic_rounding,
                 "Halo messages round stochastically (unbiased; the default) or to nearest");
  app.add_flag("--overlap,!--no-overlap", c.overlap,
               training ? "Overlap halo exchanges and the weight-gradient allreduce with compute (same bits)"
                        : "Overlap halo exchanges with compute (same bits)");
  c.device = "auto";
  app.add_option("--device", c.device,
                 training
                     ? "auto | cpu | cuda: where this rank's tables live (cuda: the GPU of its node-local "
                       "rank; auto: CUDA when every rank sees a GPU, else CPU)"
                     : "auto | cpu | cuda (as tango-train)")
      ->check(CLI::IsMember({"auto", "cpu", "cuda"}));
}

void add_train_flags(CLI::App& app, TrainConfig& c) {
  add_config_file_flag(app);
  add_input_flags(app, c);
  app.add_flag("--normalize-features", c.normalize_features, "Row-normalize the input features");

  std::map<std::string, ModelKind> models{{"gcn", ModelKind::kGCN},
                                          {"sage", ModelKind::kSAGE},
                                          {"gat", ModelKind::kGAT},
                                          {"mlp", ModelKind::kMLP}};
  app.add_option("--model", c.model, "gcn | sage | gat | mlp (features only, no graph: a baseline)")
      ->transform(CLI::CheckedTransformer(models, CLI::ignore_case));
  app.add_option("--layers", c.layers, "Number of GNN layers")->check(CLI::Range(1, 16));
  app.add_option("--hidden", c.hidden, "Hidden size (per head for GAT; default 64, GAT 8)")
      ->check(CLI::Range(1, 65536));
  app.add_option("--heads", c.heads, "GAT attention heads of hidden layers")->check(CLI::Range(1, 64));
  app.add_option("--dropout", c.dropout, "Feature dropout probability (default 0.5, GAT 0.6)")
      ->check(CLI::Range(0.0, 0.95));
  app.add_option("--attn-dropout", c.attn_dropout, "GAT attention dropout (default 0.6)")
      ->check(CLI::Range(0.0, 0.95));
  app.add_option("--activation", c.activation, "relu | elu (default relu, GAT elu)")
      ->check(CLI::IsMember({"relu", "elu"}));
  app.add_option("--lr", c.lr, "Learning rate (default 0.01, GAT 0.005)")->check(CLI::PositiveNumber);
  app.add_option("--weight-decay", c.weight_decay, "Weight decay")->check(CLI::NonNegativeNumber);
  app.add_option("--optimizer", c.optimizer, "adam | adamw")->check(CLI::IsMember({"adam", "adamw"}));
  app.add_option("--epochs", c.epochs, "Training epochs")->check(CLI::Range(1, 1000000));
  app.add_option("--seed", c.seed, "Seed of weights, dropout and stochastic rounding");
  app.add_option("--eval-every", c.eval_every, "Evaluate every N epochs")->check(CLI::Range(1, 1000000));

  add_precision_flags(app, c, FlagsFor::kTraining);

  app.add_option("--metrics", c.metrics_path, "JSONL metrics file (one line per epoch)");
  app.add_option("--quant-telemetry-every", c.quant_telemetry_every,
                 "Every N epochs, measure each INT8 operand's quantization error per layer into --metrics "
                 "(0: never; int8 only)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--summary", c.summary_path, "Final summary JSON file");
  app.add_option("--checkpoint-dir", c.checkpoint_dir, "Folder for checkpoints");
  app.add_option("--checkpoint-every", c.checkpoint_every, "Checkpoint every N epochs (0: only at the end)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--checkpoint-keep", c.checkpoint_keep, "Checkpoint files kept, the newest (default 2)")
      ->check(CLI::Range(1, 1000000));
  app.add_flag("--resume", c.resume, "Continue from the newest complete checkpoint in --checkpoint-dir");
  app.add_flag("--quiet", c.quiet, "No per-epoch progress lines");
  app.add_option(
      "--save-model", c.save_model_path,
      "Write the best-validation weights here (safetensors, PyTorch Geometric's state_dict names)");
  app.add_option(
      "--predictions", c.predictions_path,
      "Write every node's logits, predicted class and split here (HDF5), from the best-validation model");
  app.add_option("--embeddings", c.embeddings_path,
                 "Write every node's last hidden layer output here (HDF5), from the best-validation model");

  // --model gat without its flags gets the GAT paper's cora settings (PyG's examples/gat.py), not the
  // GCN defaults above: an option given on the command line or in the TOML file is left alone.
  app.parse_complete_callback([&app, &c] {
    if (c.model != ModelKind::kGAT) return;
    auto unset = [&app](const char* flag) { return app.get_option(flag)->count() == 0; };
    if (unset("--hidden")) c.hidden = 8;
    if (unset("--dropout")) c.dropout = 0.6;
    if (unset("--attn-dropout")) c.attn_dropout = 0.6;
    if (unset("--activation")) c.activation = "elu";
    if (unset("--lr")) c.lr = 0.005;
  });
}

void validate_config(const TrainConfig& c) {
  // Input and outputs.
  TANGO_CHECK_INPUT(!(c.resume && c.checkpoint_dir.empty()), "--resume needs --checkpoint-dir DIR");
  TANGO_CHECK_INPUT(!(c.partition > 0 && c.dataset.empty()), "--partition K needs --dataset SPEC");
  TANGO_CHECK_INPUT(c.checkpoint_every >= 0, "--checkpoint-every must be 0 or more, got {}",
                    c.checkpoint_every);
  TANGO_CHECK_INPUT(c.embeddings_path.empty() || c.layers >= 2,
                    "--embeddings needs --layers 2 or more (a 1-layer model has no hidden layer)");
  TANGO_CHECK_INPUT(c.quant_telemetry_every >= 0, "--quant-telemetry-every must be 0 or more, got {}",
                    c.quant_telemetry_every);
  TANGO_CHECK_INPUT(c.quant_telemetry_every == 0 || !c.metrics_path.empty(),
                    "--quant-telemetry-every needs --metrics FILE (the telemetry goes to its lines)");
  TANGO_CHECK_INPUT(c.checkpoint_keep >= 1, "--checkpoint-keep must be at least 1, got {}",
                    c.checkpoint_keep);
  // Model.
  TANGO_CHECK_INPUT(c.layers >= 1, "--layers must be at least 1, got {}", c.layers);
  TANGO_CHECK_INPUT(c.hidden >= 1, "--hidden must be at least 1, got {}", c.hidden);
  TANGO_CHECK_INPUT(c.heads >= 1, "--heads must be at least 1, got {}", c.heads);
  TANGO_CHECK_INPUT(c.dropout >= 0 && c.dropout < 1, "--dropout must be in [0, 1), got {}", c.dropout);
  TANGO_CHECK_INPUT(c.attn_dropout >= 0 && c.attn_dropout < 1, "--attn-dropout must be in [0, 1), got {}",
                    c.attn_dropout);
  TANGO_CHECK_INPUT(c.activation == "relu" || c.activation == "elu",
                    "--activation must be relu or elu, got '{}'", c.activation);
  // Optimisation.
  TANGO_CHECK_INPUT(c.optimizer == "adam" || c.optimizer == "adamw",
                    "--optimizer must be adam or adamw, got '{}'", c.optimizer);
  TANGO_CHECK_INPUT(c.lr > 0, "--lr must be positive, got {}", c.lr);
  TANGO_CHECK_INPUT(c.weight_decay >= 0, "--weight-decay must be 0 or more, got {}", c.weight_decay);
  TANGO_CHECK_INPUT(c.epochs >= 1, "--epochs must be at least 1, got {}", c.epochs);
  TANGO_CHECK_INPUT(c.eval_every >= 1, "--eval-every must be at least 1, got {}", c.eval_every);
  // Precision and device.
  TANGO_CHECK_INPUT(c.halo_bits.size() == static_cast<size_t>(c.layers),
                    "--halo-bits resolved to {} layers for --layers {} (run finalize_config after parsing)",
                    c.halo_bits.size(), c.layers);
  TANGO_CHECK_INPUT(c.device == "auto" || c.device == "cpu" || c.device == "cuda",
                    "--device must be auto, cpu or cuda, got '{}'", c.device);
}

void finalize_config(TrainConfig& c) {
  c.halo_bits = parse_halo_bits(c.halo_bits_spec, c.layers, &c.halo_adaptive);
  validate_config(c);
}

nlohmann::json TrainConfig::to_json() const {
  nlohmann::json bits = nlohmann::json::array();
  for (const auto& b : halo_bits) bits.push_back({{"fwd", b.forward}, {"bwd", b.backward}});
  const char* attention[] = {"fp32", "per-row", "per-tensor"};
  return {{"parts", parts_dir},
          {"dataset", dataset},
          {"split", split},
          {"partition", partition},
          {"normalize_features", normalize_features},
          {"model", model_name(model)},
          {"layers", layers},
          {"hidden", hidden},
          {"heads", heads},
          {"dropout", dropout},
          {"attn_dropout", attn_dropout},
          {"activation", activation},
          {"lr", lr},
          {"weight_decay", weight_decay},
          {"optimizer", optimizer},
          {"epochs", epochs},
          {"seed", seed},
          {"eval_every", eval_every},
          {"precision", precision == Precision::kFP32 ? "fp32" : "int8"},
          {"halo_bits", halo_adaptive ? nlohmann::json("adaptive") : bits},
          {"gat_attention", attention[static_cast<int>(gat_attention)]},
          {"stochastic_rounding", stochastic_rounding},
          {"overlap", overlap},
          {"device", device}};
}

nlohmann::json TrainConfig::math_json() const {
  nlohmann::json j = to_json();
  for (const char* key : {"parts", "dataset", "split", "partition", "epochs", "device", "overlap"})
    j.erase(key);
  return j;
}

std::string TrainConfig::hash() const {
  const std::string text = math_json().dump();
  uLong crc = crc32(0L, reinterpret_cast<const Bytef*>(text.data()), static_cast<uInt>(text.size()));
  uLong adler = adler32(1L, reinterpret_cast<const Bytef*>(text.data()), static_cast<uInt>(text.size()));
  return fmt::format("{:08x}{:08x}", crc, adler);
}

}  // namespace tango::trainer
