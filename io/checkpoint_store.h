// Checkpoints of a training run: one HDF5 file per epoch for the whole run, whatever its rank count
// (the state of full-graph training does not depend on the partition), written by one rank and read
// by every rank on resume:
//   DIR/ckpt-e000010.h5
// Each file is written atomically (temp name, fsync, rename), so a crash leaves the previous
// checkpoint intact; save() keeps the newest `keep` files.
//
// Format version 3. Root attributes:
//   format = "tango-checkpoint", format_version = 3, epoch, rng_state, num_ranks (of the run that wrote
//   it: informational, and how many per-rank partial sums the halo state holds), config_hash, config
//   (the hashed configuration as JSON, so that a mismatch can name the keys that changed),
//   dataset_name, dataset_nodes, dataset_edges, dataset_checksum (io/dataset_identity.h),
//   content_checksum (io/content_hash.h over every attribute above and every tensor's name, dtype,
//   shape and bytes)
// and the state tensors under /tensors/<name> (weights, optimizer moments, halo state, run.best).
// load() turns a damaged file (not HDF5, truncated, a changed byte under /tensors or in an attribute)
// into an input error naming it. Format 2 wrote one file per rank (ckpt-e000010-r0003.h5): this store
// ignores those (the trainer reads them, trainer/legacy_checkpoints.h).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "io/dataset_identity.h"

namespace tango::io {

inline constexpr int64_t kCheckpointFormatVersion = 3;

struct Checkpoint {
  int64_t epoch = 0;       // epochs completed
  uint64_t rng_state = 0;  // the trainer's counter-based RNG position
  int64_t num_ranks = 1;   // ranks of the run that wrote it
  std::string config_hash;
  std::string config;  // the hashed configuration, JSON text
  DatasetIdentity dataset;
  std::map<std::string, Tensor> tensors;  // CPU tensors by name ("layer0.weight", "adam.m.layer0.weight")
};

class CheckpointStore {
 public:
  explicit CheckpointStore(std::string dir);

  // Writes the checkpoint of ckpt.epoch (atomically), then removes all but the newest `keep` (>= 1).
  void save(const Checkpoint& ckpt, int keep = 2) const;
  // The newest epoch with a checkpoint file (nullopt when there is none; temp files do not count).
  std::optional<int64_t> latest_epoch() const;
  // The epochs with a checkpoint file, oldest first.
  std::vector<int64_t> epochs() const;
  // Reads the checkpoint of `epoch`, checking its format and content checksum.
  Checkpoint load(int64_t epoch) const;

  std::string path_for(int64_t epoch) const;
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
};

}  // namespace tango::io
