#include "io/content_hash.h"

#include <fmt/format.h>

#include <charconv>

namespace tango::io {

std::string hex64(uint64_t value) {
  return fmt::format("{:016x}", value);
}

bool parse_hex64(std::string_view text, uint64_t* value) {
  if (text.size() != 16) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *value, 16);
  return ec == std::errc() && end == text.data() + text.size();
}

}  // namespace tango::io
