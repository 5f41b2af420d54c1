#include "io/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "core/error.h"

namespace tango::io {

namespace {
void fsync_path(const std::string& path, bool directory) {
  int fd = ::open(path.c_str(), directory ? O_RDONLY | O_DIRECTORY : O_RDONLY);
  if (fd < 0) TANGO_FAIL("cannot open '{}' to fsync it: {}", path, std::strerror(errno));
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) TANGO_FAIL("fsync of '{}' failed: {}", path, std::strerror(err));
}
}  // namespace

AtomicFile::AtomicFile(std::string final_path)
    : final_path_(std::move(final_path)), temp_path_(final_path_ + ".tmp-" + std::to_string(::getpid())) {}

AtomicFile::~AtomicFile() {
  if (!committed_) std::remove(temp_path_.c_str());
}

void AtomicFile::commit() {
  fsync_path(temp_path_, false);
  if (std::rename(temp_path_.c_str(), final_path_.c_str()) != 0)
    TANGO_FAIL("cannot rename '{}' to '{}': {}", temp_path_, final_path_, std::strerror(errno));
  committed_ = true;
  std::filesystem::path parent = std::filesystem::path(final_path_).parent_path();
  fsync_path(parent.empty() ? "." : parent.string(), true);
}

void write_file_atomic(const std::string& path, const std::string& contents) {
  AtomicFile file(path);
  FILE* out = std::fopen(file.temp_path().c_str(), "wb");
  TANGO_CHECK_INPUT(out != nullptr, "cannot create '{}': {} (check the folder exists and is writable)",
                    file.temp_path(), std::strerror(errno));
  size_t written = std::fwrite(contents.data(), 1, contents.size(), out);
  bool ok = written == contents.size() && std::fflush(out) == 0;
  std::fclose(out);
  if (!ok) TANGO_FAIL("writing '{}' failed (disk full?)", file.temp_path());
  file.commit();
}

void check_can_create(const std::string& path, const std::string& what) {
  TANGO_CHECK_INPUT(!path.empty() && !std::filesystem::is_directory(path),
                    "{} '{}' is a folder, not a file name", what, path);
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  const std::string folder = parent.empty() ? "." : parent.string();
  TANGO_CHECK_INPUT(std::filesystem::is_directory(folder), "{} '{}': folder '{}' does not exist", what, path,
                    folder);
  TANGO_CHECK_INPUT(::access(folder.c_str(), W_OK) == 0, "{} '{}': folder '{}' is not writable", what, path,
                    folder);
}

}  // namespace tango::io
