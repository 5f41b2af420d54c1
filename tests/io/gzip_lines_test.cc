#include "io/gzip_lines.h"

#include <gtest/gtest.h>
#include <omp.h>

#include <atomic>
#include <string>
#include <vector>

#include "io/csv_fields.h"
#include "tests/common/test_data.h"
#include "tests/io/io_test_util.h"

namespace tango::io {
namespace {

using testing::TempDir;

// Every line of `path` with its number, read through blocks of `block_bytes`.
std::vector<std::pair<int64_t, std::string>> read_all(const std::string& path, size_t block_bytes) {
  std::vector<std::pair<int64_t, std::string>> lines;
  GzipLineReader reader(path, block_bytes);
  LineBlock block;
  while (reader.next_block(&block)) {
    int64_t before = static_cast<int64_t>(lines.size());
    EXPECT_EQ(block.first_line, before + 1);
    detail::for_each_line_in(block.text, block.first_line, [&](std::string_view line, int64_t n) {
      lines.emplace_back(n, std::string(line));
    });
    EXPECT_EQ(static_cast<int64_t>(lines.size()) - before, block.num_lines);
  }
  EXPECT_EQ(reader.lines_read(), static_cast<int64_t>(lines.size()));
  return lines;
}

std::string numbered_lines(int count) {
  std::string text;
  for (int i = 1; i <= count; ++i) text += "line " + std::to_string(i) + "\n";
  return text;
}

TEST(GzipLineReader, NumbersLinesFromOneAcrossSmallBlocks) {
  TempDir tmp;
  testing::write_gzip(tmp.file("a.gz"), numbered_lines(1000));
  auto lines = read_all(tmp.file("a.gz"), 64);  // 64-byte blocks: a line never straddles silently
  ASSERT_EQ(lines.size(), 1000u);
  for (int i = 0; i < 1000; ++i) {
    EXPECT_EQ(lines[i].first, i + 1);
    EXPECT_EQ(lines[i].second, "line " + std::to_string(i + 1));
  }
}

TEST(GzipLineReader, ReadsPlainTextTheSameAsGzip) {
  TempDir tmp;
  const std::string text = numbered_lines(50);
  testing::write_gzip(tmp.file("a.gz"), text);
  testing::write_plain(tmp.file("a.txt"), text);
  EXPECT_EQ(read_all(tmp.file("a.gz"), 100), read_all(tmp.file("a.txt"), 100));
}

TEST(GzipLineReader, KeepsALastLineWithoutNewlineAndDropsCarriageReturns) {
  TempDir tmp;
  testing::write_gzip(tmp.file("a.gz"), "1,2\r\n\r\n3,4");
  auto lines = read_all(tmp.file("a.gz"), 4096);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0].second, "1,2");
  EXPECT_EQ(lines[1].second, "");
  EXPECT_EQ(lines[2].second, "3,4");
  EXPECT_EQ(lines[2].first, 3);
}

TEST(GzipLineReader, GrowsItsBufferForALineLongerThanABlock) {
  TempDir tmp;
  const std::string long_line(10000, 'x');
  testing::write_gzip(tmp.file("a.gz"), "short\n" + long_line + "\nend\n");
  auto lines = read_all(tmp.file("a.gz"), 4096);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[1].second, long_line);
  EXPECT_EQ(lines[2].first, 3);
}

TEST(GzipLineReader, AnEmptyFileHasNoLines) {
  TempDir tmp;
  testing::write_gzip(tmp.file("a.gz"), "");
  EXPECT_TRUE(read_all(tmp.file("a.gz"), 4096).empty());
}

TEST(GzipLineReader, MissingFileIsAnInputErrorNamingIt) {
  TempDir tmp;
  testing::expect_input_error([&] { GzipLineReader reader(tmp.file("nope.csv.gz")); },
                              {tmp.file("nope.csv.gz"), "does not exist"});
}

TEST(GzipLineReader, TruncatedGzipIsAnInputErrorNamingTheFile) {
  TempDir tmp;
  testing::write_gzip(tmp.file("full.gz"), numbered_lines(20000));
  std::string bytes;
  {
    FILE* f = std::fopen(tmp.file("full.gz").c_str(), "rb");
    char buf[4096];
    size_t got;
    while ((got = std::fread(buf, 1, sizeof buf, f)) > 0) bytes.append(buf, got);
    std::fclose(f);
  }
  testing::write_plain(tmp.file("cut.gz"), bytes.substr(0, bytes.size() / 2));
  testing::expect_input_error([&] { read_all(tmp.file("cut.gz"), 4096); }, {tmp.file("cut.gz"), "truncated"});
}

