#include "trainer/legacy_checkpoints.h"

#include <fmt/format.h>
#include <zlib.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <vector>

#include "core/error.h"
#include "io/hdf5_file.h"

namespace tango::trainer {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kFormat2 = 2;
constexpr size_t kFormat2WindowFields = 6;  // calls, decisions, then the 4 EncodeStats sums' bit patterns
constexpr size_t kFormat2WindowSums = 4;

std::string rank_file(const std::string& dir, int64_t epoch, int64_t rank) {
  return (fs::path(dir) / fmt::format("ckpt-e{:06d}-r{:04d}.h5", epoch, rank)).string();
}

// epoch -> ranks with a file, from names like "ckpt-e000010-r0003.h5".
std::map<int64_t, std::set<int64_t>> per_rank_files(const std::string& dir) {
  std::map<int64_t, std::set<int64_t>> found;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    long long epoch = 0;
    int rank = 0, consumed = 0;
    if (std::sscanf(name.c_str(), "ckpt-e%lld-r%d.h5%n", &epoch, &rank, &consumed) == 2 &&
        static_cast<size_t>(consumed) == name.size())
      found[epoch].insert(rank);
  }
  return found;
}

}  // namespace

std::string format2_config_hash(const TrainConfig& config) {
  nlohmann::json j = config.to_json();
  j.erase("epochs");
  j.erase("parts");
  j.erase("device");
  const std::string text = j.dump();
  const uLong crc = crc32(0L, reinterpret_cast<const Bytef*>(text.data()), static_cast<uInt>(text.size()));
  const uLong adler =
      adler32(1L, reinterpret_cast<const Bytef*>(text.data()), static_cast<uInt>(text.size()));
  return fmt::format("{:08x}{:08x}", crc, adler);
}

std::optional<int64_t> latest_per_rank_epoch(const std::string& dir) {
  const auto found = per_rank_files(dir);
  for (auto it = found.rbegin(); it != found.rend(); ++it) {
    if (!it->second.count(0)) continue;
    int64_t ranks = 0;
    try {
      ranks = io::H5File::open_read(rank_file(dir, it->first, 0)).attr_int("num_ranks");
    } catch (const Error&) {
      continue;  // a damaged rank-0 file: an older epoch may be whole
    }
    bool complete = ranks >= 1;
    for (int64_t r = 0; r < ranks && complete; ++r) complete = it->second.count(r) > 0;
    if (complete) return it->first;
  }
  return std::nullopt;
}

io::Checkpoint read_per_rank_checkpoints(const std::string& dir, int64_t epoch, const TrainConfig& config) {
  const std::string expected_hash = format2_config_hash(config);
  io::Checkpoint merged;
  std::vector<int64_t> window_counts, window_sums;
  for (int64_t r = 0; r < merged.num_ranks; ++r) {  // merged.num_ranks comes from rank 0's file
    const std::string path = rank_file(dir, epoch, r);
    io::H5File h5 = io::H5File::open_read(path);
    TANGO_CHECK_INPUT(h5.has_attr("format_version") && h5.attr_int("format_version") == kFormat2,
                      "'{}' is named like a per-rank checkpoint of format 2 but is not one", path);
    const int64_t ranks = h5.attr_int("num_ranks");
    TANGO_CHECK_INPUT(h5.attr_int("epoch") == epoch && h5.attr_int("rank") == r && ranks >= 1,
                      "'{}' holds epoch {} of rank {} of {}, not what its name says", path,
                      h5.attr_int("epoch"), h5.attr_int("rank"), ranks);
    const std::string hash = h5.attr_string("config_hash");
    TANGO_CHECK_INPUT(
        hash == expected_hash,
        "per-rank checkpoint '{}' belongs to another configuration (hash {}, these flags give {}; "
        "format 2 kept only the hash, with the input's location in it): resume with the flags "
        "and --parts / --dataset it was written with, or start a new --checkpoint-dir",
        path, hash, expected_hash);
    if (r == 0) {
      merged.num_ranks = ranks;
      merged.epoch = epoch;
      merged.rng_state = static_cast<uint64_t>(h5.attr_int("rng_state"));
      merged.config_hash = config.hash();  // the format-3 hash of the configuration just checked
      merged.config = config.math_json().dump();
      for (const std::string& name : h5.list("/tensors")) merged.tensors[name] = h5.read("/tensors/" + name);
    }
    TANGO_CHECK_INPUT(ranks == merged.num_ranks, "'{}' was written by {} ranks, rank 0's file by {}", path,
                      ranks, merged.num_ranks);
    const std::vector<int64_t> windows = h5.read("/tensors/halo.policy.windows").to_vector<int64_t>();
    TANGO_CHECK_INPUT(windows.size() % kFormat2WindowFields == 0, "'{}': halo.policy.windows has {} values",
                      path, windows.size());
    for (size_t w = 0; w < windows.size(); w += kFormat2WindowFields) {
      if (r == 0) window_counts.insert(window_counts.end(), {windows[w], windows[w + 1]});
      window_sums.insert(window_sums.end(), windows.begin() + static_cast<std::ptrdiff_t>(w + 2),
                         windows.begin() + static_cast<std::ptrdiff_t>(w + 2 + kFormat2WindowSums));
    }
  }
  merged.tensors["halo.policy.windows"] = Tensor::from(window_counts);
  merged.tensors["halo.policy.window_sums"] = Tensor::from(window_sums);
  return merged;
}

}  // namespace tango::trainer
