#include "io/checkpoint_store.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <vector>

#include "core/error.h"
#include "io/atomic_file.h"
#include "io/hdf5_file.h"

namespace tango {

namespace fs = std::filesystem;

namespace {
// 2: the trainer's halo state (adaptive bit policy, exchange counts) is saved; a version-1 file
// lacks it and would resume with different halo messages, so it is refused.
constexpr int64_t kFormatVersion = 2;

// Parses "ckpt-e000010-r0003.h5" into (10, 3).
bool parse_name(const std::string& name, int64_t* epoch, int* rank) {
  long long e = 0;
  int r = 0, consumed = 0;
  if (std::sscanf(name.c_str(), "ckpt-e%lld-r%d.h5%n", &e, &r, &consumed) != 2) return false;
  if (static_cast<size_t>(consumed) != name.size()) return false;
  *epoch = e;
  *rank = r;
  return true;
}
}  // namespace

CheckpointStore::CheckpointStore(std::string dir, int rank, int num_ranks)
    : dir_(std::move(dir)), rank_(rank), num_ranks_(num_ranks) {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  TANGO_CHECK_INPUT(fs::is_directory(dir_), "checkpoint directory '{}' cannot be created: {}", dir_,
                    ec.message());
}

std::string CheckpointStore::path_for(int64_t epoch, int rank) const {
  return (fs::path(dir_) / fmt::format("ckpt-e{:06d}-r{:04d}.h5", epoch, rank)).string();
}

void CheckpointStore::save(const Checkpoint& ckpt, int keep) const {
  {
    AtomicFile file(path_for(ckpt.epoch, rank_));
    H5File h5 = H5File::create(file.temp_path());
    h5.set_attr("format_version", kFormatVersion);
    h5.set_attr("epoch", ckpt.epoch);
    h5.set_attr("rng_state", static_cast<int64_t>(ckpt.rng_state));
    h5.set_attr("config_hash", ckpt.config_hash);
    h5.set_attr("rank", static_cast<int64_t>(rank_));
    h5.set_attr("num_ranks", static_cast<int64_t>(num_ranks_));
    for (const auto& [name, tensor] : ckpt.tensors) h5.write("/tensors/" + name, tensor.to(Device::cpu()));
    h5.close();
    file.commit();
  }
  // Drop this rank's older checkpoints beyond `keep`.
  std::vector<int64_t> epochs;
  for (const auto& entry : fs::directory_iterator(dir_)) {
    int64_t e;
    int r;
    if (parse_name(entry.path().filename().string(), &e, &r) && r == rank_) epochs.push_back(e);
  }
  std::sort(epochs.rbegin(), epochs.rend());
  for (size_t i = static_cast<size_t>(std::max(keep, 1)); i < epochs.size(); ++i)
    fs::remove(path_for(epochs[i], rank_));
}

std::optional<int64_t> CheckpointStore::latest_complete_epoch() const {
  std::map<int64_t, std::set<int>> ranks_by_epoch;
  for (const auto& entry : fs::directory_iterator(dir_)) {
    int64_t e;
    int r;
    if (parse_name(entry.path().filename().string(), &e, &r) && r < num_ranks_) ranks_by_epoch[e].insert(r);
  }
  for (auto it = ranks_by_epoch.rbegin(); it != ranks_by_epoch.rend(); ++it)
    if (static_cast<int>(it->second.size()) == num_ranks_) return it->first;
  return std::nullopt;
}

Checkpoint CheckpointStore::load(int64_t epoch, const std::string& expect_hash) const {
  std::string path = path_for(epoch, rank_);
  H5File h5 = H5File::open_read(path);
  TANGO_CHECK_INPUT(h5.attr_int("format_version") == kFormatVersion,
                    "checkpoint '{}' has format version {}, this build reads only {}: it cannot be resumed "
                    "bit-identically; train again into a new --checkpoint-dir",
                    path, h5.attr_int("format_version"), kFormatVersion);
  TANGO_CHECK_INPUT(
      h5.attr_int("num_ranks") == num_ranks_,
      "checkpoint '{}' was written by {} ranks, this run has {}: resume with the same rank count", path,
      h5.attr_int("num_ranks"), num_ranks_);
  Checkpoint ckpt;
  ckpt.epoch = h5.attr_int("epoch");
  ckpt.rng_state = static_cast<uint64_t>(h5.attr_int("rng_state"));
  ckpt.config_hash = h5.attr_string("config_hash");
  TANGO_CHECK_INPUT(
      expect_hash.empty() || ckpt.config_hash == expect_hash,
      "checkpoint '{}' belongs to another configuration (hash {} vs {}): use a new --checkpoint-dir "
      "or the original flags",
      path, ckpt.config_hash, expect_hash);
  if (h5.has("/tensors"))
    for (const std::string& name : h5.list("/tensors")) ckpt.tensors[name] = h5.read("/tensors/" + name);
  return ckpt;
}

}  // namespace tango