TEST(GzipLineReader, CorruptGzipIsAnInputErrorNamingTheFile) {
  TempDir tmp;
  testing::write_gzip(tmp.file("full.gz"), numbered_lines(20000));
  std::string bytes;
  {
    FILE* f = std::fopen(tmp.file("full.gz").c_str(), "rb");
    char buf[4096];
    size_t got;
    while ((got = std::fread(buf, 1, sizeof buf, f)) > 0) bytes.append(buf, got);
    std::fclose(f);
  }
  for (size_t i = 20; i < 60; ++i) bytes[i] = static_cast<char>(~bytes[i]);  // inside the deflate stream
  testing::write_plain(tmp.file("bad.gz"), bytes);
  testing::expect_input_error([&] { read_all(tmp.file("bad.gz"), 4096); }, {tmp.file("bad.gz"), "corrupt"});
}

TEST(GzipLineReader, BigFilesLeaveOneParseThreadToTheInflatingThread) {
  TempDir tmp;
  testing::write_gzip(tmp.file("small.gz"), numbered_lines(10));
  testing::write_plain(tmp.file("big.txt"), numbered_lines(20000));  // 200 KB > 2 blocks of 64 KiB
  const int threads_before = omp_get_max_threads();
  omp_set_num_threads(4);
  EXPECT_EQ(GzipLineReader(tmp.file("small.gz")).parse_threads(), 4);
  EXPECT_EQ(GzipLineReader(tmp.file("big.txt"), 64 << 10).parse_threads(), 3);
  omp_set_num_threads(1);
  EXPECT_EQ(GzipLineReader(tmp.file("big.txt"), 64 << 10).parse_threads(), 1);
  omp_set_num_threads(threads_before);
  EXPECT_EQ(read_all(tmp.file("big.txt"), 64 << 10).size(), 20000u);
}

TEST(ForEachLineParallel, VisitsEveryLineOnceWithItsNumber) {
  std::string text = numbered_lines(200000);  // a few MB: split across threads
  LineBlock block{text, 7, 200000};
  std::vector<std::atomic<int>> seen(200000);
  std::atomic<bool> numbers_match{true};
  for_each_line_parallel(block, 4, [&](std::string_view line, int64_t n) {
    seen[n - 7].fetch_add(1);
    if (line != "line " + std::to_string(n - 6)) numbers_match = false;
  });
  EXPECT_TRUE(numbers_match);
  for (const auto& count : seen) ASSERT_EQ(count.load(), 1);
}

TEST(ForEachLineParallel, RethrowsTheErrorOfTheLowestLineWhateverTheThreads) {
  std::string text = numbered_lines(200000);
  LineBlock block{text, 1, 200000};
  const std::string path = "fixture";
  for (int threads : {1, 2, 4}) {
    std::string message = testing::input_error_message([&] {
      for_each_line_parallel(block, threads, [&](std::string_view, int64_t n) {
        if (n % 30011 == 0) parse_int_field("bad", {path, n});
      });
    });
    EXPECT_NE(message.find("line 30011:"), std::string::npos) << threads << " threads: " << message;
  }
}

TEST(CsvFields, SplitsOnCommasAndTrimsSpaces) {
  CsvFields fields(" 1, 2 ,\t3,");
  std::vector<std::string> got;
  std::string_view field;
  while (fields.next(&field)) got.emplace_back(field);
  EXPECT_EQ(got, (std::vector<std::string>{"1", "2", "3", ""}));
}

TEST(CsvFields, ParsesIntegersAndFloatsExactlyLikeFromChars) {
  const std::string path = "f";
  EXPECT_EQ(parse_int_field("-42", {path, 1}), -42);
  EXPECT_EQ(parse_int_field("+7", {path, 1}), 7);
  EXPECT_EQ(parse_float_field("-0.0402587", {path, 1}), -0.0402587f);
  EXPECT_EQ(parse_float_field("5.41313e-05", {path, 1}), 5.41313e-05f);
  EXPECT_EQ(parse_float_field("1e-50", {path, 1}), 0.0f);  // below f32's range: rounds to zero
}

TEST(CsvFields, BadTokensAreInputErrorsNamingFileLineAndToken) {
  const std::string path = "data/x.csv.gz";
  testing::expect_input_error(
      [&] {
        parse_int_field("1.5", {path, 12});
      },
      {"'data/x.csv.gz' line 12", "'1.5' is not an integer"});
  testing::expect_input_error([&] { parse_int_field("", {path, 3}); }, {"line 3", "missing"});
  testing::expect_input_error(
      [&] {
        parse_float_field("0.5x", {path, 4});
      },
      {"line 4", "'0.5x' is not a number"});
  testing::expect_input_error([&] { parse_float_field("nan", {path, 5}); }, {"line 5", "finite"});
  testing::expect_input_error([&] { parse_float_field("1e50", {path, 6}); }, {"line 6", "f32 range"});
}

}  // namespace
}  // namespace tango::io
