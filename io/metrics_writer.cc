#include "io/metrics_writer.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/error.h"
#include "io/atomic_file.h"

namespace tango::io {

MetricsWriter::MetricsWriter(const std::string& path, bool append) : path_(path) {
  file_ = std::fopen(path.c_str(), append ? "a" : "w");
  TANGO_CHECK_INPUT(file_ != nullptr,
                    "cannot open metrics file '{}': {} (check the folder exists and is writable)", path,
                    std::strerror(errno));
}

MetricsWriter::~MetricsWriter() {
  if (file_) std::fclose(file_);
}

MetricsWriter::MetricsWriter(MetricsWriter&& other) noexcept
    : file_(other.file_), path_(std::move(other.path_)) {
  other.file_ = nullptr;
}

MetricsWriter& MetricsWriter::operator=(MetricsWriter&& other) noexcept {
  if (this != &other) {
    if (file_) std::fclose(file_);
    file_ = other.file_;
    path_ = std::move(other.path_);
    other.file_ = nullptr;
  }
  return *this;
}

void MetricsWriter::append(const nlohmann::json& record) {
  if (!file_) return;
  std::string line = record.dump() + "\n";
  if (std::fwrite(line.data(), 1, line.size(), file_) != line.size() || std::fflush(file_) != 0)
    TANGO_FAIL("writing metrics file '{}' failed (disk full?)", path_);
}

std::vector<nlohmann::json> read_jsonl(const std::string& path) {
  std::ifstream in(path);
  TANGO_CHECK_INPUT(in.good(), "cannot read '{}': no such file", path);
  std::vector<nlohmann::json> records;
  std::string line;
  for (int64_t number = 1; std::getline(in, line); ++number) {
    if (line.empty()) continue;
    try {
      records.push_back(nlohmann::json::parse(line));
    } catch (const nlohmann::json::parse_error& e) {
      TANGO_FAIL_INPUT("'{}' line {} is not JSON: {}", path, number, e.what());
    }
  }
  return records;
}

void keep_metrics_through_epoch(const std::string& path, int64_t epoch) {
  std::ifstream in(path, std::ios::binary);
  if (!in.good()) return;
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string contents = buffer.str();
  std::string kept;
  size_t start = 0;
  for (int64_t number = 1; start < contents.size(); ++number) {
    const size_t end = contents.find('\n', start);
    const bool torn = end == std::string::npos;
    const std::string line = contents.substr(start, torn ? std::string::npos : end - start);
    start = torn ? contents.size() : end + 1;
    if (line.empty()) continue;
    nlohmann::json record;
    try {
      record = nlohmann::json::parse(line);
    } catch (const nlohmann::json::parse_error& e) {
      if (torn) break;  // the last line of a killed run
      TANGO_FAIL_INPUT("'{}' line {} is not JSON: {} (fix or remove the metrics file to resume)", path,
                       number, e.what());
    }
    if (record.is_object() && record.contains("epoch") && record["epoch"].is_number_integer() &&
        record["epoch"].get<int64_t>() > epoch)
      continue;
    kept += line;
    kept += '\n';
  }
  write_file_atomic(path, kept);
}

void write_json_atomic(const std::string& path, const nlohmann::json& document) {
  write_file_atomic(path, document.dump(2) + "\n");
}

}  // namespace tango::io
