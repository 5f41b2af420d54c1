#include "io/gzip_lines.h"

#include <omp.h>

#include <algorithm>
#include <filesystem>

#include "core/error.h"

namespace tango {

namespace {

// zlib's gzread takes an unsigned int length; read big files in pieces of at most this size.
constexpr size_t kMaxReadBytes = size_t{1} << 30;

int64_t count_newlines(std::string_view text) {
  int64_t count = 0;
  const char* p = text.data();
  const char* end = p + text.size();
  while (p < end) {
    const void* nl = std::memchr(p, '\n', static_cast<size_t>(end - p));
    if (!nl) break;
    ++count;
    p = static_cast<const char*>(nl) + 1;
  }
  return count;
}

}  // namespace

GzipLineReader::GzipLineReader(std::string path, size_t block_bytes) : path_(std::move(path)) {
  TANGO_CHECK_INPUT(std::filesystem::is_regular_file(path_),
                    "'{}' does not exist or is not a file: check the dataset folder", path_);
  // Small files (counts, labels, splits) get a small buffer: no need to clear 8 MiB for 10 bytes.
  const size_t likely_text_bytes = static_cast<size_t>(std::filesystem::file_size(path_)) * 16;
  buffer_.resize(std::max<size_t>(16, std::min(block_bytes, std::max<size_t>(likely_text_bytes, 64 << 10))));
  file_ = gzopen(path_.c_str(), "rb");
  TANGO_CHECK_INPUT(file_ != nullptr, "cannot open '{}' for reading: check its permissions", path_);
  gzbuffer(file_, 1u << 20);  // zlib's input buffer; the default 8 KiB costs many read() calls
}

GzipLineReader::~GzipLineReader() {
  if (file_) gzclose(file_);
}

void GzipLineReader::fill() {
  // Keep the partial line at the front, then read until the buffer is full or the file ends.
  if (carry_begin_ > 0) {
    std::memmove(buffer_.data(), buffer_.data() + carry_begin_, carry_end_ - carry_begin_);
    carry_end_ -= carry_begin_;
    carry_begin_ = 0;
  }
  if (carry_end_ == buffer_.size()) buffer_.resize(buffer_.size() * 2);  // one line longer than a block
  while (!at_eof_ && carry_end_ < buffer_.size()) {
    size_t want = std::min(buffer_.size() - carry_end_, kMaxReadBytes);
    int got = gzread(file_, buffer_.data() + carry_end_, static_cast<unsigned>(want));
    if (got > 0) carry_end_ += static_cast<size_t>(got);
    if (got < static_cast<int>(want)) {
      int errnum = Z_OK;
      const char* message = gzerror(file_, &errnum);
      if (got < 0 || (errnum != Z_OK && errnum != Z_STREAM_END)) {
        std::string_view reason = message ? message : "unknown zlib error";
        if (reason.starts_with(path_ + ": "))
          reason.remove_prefix(path_.size() + 2);  // zlib prefixes the path
        TANGO_FAIL_INPUT(
            "'{}': the gzip data is corrupt or truncated ({}) after line {}: re-create or re-download it",
            path_, reason, next_line_ - 1);
      }
      at_eof_ = gzeof(file_) != 0 || got == 0;
    }
  }
}

bool GzipLineReader::next_block(LineBlock* block) {
  for (;;) {
    fill();
    std::string_view pending(buffer_.data() + carry_begin_, carry_end_ - carry_begin_);
    if (pending.empty()) return false;
    size_t last_newline = pending.rfind('\n');
    size_t take;
    if (last_newline != std::string_view::npos)
      take = last_newline + 1;
    else if (at_eof_)
      take = pending.size();  // the file's last line, without '\n'
    else
      continue;  // a line longer than the buffer: fill() grows it
    block->text = pending.substr(0, take);
    block->first_line = next_line_;
    block->num_lines = count_newlines(block->text) + (block->text.back() == '\n' ? 0 : 1);
    next_line_ += block->num_lines;
    carry_begin_ += take;
    return true;
  }
}

namespace detail {

ParsePlan plan_parse(size_t bytes) {
  constexpr size_t kMinBytesPerThread = size_t{256} << 10;
  constexpr size_t kMinBytesPerRange = size_t{64} << 10;
  constexpr size_t kRangesPerThread = 8;
  const size_t threads = std::clamp<size_t>(bytes / kMinBytesPerThread, 1, omp_get_max_threads());
  const size_t ranges = std::clamp<size_t>(bytes / kMinBytesPerRange, 1, threads * kRangesPerThread);
  return {static_cast<int>(threads), static_cast<int>(ranges)};
}

std::vector<LineRange> split_line_ranges(const LineBlock& block, int parts) {
  std::string_view text = block.text;
  std::vector<LineRange> ranges;
  size_t begin = 0;
  int64_t line = block.first_line;
  for (int p = 1; p <= parts && begin < text.size(); ++p) {
    size_t end = text.size();
    if (p < parts) {
      size_t target = std::max(begin, text.size() * static_cast<size_t>(p) / static_cast<size_t>(parts));
      size_t nl = text.find('\n', target);
      end = nl == std::string_view::npos ? text.size() : nl + 1;
    }
    ranges.push_back({begin, end, line});
    line += count_newlines(text.substr(begin, end - begin));
    begin = end;
  }
  return ranges;
}

}  // namespace detail

}  // namespace tango
