#include "tests/common/test_data.h"

#include <unistd.h>

#include <cstdlib>
#include <random>

namespace tango::testing {

std::string source_dir() {
  return TANGO_SOURCE_DIR;
}

std::optional<std::string> real_dataset_dir(const std::string& name) {
  std::filesystem::path base;
  if (const char* env = std::getenv("TANGO_DATA_DIR"); env && *env)
    base = env;
  else
    base = std::filesystem::path(TANGO_SOURCE_DIR) / ".." / "shared" / "datasets";
  std::filesystem::path dir = base / name;
  if (std::filesystem::is_directory(dir / "raw")) return dir.lexically_normal().string();
  return std::nullopt;
}

TempDir::TempDir() {
  std::random_device rd;
  for (;;) {
    path_ = std::filesystem::temp_directory_path() /
            ("tango-test-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
    if (std::filesystem::create_directory(path_)) break;
  }
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

}  // namespace tango::testing
