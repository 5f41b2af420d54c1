#include "partition/manifest.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/error.h"
#include "io/atomic_file.h"

namespace tango::partition {

namespace {
double max_over_average(const std::vector<PartSummary>& parts, int64_t PartSummary::*field) {
  int64_t total = 0, largest = 0;
  for (const auto& p : parts) {
    total += p.*field;
    largest = std::max(largest, p.*field);
  }
  if (total == 0) return 1.0;
  return static_cast<double>(largest) * static_cast<double>(parts.size()) / static_cast<double>(total);
}
}  // namespace

void PartitionManifest::compute_quality() {
  edge_cut_percent =
      num_edges > 0 ? 100.0 * static_cast<double>(edge_cut) / (static_cast<double>(num_edges) / 2) : 0;
  int64_t replicated = 0;
  for (const auto& p : parts) replicated += p.owned + p.halo;
  replication_factor = num_nodes > 0 ? static_cast<double>(replicated) / static_cast<double>(num_nodes) : 1;
  node_balance = max_over_average(parts, &PartSummary::owned);
  edge_balance = max_over_average(parts, &PartSummary::edges);
  train_balance = max_over_average(parts, &PartSummary::train);
}

nlohmann::json manifest_to_json(const PartitionManifest& m) {
  nlohmann::json parts = nlohmann::json::array();
  for (const auto& p : m.parts)
    parts.push_back({{"id", p.id},
                     {"file", p.file},
                     {"sha256", p.sha256},
                     {"bytes", p.bytes},
                     {"owned", p.owned},
                     {"inner", p.inner},
                     {"boundary", p.boundary},
                     {"halo", p.halo},
                     {"edges", p.edges},
                     {"train", p.train},
                     {"send", p.send}});
  // An array, not an object: JSON objects lose the order in which the phases ran.
  nlohmann::json phases = nlohmann::json::array();
  for (const auto& [name, seconds] : m.phase_seconds)
    phases.push_back({{"phase", name}, {"seconds", seconds}});
  return {{"format", "tango-partition"},
          {"format_version", m.format_version},
          {"created_by", m.created_by},
          {"dataset",
           {{"spec", m.dataset_spec},
            {"name", m.dataset_name},
            {"split", m.split},
            {"num_nodes", m.num_nodes},
            {"num_edges", m.num_edges},
            {"num_features", m.num_features},
            {"num_classes", m.num_classes},
            {"num_train", m.num_train},
            {"num_valid", m.num_valid},
            {"num_test", m.num_test}}},
          {"num_parts", m.options.num_parts},
          {"method", method_name(m.options.method)},
          {"balance", balance_name(m.options.balance)},
          {"seed", m.options.seed},
          {"ufactor", m.options.ufactor},
          {"halo_features", m.halo_features},
          {"edge_cut", {{"edges", m.edge_cut}, {"percent", m.edge_cut_percent}}},
          {"replication_factor", m.replication_factor},
          {"balance_max_over_avg",
           {{"nodes", m.node_balance}, {"edges", m.edge_balance}, {"train", m.train_balance}}},
          {"parts", parts},
          {"phase_seconds", phases}};
}

PartitionManifest manifest_from_json(const nlohmann::json& j, const std::string& origin) {
  PartitionManifest m;
  try {
    TANGO_CHECK_INPUT(j.at("format").get<std::string>() == "tango-partition",
                      "'{}' is not a tango-partition manifest", origin);
    m.format_version = j.at("format_version").get<int64_t>();
    TANGO_CHECK_INPUT(m.format_version == kManifestFormatVersion,
                      "'{}' has manifest format version {}, this build reads {}: re-run tango-partition",
                      origin, m.format_version, kManifestFormatVersion);
    m.created_by = j.at("created_by").get<std::string>();
    const auto& d = j.at("dataset");
    m.dataset_spec = d.at("spec").get<std::string>();
    m.dataset_name = d.at("name").get<std::string>();
    m.split = d.at("split").get<std::string>();
    m.num_nodes = d.at("num_nodes").get<int64_t>();
    m.num_edges = d.at("num_edges").get<int64_t>();
    m.num_features = d.at("num_features").get<int64_t>();
    m.num_classes = d.at("num_classes").get<int32_t>();
    m.num_train = d.at("num_train").get<int64_t>();
    m.num_valid = d.at("num_valid").get<int64_t>();
    m.num_test = d.at("num_test").get<int64_t>();
    m.options.num_parts = j.at("num_parts").get<int32_t>();
    m.options.method = parse_method(j.at("method").get<std::string>());
    m.options.balance = parse_balance(j.at("balance").get<std::string>());
    m.options.seed = j.at("seed").get<uint64_t>();
    m.options.ufactor = j.at("ufactor").get<int32_t>();
    m.halo_features = j.at("halo_features").get<bool>();
    m.edge_cut = j.at("edge_cut").at("edges").get<int64_t>();
    m.edge_cut_percent = j.at("edge_cut").at("percent").get<double>();
    m.replication_factor = j.at("replication_factor").get<double>();
    const auto& b = j.at("balance_max_over_avg");
    m.node_balance = b.at("nodes").get<double>();
    m.edge_balance = b.at("edges").get<double>();
    m.train_balance = b.at("train").get<double>();
    for (const auto& p : j.at("parts")) {
      PartSummary s;
      s.id = p.at("id").get<int32_t>();
      s.file = p.at("file").get<std::string>();
      s.sha256 = p.at("sha256").get<std::string>();
      s.bytes = p.at("bytes").get<int64_t>();
      s.owned = p.at("owned").get<int64_t>();
      s.inner = p.at("inner").get<int64_t>();
      s.boundary = p.at("boundary").get<int64_t>();
      s.halo = p.at("halo").get<int64_t>();
      s.edges = p.at("edges").get<int64_t>();
      s.train = p.at("train").get<int64_t>();
      s.send = p.at("send").get<int64_t>();
      m.parts.push_back(std::move(s));
    }
    for (const auto& phase : j.at("phase_seconds"))
      m.phase_seconds.emplace_back(phase.at("phase").get<std::string>(), phase.at("seconds").get<double>());
  } catch (const nlohmann::json::exception& e) {
    TANGO_FAIL_INPUT("'{}' is not a valid tango-partition manifest: {}", origin, e.what());
  }
  TANGO_CHECK_INPUT(m.options.num_parts >= 1 && static_cast<int64_t>(m.parts.size()) == m.options.num_parts,
                    "'{}' lists {} part files for num_parts = {}", origin, m.parts.size(),
                    m.options.num_parts);
  for (int32_t p = 0; p < m.options.num_parts; ++p)
    TANGO_CHECK_INPUT(m.parts[p].id == p && m.parts[p].file.find('/') == std::string::npos,
                      "'{}': part entry {} has id {} and file '{}', expected id {} and a plain file name",
                      origin, p, m.parts[p].id, m.parts[p].file, p);
  return m;
}

void write_manifest(const PartitionManifest& manifest, const std::string& dir) {
  io::write_file_atomic((std::filesystem::path(dir) / kManifestFileName).string(),
                        manifest_to_json(manifest).dump(2) + "\n");
}

PartitionManifest read_manifest(const std::string& dir) {
  const std::string path = (std::filesystem::path(dir) / kManifestFileName).string();
  std::ifstream in(path);
  TANGO_CHECK_INPUT(in.good(), "'{}' not found: '{}' is not a finished tango-partition directory", path, dir);
  std::stringstream text;
  text << in.rdbuf();
  nlohmann::json json = nlohmann::json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  TANGO_CHECK_INPUT(!json.is_discarded(), "'{}' is not valid JSON: re-run tango-partition", path);
  return manifest_from_json(json, path);
}

}  // namespace tango::partition
