#include "io/gzip_lines.h"

#include <omp.h>
#include <zlib.h>

#include <algorithm>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>

#include "core/error.h"

namespace tango::io {

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

// Inflates the file into two alternating buffers: block k lives in buffers_[k % 2], and the partial
// line at its end is copied to the front of the other buffer when block k + 1 is made. So block k stays
// intact while block k + 1 is being made, which is what lets the prefetcher run one block ahead.
class GzipLineReader::Decoder {
 public:
  Decoder(const std::string& path, size_t buffer_bytes) : path_(path) {
    for (std::vector<char>& buffer : buffers_) buffer.resize(buffer_bytes);
    file_ = gzopen(path_.c_str(), "rb");
    TANGO_CHECK_INPUT(file_ != nullptr, "cannot open '{}' for reading: check its permissions", path_);
    gzbuffer(file_, 1u << 20);  // zlib's input buffer; the default 8 KiB costs many read() calls
  }
  ~Decoder() { gzclose(file_); }

  bool next(LineBlock* block) {
    std::vector<char>& out = buffers_[turn_];
    const std::vector<char>& previous = buffers_[1 - turn_];
    size_t filled = carry_end_ - carry_begin_;
    if (out.size() <= filled) out.resize(2 * filled);
    std::memcpy(out.data(), previous.data() + carry_begin_, filled);
    for (;;) {
      read_into(out, &filled);
      if (at_eof_ || std::string_view(out.data(), filled).rfind('\n') != std::string_view::npos) break;
      out.resize(out.size() * 2);  // one line longer than the buffer
    }
    std::string_view text(out.data(), filled);
    if (text.empty()) return false;
    const size_t last_newline = text.rfind('\n');
    const size_t take = last_newline == std::string_view::npos ? text.size() : last_newline + 1;
    block->text = text.substr(0, take);
    block->first_line = next_line_;
    block->num_lines = count_newlines(block->text) + (block->text.back() == '\n' ? 0 : 1);
    next_line_ += block->num_lines;
    carry_begin_ = take;
    carry_end_ = filled;
    turn_ = 1 - turn_;
    return true;
  }

 private:
  // Reads until `out` is full or the file ends.
  void read_into(std::vector<char>& out, size_t* filled) {
    while (!at_eof_ && *filled < out.size()) {
      const size_t want = std::min(out.size() - *filled, kMaxReadBytes);
      const int got = gzread(file_, out.data() + *filled, static_cast<unsigned>(want));
      if (got > 0) *filled += static_cast<size_t>(got);
      if (got == static_cast<int>(want)) continue;
      int errnum = Z_OK;
      const char* message = gzerror(file_, &errnum);
      if (got < 0 || (errnum != Z_OK && errnum != Z_STREAM_END)) {
        std::string_view reason = message ? message : "unknown zlib error";
        if (reason.starts_with(path_ + ": ")) reason.remove_prefix(path_.size() + 2);  // zlib adds the path
        TANGO_FAIL_INPUT(
            "'{}': the gzip data is corrupt or truncated ({}) after line {}: re-create or re-download it",
            path_, reason, next_line_ - 1);
      }
      at_eof_ = gzeof(file_) != 0 || got == 0;
    }
  }

  const std::string& path_;
  gzFile file_ = nullptr;
  std::vector<char> buffers_[2];
  int turn_ = 0;                            // the buffer the next block goes into
  size_t carry_begin_ = 0, carry_end_ = 0;  // the partial line, in buffers_[1 - turn_]
  bool at_eof_ = false;
  int64_t next_line_ = 1;
};

// Calls decoder.next() on a thread, one block ahead of the consumer. A queue of one block: the
// producer starts block k + 2 only once the consumer has taken block k + 1 (and so let go of block k,
// whose buffer block k + 2 reuses).
class GzipLineReader::Prefetcher {
 public:
  explicit Prefetcher(Decoder& decoder) : decoder_(decoder), thread_([this] { run(); }) {}
  ~Prefetcher() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    changed_.notify_all();
    thread_.join();
  }

  bool next(LineBlock* block) {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [&] { return full_ || finished_; });
    if (!full_) return false;  // the producer ended (end of file or an error already reported)
    full_ = false;
    const Produced taken = pending_;
    lock.unlock();
    changed_.notify_all();
    if (taken.error) std::rethrow_exception(taken.error);
    *block = taken.block;
    return taken.has_block;
  }

 private:
  struct Produced {
    LineBlock block;
    bool has_block = false;
    std::exception_ptr error;
  };

  void run() {
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(mutex_);
        changed_.wait(lock, [&] { return !full_ || stop_; });
        if (stop_) break;
      }
      Produced produced;
      try {
        produced.has_block = decoder_.next(&produced.block);
      } catch (...) {
        produced.error = std::current_exception();
      }
      const bool last = !produced.has_block || produced.error;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        pending_ = produced;
        full_ = true;
        finished_ = last;
      }
      changed_.notify_all();
      if (last) break;
    }
  }

  Decoder& decoder_;
  std::mutex mutex_;
  std::condition_variable changed_;
  Produced pending_;
  bool full_ = false, finished_ = false, stop_ = false;
  std::thread thread_;  // last: starts once the state above exists
};

GzipLineReader::GzipLineReader(std::string path, size_t block_bytes) : path_(std::move(path)) {
  TANGO_CHECK_INPUT(std::filesystem::is_regular_file(path_),
                    "'{}' does not exist or is not a file: check the dataset folder", path_);
  // Small files (counts, labels, splits) get small buffers and no thread.
  const size_t file_bytes = static_cast<size_t>(std::filesystem::file_size(path_));
  const size_t likely_text_bytes = file_bytes * 16;
  const size_t buffer_bytes =
      std::max<size_t>(16, std::min(block_bytes, std::max<size_t>(likely_text_bytes, 64 << 10)));
  decoder_ = std::make_unique<Decoder>(path_, buffer_bytes);
  if (likely_text_bytes > 2 * buffer_bytes) prefetcher_ = std::make_unique<Prefetcher>(*decoder_);
}

GzipLineReader::~GzipLineReader() = default;

int GzipLineReader::parse_threads() const {
  return std::max(1, omp_get_max_threads() - (prefetcher_ ? 1 : 0));
}

bool GzipLineReader::next_block(LineBlock* block) {
  const bool has_block = prefetcher_ ? prefetcher_->next(block) : decoder_->next(block);
  if (has_block) lines_read_ = block->first_line - 1 + block->num_lines;
  return has_block;
}

namespace detail {

ParsePlan plan_parse(size_t bytes, int max_threads) {
  constexpr size_t kMinBytesPerThread = size_t{256} << 10;
  constexpr size_t kMinBytesPerRange = size_t{64} << 10;
  constexpr size_t kRangesPerThread = 8;
  const size_t threads =
      std::clamp<size_t>(bytes / kMinBytesPerThread, 1, static_cast<size_t>(std::max(1, max_threads)));
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

}  // namespace tango::io
