// Reading the per-rank checkpoints of format 2, so that a run started before checkpoints became one
// file per epoch continues: format 2 wrote one file per rank and epoch (DIR/ckpt-e000010-r0003.h5).
// The newest epoch for which every rank's file exists is merged into one format-3 Checkpoint in memory
// (io/checkpoint_store.h): the weights, Adam moments, best-validation counts, halo widths, window counts
// and exchange counts were the same in every rank's file (rank 0's are taken); each rank's adaptive-
// window statistics become its row of halo.policy.window_sums (halo_link.h), so a resume on the rank
// count that wrote them is still bit-identical, and one on another rank count works as from a format-3
// checkpoint. Format 2 recorded neither the dataset nor the configuration itself, only a hash of it
// (crc32 + adler32 of the resolved configuration without the epochs, --parts and the device, with the
// input's location in it): that hash is checked, so such a run must resume with the flags it was
// started with (--dataset or --parts as before); the dataset cannot be checked. The next checkpoint is
// written in format 3, and the old files are left alone.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "io/checkpoint_store.h"
#include "trainer/config.h"

namespace tango::trainer {

// The newest epoch of `dir` whose per-rank files are all there (nullopt when there is none).
std::optional<int64_t> latest_per_rank_epoch(const std::string& dir);

// Reads and merges every rank's file of `epoch`. Input errors name the file: not of format 2, of
// another epoch or rank count than its name says, written under another configuration.
io::Checkpoint read_per_rank_checkpoints(const std::string& dir, int64_t epoch, const TrainConfig& config);

// The configuration hash format 2 recorded.
std::string format2_config_hash(const TrainConfig& config);

}  // namespace tango::trainer
