// The metrics stream of a run: one JSON object per line (JSONL), flushed after every line so that a
// crashed or running job can still be read and plotted; plus the final summary JSON, written
// atomically. Only rank 0 writes; other ranks hold a disabled writer.
#pragma once

#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

namespace tango::io {

class MetricsWriter {
 public:
  MetricsWriter() = default;  // disabled: append() does nothing
  // Opens `path` for appending (append = resume) or truncates it.
  MetricsWriter(const std::string& path, bool append);
  ~MetricsWriter();
  MetricsWriter(MetricsWriter&& other) noexcept;
  MetricsWriter& operator=(MetricsWriter&& other) noexcept;
  MetricsWriter(const MetricsWriter&) = delete;
  MetricsWriter& operator=(const MetricsWriter&) = delete;

  bool enabled() const { return file_ != nullptr; }
  void append(const nlohmann::json& record);

 private:
  std::FILE* file_ = nullptr;
  std::string path_;
};

// Reads a JSONL file back (for tests, tools and resume checks); a malformed line is an input error
// naming the file and the line number.
std::vector<nlohmann::json> read_jsonl(const std::string& path);

// Resuming after `epoch`: keeps only the lines of `path` whose "epoch" is <= `epoch` (and lines without
// one), byte for byte, so that the epochs run again are not listed twice. Rewritten atomically (temp
// name, fsync, rename); a missing file is left missing. A torn last line (no newline: the run was
// killed mid-write) is dropped; any other malformed line is an input error naming the file and line.
void keep_metrics_through_epoch(const std::string& path, int64_t epoch);

// Writes a JSON document atomically, pretty-printed.
void write_json_atomic(const std::string& path, const nlohmann::json& document);

}  // namespace tango::io
