#include "core/env.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <charconv>
#include <cstdlib>
#include <mutex>
#include <set>

#include "core/error.h"

namespace tango {

namespace {
// The sanitizer build keeps the allocator cache off by default, so that AddressSanitizer still sees
// use-after-free (a cached block stays valid memory to ASan). GCC defines __SANITIZE_ADDRESS__;
// clang reports it through __has_feature.
#if defined(__SANITIZE_ADDRESS__)
constexpr const char* kAllocCacheDefault = "0";
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr const char* kAllocCacheDefault = "0";
#else
constexpr const char* kAllocCacheDefault = "4096";
#endif
#else
constexpr const char* kAllocCacheDefault = "4096";
#endif
}  // namespace

const std::vector<EnvKnob>& env_knobs() {
  static const std::vector<EnvKnob> knobs = {
      {"TANGO_LOG_LEVEL", "info", "Log level: trace, debug, info, warn, error, off."},
      {"TANGO_DATA_DIR", "",
       "Folder holding the real datasets (cora, facebook); tests fall back to "
       "../shared/datasets."},
      {"TANGO_COMM_TIMEOUT_S", "300",
       "Seconds a rank waits on a collective or halo exchange before it aborts the job."},
      {"TANGO_NUM_THREADS", "0", "OpenMP and OpenBLAS threads per rank (0: OMP_NUM_THREADS or all cores)."},
      {"TANGO_ALLOC_CACHE_MB", kAllocCacheDefault,
       "MiB of freed tensor memory each device keeps for reuse (0: none; the sanitizer build's default)."},
  };
  return knobs;
}

std::string env_knobs_help() {
  std::string text = "Environment variables (docs/env.md):\n";
  for (const auto& knob : env_knobs())
    text += fmt::format("  {:<21} {} Default: {}.\n", knob.name, knob.doc,
                        *knob.default_value != '\0' ? knob.default_value : "unset");
  return text;
}

namespace {
const EnvKnob& find_knob(const char* name) {
  for (const auto& knob : env_knobs())
    if (std::string_view(knob.name) == name) return knob;
  TANGO_FAIL("environment knob {} is not declared in core/env.cc", name);
}

// Logs each knob the first time it is read with a non-default value.
void log_once(const char* name, const char* value) {
  static std::mutex mutex;
  static std::set<std::string> seen;
  std::lock_guard lock(mutex);
  if (seen.insert(name).second) spdlog::debug("env {}={}", name, value);
}
}  // namespace

std::string env_string(const char* name) {
  const EnvKnob& knob = find_knob(name);
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') return knob.default_value;
  log_once(name, value);
  return value;
}

int64_t env_int(const char* name) {
  std::string text = env_string(name);
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  TANGO_CHECK_INPUT(ec == std::errc() && end == text.data() + text.size(),
                    "environment variable {}='{}' is not an integer: set it to a whole number or unset it",
                    name, text);
  return value;
}

double env_double(const char* name) {
  std::string text = env_string(name);
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  TANGO_CHECK_INPUT(ec == std::errc() && end == text.data() + text.size(),
                    "environment variable {}='{}' is not a number: set it to a number or unset it", name,
                    text);
  return value;
}

}  // namespace tango
