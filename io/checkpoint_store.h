// Checkpoints of a training run: named tensors (weights, optimizer moments) plus the epoch, the RNG
// state and a hash of the run's configuration, one HDF5 file per rank and epoch:
//   DIR/ckpt-e000010-r0000.h5
// Each file is written atomically (temp name, fsync, rename), so a crash leaves the previous
// checkpoint intact. latest_complete_epoch() finds the newest epoch every rank has finished writing.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "core/tensor.h"

namespace tango {

struct Checkpoint {
  int64_t epoch = 0;                      // epochs completed
  uint64_t rng_state = 0;                 // the trainer's counter-based RNG position
  std::string config_hash;                // resuming under another configuration is an input error
  std::map<std::string, Tensor> tensors;  // CPU tensors by name ("layer0.weight", "adam.m.layer0.weight")
};

class CheckpointStore {
 public:
  CheckpointStore(std::string dir, int rank, int num_ranks);

  // Writes this rank's checkpoint for ckpt.epoch; keeps the newest `keep` epochs of this rank.
  void save(const Checkpoint& ckpt, int keep = 2) const;
  // The newest epoch for which all num_ranks files exist (nullopt when there is none).
  std::optional<int64_t> latest_complete_epoch() const;
  // Reads this rank's checkpoint of `epoch`; checks the config hash when `expect_hash` is non-empty.
  Checkpoint load(int64_t epoch, const std::string& expect_hash = "") const;

  std::string path_for(int64_t epoch, int rank) const;

 private:
  std::string dir_;
  int rank_;
  int num_ranks_;
};

}  // namespace tango
