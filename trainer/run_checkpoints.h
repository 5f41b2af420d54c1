// A training run's checkpoints: what the math depends on between epochs (weights, Adam moments, the
// halo codecs' state, the best-validation counts; the epoch is the RNG position, since every draw is
// keyed by (seed, epoch, ...)) saved through io/checkpoint_store.h, and the collective resume.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "comm/bit_policy.h"
#include "comm/communicator.h"
#include "io/checkpoint_store.h"
#include "trainer/config.h"
#include "trainer/halo_link.h"
#include "trainer/model.h"
#include "trainer/optimizer.h"

namespace tango::trainer {

// The best-validation record, kept as exact global counts (the summary's test accuracy is the test
// count of the epoch with the most correct validation rows; the first such epoch wins).
struct BestValidation {
  int64_t epoch = -1;  // 1-based; -1 before the first evaluation
  int64_t valid_correct = -1;
  int64_t test_correct = 0;

  void offer(int64_t epoch_done, int64_t valid, int64_t test) {
    if (valid > valid_correct) *this = {epoch_done, valid, test};
  }
};

// The parts of a run a checkpoint holds; references into train()'s objects.
struct RunState {
  Model& model;
  Adam& adam;
  BestValidation& best;
  comm::BitPolicy& bit_policy;
  std::vector<std::unique_ptr<CommHaloLink>>& links;
};

class RunCheckpoints {
 public:
  // Without --checkpoint-dir every call does nothing.
  RunCheckpoints(const TrainConfig& config, comm::Communicator& comm);

  // --resume: restores the newest complete checkpoint into `state` on every rank and returns its epoch
  // (0 when there is none). Rank 0 picks the epoch; a load error on any rank stops every rank (a rank
  // that trained on alone would wait forever in the first collective).
  int64_t resume(RunState& state);

  // Saves after `epochs_done` epochs when due (every --checkpoint-every epochs, and after the last), then
  // waits until every rank's file is complete.
  void save_if_due(int64_t epochs_done, const RunState& state);

 private:
  const TrainConfig& config_;
  comm::Communicator& comm_;
  std::unique_ptr<CheckpointStore> store_;
};

}  // namespace tango::trainer
