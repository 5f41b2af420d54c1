#include "trainer/best_weights.h"

#include <fmt/format.h>

#include <filesystem>
#include <regex>

#include "io/safetensors.h"
#include "trainer/model_file.h"

namespace tango::trainer {

BestWeights::BestWeights(const TrainConfig& config, comm::Communicator& comm)
    : wanted_(!config.save_model_path.empty() || !config.predictions_path.empty() ||
              !config.embeddings_path.empty()),
      checkpoint_dir_(config.checkpoint_dir),
      comm_(comm) {}

std::string BestWeights::side_file(int64_t epoch) const {
  return (std::filesystem::path(checkpoint_dir_) / fmt::format("best-weights-e{:06d}.safetensors", epoch))
      .string();
}

void BestWeights::capture(int64_t epoch, Model& model) {
  if (!wanted_) return;
  epoch_ = epoch;
  weights_ = weights_of(model);
  if (checkpoint_dir_.empty() || comm_.rank() != 0) return;
  io::SafetensorsFile file;
  file.metadata = {{"best_epoch", std::to_string(epoch)}};
  for (const auto& [name, value] : weights_) {
    file.tensors[name] =
        io::safetensors_entry(value, value.ndim() == 2 ? std::vector<int64_t>{value.rows(), value.cols()}
                                                       : std::vector<int64_t>{value.numel()});
  }
  io::write_safetensors(side_file(epoch), file);
}

void BestWeights::resume(int64_t best_epoch, int64_t start_epoch) {
  if (!wanted_ || best_epoch < 1 || best_epoch > start_epoch) return;
  const std::string path = side_file(best_epoch);
  TANGO_CHECK_INPUT(
      std::filesystem::exists(path),
      "--resume with --save-model/--predictions/--embeddings: the weights of the best epoch {} ({}) "
      "are missing; the checkpoints were written without those flags: train again from epoch 0",
      best_epoch, path);
  const io::SafetensorsFile file = io::read_safetensors(path);
  weights_.clear();
  for (const auto& [name, entry] : file.tensors) weights_[name] = entry.values;
  epoch_ = best_epoch;
}

void BestWeights::finish() {
  if (!wanted_ || checkpoint_dir_.empty() || comm_.rank() != 0) return;
  const std::regex pattern(R"(best-weights-e(\d+)\.safetensors)");
  for (const auto& entry : std::filesystem::directory_iterator(checkpoint_dir_)) {
    std::smatch match;
    const std::string name = entry.path().filename().string();
    if (std::regex_match(name, match, pattern) && std::stoll(match[1].str()) != epoch_)
      std::filesystem::remove(entry.path());
  }
}

}  // namespace tango::trainer
