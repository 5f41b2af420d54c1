// Everything a training run is configured by: flags through CLI11, the same keys in a TOML file
// (--config run.toml), and the resolved configuration saved with the run. Flag names follow the
// PyG/DGL example scripts (--model, --layers, --hidden, --lr, --weight-decay, --epochs, ...).
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

// CLI11 and nlohmann/json are large headers: declared here, included by the files that use them.
namespace CLI {
class App;
}  // namespace CLI

namespace tango::trainer {

enum class ModelKind { kGCN, kSAGE, kGAT, kMLP };  // kMLP: the features-only baseline
enum class Precision { kFP32, kINT8 };
enum class GatAttention { kFP32, kPerRow, kPerTensor };  // how GAT's edge attention is quantized

// Bits of the halo messages of one layer and direction: 32 (fp32), 16 (bf16), 8, 4 or 2.
struct HaloBits {
  int forward = 32;
  int backward = 32;
};

struct TrainConfig {
  // Input.
  std::string parts_dir;            // --parts DIR from tango-partition (one rank per part)
  std::string dataset;              // --dataset SPEC (1 rank, or --partition K in memory)
  std::string split;                // --split NAME for OGB directories with several splits
  int partition = 0;                // --partition K: partition the dataset in memory first
  bool normalize_features = false;  // row-normalize input features (the GCN paper does it on cora)

  // Model.
  ModelKind model = ModelKind::kGCN;
  int layers = 2;
  int hidden = 64;  // per head for GAT (hidden layers are heads * hidden wide)
  int heads = 8;    // GAT hidden heads (output layer uses 1 head, mean)
  // --model gat without --hidden / --dropout / --attn-dropout / --activation / --lr gets the GAT paper's
  // 8, 0.6, 0.6, elu, 0.005 instead of the defaults below (add_train_flags).
  double dropout = 0.5;
  double attn_dropout = 0.0;        // GAT attention dropout
  std::string activation = "relu";  // relu | elu

  // Optimisation.
  double lr = 0.01;
  double weight_decay = 5e-4;
  std::string optimizer = "adam";  // adam | adamw
  int epochs = 200;
  uint64_t seed = 1;
  int eval_every = 1;

  // Precision.
  Precision precision = Precision::kFP32;
  std::string halo_bits_spec = "fwd=32,bwd=32";  // "fwd=4,bwd=8", "adaptive", "8", per layer "L1.fwd=2"
  bool halo_adaptive = false;
  std::vector<HaloBits> halo_bits;  // resolved per layer (size = layers)
  GatAttention gat_attention = GatAttention::kFP32;
  // Halo messages (both directions) round stochastically: unbiased, as AdaQP's. Round-to-nearest codes
  // bias every value toward its row's grid, and at 4 bits that bias stops training short: 100k-node
  // power-law graph, 3-layer GCN, int8 + --halo-bits 4 on 4 ranks, 120 epochs: nearest ends at loss 0.304
  // and 93.91 % test (rising loss from epoch 60), stochastic at 0.269 and 94.75 %, fp32 halos 0.264 and
  // 94.75 % (docs/ACCURACY.md, "Halo rounding"). --nearest-rounding keeps the lower-variance nearest codes.
  bool stochastic_rounding = true;
  bool overlap = true;  // overlap halo exchanges and the gradient allreduce with compute

  // Device: "cpu", "cuda" (this rank's GPU by node-local rank; an input error without one) or "auto"
  // (CUDA when the build has it and every rank sees a GPU). Library callers get "cpu" unless they ask;
  // the tango-train flag defaults to "auto" (add_train_flags). trainer/device_choice.h resolves it.
  std::string device = "cpu";

  // Outputs.
  std::string metrics_path;  // JSONL, one line per epoch
  // Every N epochs (0: never) the metrics line gets the INT8 operands' quantization error per layer,
  // direction and operand (trainer/quant_telemetry.h); INT8 runs only.
  int quant_telemetry_every = 0;
  std::string summary_path;  // final JSON
  std::string checkpoint_dir;
  int checkpoint_every = 0;
  int checkpoint_keep = 2;  // checkpoint files kept (the newest)
  bool resume = false;
  bool quiet = false;
  // What the run leaves to use (trainer/best_weights.h): the best-validation weights as safetensors in
  // PyG's layout (trainer/model_file.h), and every node's logits / last hidden layer (trainer/predictions.h).
  std::string save_model_path;
  std::string predictions_path;
  std::string embeddings_path;

  // The resolved configuration as JSON (what is saved with the run).
  nlohmann::json to_json() const;
  // The part of it that changes the math of training, which a checkpoint must match to be resumed:
  // model, widths, activation, dropouts, optimizer, lr, weight decay, seed, evaluation period (it feeds
  // the best-validation record and the adaptive halo policy), precision, halo bits, GAT attention,
  // rounding, feature normalization. Left out: the epoch count (a resumed run may extend it), where
  // the data comes from and how it is split over ranks (--parts, --dataset, --split, --partition: the
  // checkpoint's dataset identity guards the data instead, io/dataset_identity.h), the device, and
  // --overlap (the same bits either way); outputs and logging are not in to_json() at all.
  nlohmann::json math_json() const;
  // A short hash of math_json() (crc32 + adler32 of its text, 16 hex digits).
  std::string hash() const;
};

// Registers every flag on `app` (with --config for a TOML file) bound to `config`.
void add_train_flags(CLI::App& app, TrainConfig& config);

// The program whose flags add_input_flags / add_precision_flags register: tango-predict runs forward only
// (no backward bits, no stochastic rounding, no gradient allreduce), so some help texts differ.
enum class FlagsFor { kTraining, kPrediction };
// --parts | --dataset (one required), --split, --partition: where the data comes from.
void add_input_flags(CLI::App& app, TrainConfig& config);
// --precision, --halo-bits, --gat-attention, --stochastic-rounding (training only), --overlap and --device:
// the numerics of the forward (and backward) and where they run.
void add_precision_flags(CLI::App& app, TrainConfig& config, FlagsFor program);
// Every check of a configuration that needs no data (value ranges, flag combinations, what each model
// accepts), in one place: finalize_config() runs it before any data is read, train() again for library
// callers. An input error names the flag and the value.
void validate_config(const TrainConfig& config);
// Resolves derived fields (halo bits per layer) and runs validate_config().
void finalize_config(TrainConfig& config);

// Parses "fwd=4,bwd=8", "8", "adaptive" or per-layer forms "fwd=4,bwd=8,L0.fwd=8" into one entry per
// layer. Bad specs are input errors that quote the spec.
std::vector<HaloBits> parse_halo_bits(const std::string& spec, int layers, bool* adaptive);

const char* model_name(ModelKind kind);

}  // namespace tango::trainer
