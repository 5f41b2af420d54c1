// The weights of the best-validation epoch: the model whose test accuracy the summary reports, and the one
// --save-model, --predictions and --embeddings give. Kept only when a run asks for one of those (a run
// without them copies nothing): a CPU copy of every parameter, taken each time the best validation count
// improves (after that epoch's optimizer step, i.e. the weights that epoch's evaluation used).
//
// With --checkpoint-dir the copy also goes beside the checkpoints, best-weights-e<epoch>.safetensors (Tango's
// parameter names, written by rank 0, atomically), so that a resumed run whose best epoch came before the
// resume still has them: resume() reads the file of the restored best epoch. The files of earlier bests
// are removed once the run is complete (finish()); a checkpoint may still need one until then.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "comm/communicator.h"
#include "core/tensor.h"
#include "trainer/config.h"
#include "trainer/model.h"

namespace tango::trainer {

class BestWeights {
 public:
  BestWeights(const TrainConfig& config, comm::Communicator& comm);

  // Whether the run writes a model, predictions or embeddings (else every call below does nothing).
  bool wanted() const { return wanted_; }
  // The best validation improved at `epoch` (1-based): copy the model's weights.
  void capture(int64_t epoch, Model& model);
  // After a resume to `start_epoch` whose restored best epoch is `best_epoch`: a best from before the
  // resume is read back from the checkpoint folder (an input error naming the file when it is missing).
  void resume(int64_t best_epoch, int64_t start_epoch);
  // The weights of the best epoch (Tango names, CPU).
  const std::map<std::string, Tensor>& weights() const { return weights_; }
  int64_t epoch() const { return epoch_; }
  // The run is complete: removes the side files of bests other than the final one.
  void finish();

 private:
  std::string side_file(int64_t epoch) const;

  bool wanted_ = false;
  std::string checkpoint_dir_;
  comm::Communicator& comm_;
  int64_t epoch_ = -1;
  std::map<std::string, Tensor> weights_;
};

}  // namespace tango::trainer
