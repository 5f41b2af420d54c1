// A training run's checkpoints: what the math depends on between epochs (weights, Adam moments, the
// halo codecs' state, the best-validation counts; the epoch is the RNG position, since every draw is
// keyed by (seed, epoch, ...)), one file per epoch for the whole run (io/checkpoint_store.h), and the
// collective resume.
//
// None of it depends on the partition: the weights and Adam moments are the same on every rank (the
// gradients are allreduced and every rank steps), dropout and stochastic rounding are keyed by global
// ids and the epoch, the best-validation record holds global counts, and the halo state is saved in a
// rank-count-independent form (halo_link.h). So rank 0 writes the checkpoint alone, and a run resumes on
// any rank count and any partition of the same dataset: the checkpoint's config hash must match
// (TrainConfig::hash, which leaves out the rank count, the partition and the outputs) and so must its
// dataset identity (io/dataset_identity.h: node and edge counts and a checksum of the contents, the same
// whether the data is read through --dataset or --parts DIR of any K). Resumed on the rank count that
// wrote it, a run continues bit-identically; on another, up to the float reassociation that K ranks
// against 1 rank already have (and, with --precision int8, the per-part quantization scales).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "comm/bit_policy.h"
#include "comm/communicator.h"
#include "io/checkpoint_store.h"
#include "io/dataset_identity.h"
#include "trainer/config.h"
#include "trainer/dist_graph.h"
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

// The identity of the dataset the ranks hold together (collective: one allgather and one allreduce).
io::DatasetIdentity dataset_identity_of(const DistGraph& graph, comm::Communicator& comm);

class RunCheckpoints {
 public:
  // Without --checkpoint-dir every call does nothing. Collective with a checkpoint directory (the
  // dataset identity is summed over the ranks).
  RunCheckpoints(const TrainConfig& config, const DistGraph& graph, comm::Communicator& comm);

  // --resume: restores the newest checkpoint into `state` on every rank and returns its epoch (0 when
  // there is none). Rank 0 picks the epoch, every rank reads the file; a checkpoint that is damaged, of
  // another configuration or of another dataset is an input error on every rank, before anything is
  // written. A folder with per-rank checkpoints of format 2 only resumes from those
  // (trainer/legacy_checkpoints.h).
  int64_t resume(RunState& state);

  // Saves after `epochs_done` epochs when due (every --checkpoint-every epochs, and after the last):
  // collective; rank 0 writes, and every rank returns once the file is complete (or throws when rank 0
  // could not write it).
  void save_if_due(int64_t epochs_done, const RunState& state);

 private:
  const TrainConfig& config_;
  comm::Communicator& comm_;
  std::unique_ptr<io::CheckpointStore> store_;
  io::DatasetIdentity dataset_;
};

}  // namespace tango::trainer
