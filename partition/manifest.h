// manifest.json of a partition directory: what was partitioned (dataset spec and stats), how
// (method, balance, seed, ufactor), how well (edge cut, replication factor, balance max/avg), the
// part files with their SHA-256 and per-part counts, and the time spent in each phase.
// Written last and atomically: a directory without a manifest holds no finished partition.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "partition/assignment.h"

namespace tango::partition {

inline constexpr int64_t kManifestFormatVersion = 1;
inline constexpr const char* kManifestFileName = "manifest.json";

struct PartSummary {
  int32_t id = 0;
  std::string file;    // "part-00000.h5", relative to the directory
  std::string sha256;  // of the whole file
  int64_t bytes = 0;
  int64_t owned = 0, inner = 0, boundary = 0, halo = 0;
  int64_t edges = 0;  // directed edges in the local CSR (all edges of the owned nodes)
  int64_t train = 0;  // owned training nodes
  int64_t send = 0;   // rows sent to peers per exchange
};

struct PartitionManifest {
  int64_t format_version = kManifestFormatVersion;
  std::string dataset_spec, dataset_name, split;
  int64_t num_nodes = 0, num_edges = 0;  // num_edges: directed (each undirected edge twice)
  int64_t num_features = 0;
  int32_t num_classes = 0;
  int64_t num_train = 0, num_valid = 0, num_test = 0;
  PartitionOptions options;
  bool halo_features = true;
  int64_t edge_cut = 0;           // undirected edges between parts
  double edge_cut_percent = 0;    // of all undirected edges
  double replication_factor = 1;  // (owned + halo) summed over parts / num_nodes
  double node_balance = 1, edge_balance = 1, train_balance = 1;  // max / average over parts
  std::vector<PartSummary> parts;
  std::vector<std::pair<std::string, double>> phase_seconds;  // in the order the phases ran
  std::string created_by;

  // Fills edge_cut_percent, replication_factor and the balances from edge_cut and parts.
  void compute_quality();
};

nlohmann::json manifest_to_json(const PartitionManifest& manifest);
// `origin` names the file in errors.
PartitionManifest manifest_from_json(const nlohmann::json& json, const std::string& origin);

void write_manifest(const PartitionManifest& manifest, const std::string& dir);
PartitionManifest read_manifest(const std::string& dir);

}  // namespace tango::partition
