// Helpers shared by the tests: where the real datasets are, and temp folders that clean up.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace tango::testing {

// The folder of a real dataset ("cora", "facebook"): $TANGO_DATA_DIR/<name>, else
// <source>/../shared/datasets/<name>. nullopt when absent (tests then GTEST_SKIP with a message).
std::optional<std::string> real_dataset_dir(const std::string& name);

// The project's source folder (for fixtures under tests/data).
std::string source_dir();

// A fresh empty folder under the system temp dir, removed with its contents on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

}  // namespace tango::testing

// Skips the current test with a reason when a real dataset is not available.
#define TANGO_REQUIRE_DATASET(var, name)                            \
  auto var##_opt = ::tango::testing::real_dataset_dir(name);        \
  if (!var##_opt)                                                   \
    GTEST_SKIP() << "dataset '" << name                             \
                 << "' not found (set TANGO_DATA_DIR or "           \
                    "place ../shared/datasets beside the project)"; \
  const std::string var = *var##_opt
