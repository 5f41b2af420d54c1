// Streaming reader of gzip (or plain) text files through zlib, handing out blocks of whole lines
// with the 1-based number of their first line, so parsers can report "file:line" and parse a block's
// lines in parallel. No allocation per line: a block is a view into one reusable buffer.
//
//   GzipLineReader reader(path);
//   LineBlock block;
//   while (reader.next_block(&block))
//     for_each_line_parallel(block, reader.parse_threads(), [&](std::string_view line, int64_t n) { ... });
//
// Lines end at '\n'; a trailing '\r' is dropped; a file's last line needs no '\n'.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstring>
#include <exception>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace tango::io {

struct LineBlock {
  std::string_view text;   // whole lines, each ending in '\n' except possibly the file's last
  int64_t first_line = 1;  // 1-based number of the block's first line in the file
  int64_t num_lines = 0;
};

class GzipLineReader {
 public:
  // Opens `path` (gzip detected by its magic bytes; plain text is read as is). A missing or
  // unreadable file is an input error naming it. Files of more than a few blocks are decompressed
  // one block ahead on a background thread, so inflating overlaps with parsing.
  explicit GzipLineReader(std::string path, size_t block_bytes = size_t{8} << 20);
  ~GzipLineReader();
  GzipLineReader(const GzipLineReader&) = delete;
  GzipLineReader& operator=(const GzipLineReader&) = delete;

  const std::string& path() const { return path_; }
  // The next run of whole lines (at least one line unless at the end); false once the file is done.
  // The view stays valid until the next call. Corrupt or truncated gzip data is an input error.
  bool next_block(LineBlock* block);
  // Lines handed out so far.
  int64_t lines_read() const { return lines_read_; }
  // Threads worth parsing blocks with: OpenMP's thread count, less the core the background thread
  // inflates on. (With 2 cores, parsing on the calling thread alone keeps pace with zlib and does not
  // pay OpenMP's spin-waits; on a busy machine that is markedly faster.)
  int parse_threads() const;

 private:
  class Decoder;     // zlib and the two block buffers
  class Prefetcher;  // runs the decoder one block ahead on its own thread

  std::string path_;
  std::unique_ptr<Decoder> decoder_;
  std::unique_ptr<Prefetcher> prefetcher_;  // declared after decoder_: stopped before it is closed
  int64_t lines_read_ = 0;
};

// Calls fn(line, line_number) for every line of the file at `path`, in order, on this thread (for
// small files: counts, labels, id lists).
template <class Fn>
void for_each_file_line(const std::string& path, Fn&& fn);

// Calls fn(line, line_number) for every line of the block, splitting it across up to `max_threads`
// OpenMP threads when it is large. If calls throw, the exception from the lowest line number is
// rethrown after all threads stop, so errors are deterministic whatever the thread count.
template <class Fn>
void for_each_line_parallel(const LineBlock& block, int max_threads, Fn&& fn);

// ---- implementation ----------------------------------------------------------------------------

namespace detail {
struct LineRange {
  size_t begin = 0, end = 0;  // byte offsets into the block's text, at line starts
  int64_t first_line = 0;
};
// Cuts the block into up to `parts` ranges of about equal bytes, each starting at a line start.
std::vector<LineRange> split_line_ranges(const LineBlock& block, int parts);
// How to parse `bytes` of text: threads (1 when too small to be worth it) and ranges. Several ranges
// per thread, handed out dynamically, so a thread the OS preempts on a busy machine holds up one
// small range, not half the block.
struct ParsePlan {
  int threads = 1;
  int ranges = 1;
};
ParsePlan plan_parse(size_t bytes, int max_threads);

inline std::string_view strip_cr(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

template <class Fn>
void for_each_line_in(std::string_view text, int64_t line_number, Fn&& fn) {
  size_t pos = 0;
  while (pos < text.size()) {
    const void* nl = std::memchr(text.data() + pos, '\n', text.size() - pos);
    size_t end = nl ? static_cast<size_t>(static_cast<const char*>(nl) - text.data()) : text.size();
    fn(strip_cr(text.substr(pos, end - pos)), line_number++);
    pos = end + 1;
  }
}
}  // namespace detail

template <class Fn>
void for_each_line_parallel(const LineBlock& block, int max_threads, Fn&& fn) {
  const detail::ParsePlan plan = detail::plan_parse(block.text.size(), max_threads);
  if (plan.threads <= 1) {
    detail::for_each_line_in(block.text, block.first_line, fn);
    return;
  }
  const std::vector<detail::LineRange> ranges = detail::split_line_ranges(block, plan.ranges);
  std::vector<std::exception_ptr> errors(ranges.size());
  std::atomic<size_t> first_failed{ranges.size()};  // ranges after it need not be parsed
#pragma omp parallel for schedule(dynamic, 1) num_threads(plan.threads)
  for (size_t r = 0; r < ranges.size(); ++r) {
    if (r > first_failed.load(std::memory_order_relaxed)) continue;
    try {
      const detail::LineRange& range = ranges[r];
      detail::for_each_line_in(block.text.substr(range.begin, range.end - range.begin), range.first_line, fn);
    } catch (...) {
      errors[r] = std::current_exception();
      size_t seen = first_failed.load();
      while (r < seen && !first_failed.compare_exchange_weak(seen, r)) {
      }
    }
  }
  for (const std::exception_ptr& error : errors)
    if (error) std::rethrow_exception(error);
}

template <class Fn>
void for_each_file_line(const std::string& path, Fn&& fn) {
  GzipLineReader reader(path);
  LineBlock block;
  while (reader.next_block(&block)) detail::for_each_line_in(block.text, block.first_line, fn);
}

}  // namespace tango::io
