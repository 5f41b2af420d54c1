// Writing a file so that it is either complete under its final name or absent: write to a temp
// name in the same folder, fsync, rename, fsync the folder. A crash or a kill mid-write leaves only
// the temp file (named "<final>.tmp-<pid>"), never a half-written final file.
#pragma once

#include <string>

namespace tango::io {

class AtomicFile {
 public:
  explicit AtomicFile(std::string final_path);
  ~AtomicFile();  // removes the temp file unless commit() succeeded
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  // The path to write to (a temp name beside the final one).
  const std::string& temp_path() const { return temp_path_; }
  const std::string& final_path() const { return final_path_; }
  // fsyncs the temp file, renames it to the final name and fsyncs the folder.
  void commit();

 private:
  std::string final_path_;
  std::string temp_path_;
  bool committed_ = false;
};

// Writes `contents` to `path` atomically.
void write_file_atomic(const std::string& path, const std::string& contents);

// An input error (naming `what`, e.g. the flag, and the folder) unless a file can be created at `path`: its
// folder exists and is writable. For outputs written at the end of a long run, checked at its start.
void check_can_create(const std::string& path, const std::string& what);

}  // namespace tango::io
