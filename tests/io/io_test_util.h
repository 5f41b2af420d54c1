// Helpers for the io tests: gzip a string into a file, build a tiny OGB-layout folder that a test can
// break one file of, and check that a call fails with an input error whose message names things.
#pragma once

#include <gtest/gtest.h>
#include <zlib.h>

#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/error.h"

namespace tango::testing {

inline void write_gzip(const std::string& path, const std::string& text) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  gzFile file = gzopen(path.c_str(), "wb");
  ASSERT_NE(file, nullptr) << path;
  if (!text.empty()) {
    ASSERT_EQ(gzwrite(file, text.data(), static_cast<unsigned>(text.size())), int(text.size()));
  }
  ASSERT_EQ(gzclose(file), Z_OK);
}

inline void write_plain(const std::string& path, const std::string& text) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  FILE* file = std::fopen(path.c_str(), "wb");
  ASSERT_NE(file, nullptr) << path;
  std::fwrite(text.data(), 1, text.size(), file);
  std::fclose(file);
}

// A valid 5-node dataset in the OGB raw layout, file by file (relative path -> uncompressed text).
// Its edge list holds one self-loop (2,2) and one edge listed in both directions (0,1 and 1,0).
struct TinyOgb {
  std::map<std::string, std::string> files = {
      {"raw/num-node-list.csv.gz", "5\n"},
      {"raw/num-edge-list.csv.gz", "6\n"},
      {"raw/edge.csv.gz", "0,1\n1,0\n1,2\n2,2\n2,3\n3,4\n"},
      {"raw/node-feat.csv.gz", "0.5,1,-2\n1.25,0,3e-2\n-1,2,0\n0,0,0\n7,-0.125,1e3\n"},
      {"raw/node-label.csv.gz", "0\n2\n1\n1\n0\n"},
      {"split/only/train.csv.gz", "0\n1\n"},
      {"split/only/valid.csv.gz", "2\n"},
      {"split/only/test.csv.gz", "3\n4\n"},
  };

  // Writes every file gzipped under `dir`.
  void write(const std::filesystem::path& dir) const {
    for (const auto& [name, text] : files) write_gzip((dir / name).string(), text);
  }
};

// Runs fn, expects a tango input error, and returns its message ("" after a failure is recorded).
inline std::string input_error_message(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "expected an input error, but the call succeeded";
  return "";
}

// Expects an input error whose one-line message contains every one of `parts`.
inline void expect_input_error(const std::function<void()>& fn, const std::vector<std::string>& parts) {
  std::string message = input_error_message(fn);
  EXPECT_EQ(message.find('\n'), std::string::npos) << "not one line: " << message;
  for (const std::string& part : parts)
    EXPECT_NE(message.find(part), std::string::npos) << "message lacks '" << part << "': " << message;
}

}  // namespace tango::testing
