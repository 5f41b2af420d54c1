// The whole partition-to-directory pipeline shared by tango-partition and (in memory) the trainer:
// assign nodes to parts, plan the layout, then build, write and checksum one part at a time (so peak
// memory is the dataset plus one part), and write manifest.json last. Every file goes through a temp
// name + fsync + rename, and an old manifest is removed before any part is rewritten, so a killed run
// never leaves a manifest that describes files it did not finish.
#pragma once

#include <string>

#include "io/dataset.h"
#include "partition/assignment.h"
#include "partition/manifest.h"
#include "partition/phase_progress.h"

namespace tango::partition {

struct PartitionRun {
  std::string dataset_spec;  // recorded in the manifest
  PartitionOptions options;
  bool halo_features = true;
};

// Creates `dir` if needed. A non-empty `dir` is an input error unless `force`; with `force` the
// files a previous run wrote (manifest.json, part-*.h5 and their temp files) are removed first and
// other files are left alone.
void prepare_output_dir(const std::string& dir, bool force);

// Partitions `dataset` into `dir` (prepared by prepare_output_dir) and returns the manifest written.
PartitionManifest write_partition(const io::Dataset& dataset, const PartitionRun& run, const std::string& dir,
                                  PhaseProgress& progress);

}  // namespace tango::partition
