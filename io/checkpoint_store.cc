#include "io/checkpoint_store.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "core/error.h"
#include "io/atomic_file.h"
#include "io/content_hash.h"
#include "io/hdf5_file.h"

namespace tango::io {

namespace fs = std::filesystem;

namespace {

constexpr const char* kFormat = "tango-checkpoint";

// Parses "ckpt-e000010.h5" into 10.
bool parse_name(const std::string& name, int64_t* epoch) {
  long long e = 0;
  int consumed = 0;
  if (std::sscanf(name.c_str(), "ckpt-e%lld.h5%n", &e, &consumed) != 1) return false;
  if (static_cast<size_t>(consumed) != name.size() || e < 0) return false;
  *epoch = e;
  return true;
}

// Everything a checkpoint holds, hashed in a fixed order (tensors by name: the map's order).
uint64_t content_checksum(const Checkpoint& ckpt) {
  ContentHash hash;
  hash.add_u64(static_cast<uint64_t>(kCheckpointFormatVersion));
  hash.add_u64(static_cast<uint64_t>(ckpt.epoch));
  hash.add_u64(ckpt.rng_state);
  hash.add_u64(static_cast<uint64_t>(ckpt.num_ranks));
  hash.add_string(ckpt.config_hash);
  hash.add_string(ckpt.config);
  hash.add_string(ckpt.dataset.name);
  hash.add_u64(static_cast<uint64_t>(ckpt.dataset.nodes));
  hash.add_u64(static_cast<uint64_t>(ckpt.dataset.edges));
  hash.add_u64(ckpt.dataset.checksum);
  for (const auto& [name, tensor] : ckpt.tensors) {
    hash.add_string(name);
    hash.add_u64(static_cast<uint64_t>(tensor.dtype()));
    hash.add_u64(static_cast<uint64_t>(tensor.ndim()));
    for (int d = 0; d < tensor.ndim(); ++d) hash.add_u64(static_cast<uint64_t>(tensor.shape().dims[d]));
    hash.add_bytes(tensor.raw_data(), tensor.nbytes());
  }
  return hash.value();
}

uint64_t hex_attr(const H5File& h5, const std::string& name) {
  uint64_t value = 0;
  const std::string text = h5.attr_string(name);
  TANGO_CHECK_INPUT(parse_hex64(text, &value), "attribute '{}' = '{}' is not 16 hex digits", name, text);
  return value;
}

Checkpoint read_checkpoint(const std::string& path) {
  H5File h5 = H5File::open_read(path);
  TANGO_CHECK_INPUT(h5.has_attr("format") && h5.attr_string("format") == kFormat,
                    "it is not a tango-train checkpoint (no format = \"{}\" attribute)", kFormat);
  const int64_t version = h5.attr_int("format_version");
  TANGO_CHECK_INPUT(version == kCheckpointFormatVersion,
                    "it has format version {}, this build reads version {}", version,
                    kCheckpointFormatVersion);
  Checkpoint ckpt;
  ckpt.epoch = h5.attr_int("epoch");
  ckpt.rng_state = static_cast<uint64_t>(h5.attr_int("rng_state"));
  ckpt.num_ranks = h5.attr_int("num_ranks");
  ckpt.config_hash = h5.attr_string("config_hash");
  ckpt.config = h5.attr_string("config");
  ckpt.dataset.name = h5.attr_string("dataset_name");
  ckpt.dataset.nodes = h5.attr_int("dataset_nodes");
  ckpt.dataset.edges = h5.attr_int("dataset_edges");
  ckpt.dataset.checksum = hex_attr(h5, "dataset_checksum");
  if (h5.has("/tensors"))
    for (const std::string& name : h5.list("/tensors")) ckpt.tensors[name] = h5.read("/tensors/" + name);
  const uint64_t stored = hex_attr(h5, "content_checksum");
  const uint64_t computed = content_checksum(ckpt);
  TANGO_CHECK_INPUT(stored == computed, "its contents do not match their checksum ({} stored, {} computed)",
                    hex64(stored), hex64(computed));
  return ckpt;
}

}  // namespace

CheckpointStore::CheckpointStore(std::string dir) : dir_(std::move(dir)) {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  TANGO_CHECK_INPUT(fs::is_directory(dir_), "checkpoint directory '{}' cannot be created: {}", dir_,
                    ec.message());
}

std::string CheckpointStore::path_for(int64_t epoch) const {
  return (fs::path(dir_) / fmt::format("ckpt-e{:06d}.h5", epoch)).string();
}

void CheckpointStore::save(const Checkpoint& ckpt, int keep) const {
  {
    AtomicFile file(path_for(ckpt.epoch));
    H5File h5 = H5File::create(file.temp_path());
    h5.set_attr("format", kFormat);
    h5.set_attr("format_version", kCheckpointFormatVersion);
    h5.set_attr("epoch", ckpt.epoch);
    h5.set_attr("rng_state", static_cast<int64_t>(ckpt.rng_state));
    h5.set_attr("num_ranks", ckpt.num_ranks);
    h5.set_attr("config_hash", ckpt.config_hash);
    h5.set_attr("config", ckpt.config);
    h5.set_attr("dataset_name", ckpt.dataset.name);
    h5.set_attr("dataset_nodes", ckpt.dataset.nodes);
    h5.set_attr("dataset_edges", ckpt.dataset.edges);
    h5.set_attr("dataset_checksum", hex64(ckpt.dataset.checksum));
    Checkpoint on_host = ckpt;
    for (auto& [name, tensor] : on_host.tensors) {
      tensor = tensor.to(Device::cpu());
      h5.write("/tensors/" + name, tensor);
    }
    h5.set_attr("content_checksum", hex64(content_checksum(on_host)));
    h5.close();
    file.commit();
  }
  const std::vector<int64_t> all = epochs();
  const size_t kept = static_cast<size_t>(std::max(keep, 1));
  for (size_t i = 0; i + kept < all.size(); ++i) fs::remove(path_for(all[i]));
}

std::vector<int64_t> CheckpointStore::epochs() const {
  std::vector<int64_t> found;
  for (const auto& entry : fs::directory_iterator(dir_)) {
    int64_t e = 0;
    if (entry.is_regular_file() && parse_name(entry.path().filename().string(), &e)) found.push_back(e);
  }
  std::sort(found.begin(), found.end());
  return found;
}

std::optional<int64_t> CheckpointStore::latest_epoch() const {
  const std::vector<int64_t> all = epochs();
  if (all.empty()) return std::nullopt;
  return all.back();
}

Checkpoint CheckpointStore::load(int64_t epoch) const {
  const std::string path = path_for(epoch);
  try {
    return read_checkpoint(path);
  } catch (const Error& e) {
    // A damaged file reads as anything from "not HDF5" to a failed dataset read: one input error.
    TANGO_FAIL_INPUT(
        "checkpoint '{}' cannot be resumed: {}. It is damaged or was not written by this build's "
        "tango-train: remove it to resume from an older checkpoint in '{}', or start a new "
        "--checkpoint-dir",
        path, e.what(), dir_);
  }
}

}  // namespace tango::io
