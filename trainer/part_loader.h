// Where a rank's DistGraph comes from, with the checks that make a wrong input fail early and clearly:
//   --parts DIR:             manifest (format version), part count == rank count, this rank's part file
//                            against its SHA-256 in the manifest, then read_part's own validation and the
//                            manifest's counts;
//   --dataset SPEC (1 rank): the whole dataset as one part;
//   --dataset SPEC --partition K: every rank loads the dataset, partitions it in memory (METIS, seeded,
//                            so every rank computes the same assignment) and builds its own part.
#pragma once

#include <string>

#include "io/dataset.h"
#include "partition/part_file.h"
#include "trainer/config.h"
#include "trainer/dist_graph.h"

namespace tango::trainer {

// A DistGraph from a validated part (halo input features required: layer 0 then needs no exchange).
DistGraph dist_graph_from_part(const partition::PartitionPart& part, const std::string& origin);

// Reads, verifies and converts part `rank` of the partition in `dir`, which must have `num_ranks` parts.
DistGraph load_partition_part(const std::string& dir, int rank, int num_ranks);

// Partitions `dataset` in memory into `num_parts` parts (METIS) and builds part `rank`.
DistGraph partition_in_memory(const io::Dataset& dataset, int num_parts, int rank, uint64_t seed);

// The rank's graph for a run as `config` describes it (parts dir or dataset), features normalized when
// config.normalize_features. Input errors name the file or flag.
DistGraph load_rank_graph(const TrainConfig& config, int rank, int num_ranks);

}  // namespace tango::trainer
