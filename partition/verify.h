// Checks a partition directory end to end (tango-partition --verify), and the cheap per-part checks
// the trainer runs when a rank loads its part.
//
// verify_partition(): the manifest parses; each file's SHA-256 matches; each part validates
// (read_part); every node is owned by exactly one part; halo ids are owned by the part they are
// grouped under; every halo column is used and boundary rows do touch the halo; send lists are the
// exact mirror of the peers' halo lists; global degrees agree across parts. With the dataset: every
// edge appears exactly once across parts, and features, labels, masks, halo features and degrees
// equal the dataset's. The first problem found is an input error naming the file.
#pragma once

#include <cstdint>
#include <string>

#include "io/dataset.h"
#include "partition/manifest.h"
#include "partition/part_file.h"

namespace tango::partition {

struct VerifyOptions {
  bool checksums = true;                 // recompute every file's SHA-256
  const io::Dataset* dataset = nullptr;  // compare edges and node data against it
};

struct VerifyReport {
  int32_t num_parts = 0;
  int64_t num_nodes = 0;
  int64_t edges_checked = 0;  // directed edges compared against the dataset (0 without it)
  int64_t halo_rows = 0;
};

VerifyReport verify_partition(const std::string& dir, const VerifyOptions& options = {});

// One rank's load-time checks: the file's checksum against the manifest.
void verify_part_checksum(const std::string& dir, const PartSummary& summary);
// The loaded part agrees with its manifest entry (ids, counts, node count, halo features present).
void check_part_against_manifest(const PartitionPart& part, const PartitionManifest& manifest,
                                 int32_t part_id, const std::string& origin);

}  // namespace tango::partition
