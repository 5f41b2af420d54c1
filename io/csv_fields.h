// Splitting one CSV line into fields and parsing them with std::from_chars (no locale, no allocation).
// A bad token is an input error naming the file, the 1-based line and the token, e.g.
//   'cora/raw/edge.csv.gz' line 12: 'x7' is not an integer: fix or remove the line
#pragma once

#include <charconv>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>

#include "core/error.h"

namespace tango::io {

// Where a line came from, for error messages.
struct LineOrigin {
  const std::string& path;
  int64_t line_number;
};

// Hands out the comma-separated fields of a line, with spaces and tabs around each field trimmed.
class CsvFields {
 public:
  explicit CsvFields(std::string_view line) : rest_(line), done_(line.empty()) {}

  // The next field; false once every field was handed out ("" is one empty field, "a," is two).
  bool next(std::string_view* field) {
    if (done_) return false;
    size_t comma = rest_.find(',');
    std::string_view token = rest_.substr(0, comma);
    if (comma == std::string_view::npos)
      done_ = true;
    else
      rest_.remove_prefix(comma + 1);
    *field = trimmed(token);
    return true;
  }

  // `s` without the spaces and tabs around it.
  static std::string_view trimmed(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
  }

 private:
  std::string_view rest_;
  bool done_;
};

[[noreturn]] inline void fail_bad_token(const LineOrigin& origin, std::string_view token,
                                        const char* wanted) {
  if (token.empty())
    TANGO_FAIL_INPUT("'{}' line {}: a value is missing (empty field): fix or remove the line", origin.path,
                     origin.line_number);
  TANGO_FAIL_INPUT("'{}' line {}: '{}' is not {}: fix or remove the line", origin.path, origin.line_number,
                   token.substr(0, 40), wanted);
}

// The whole token as an integer; anything else (empty, "1.5", "x", trailing junk) is an input error.
inline int64_t parse_int_field(std::string_view token, const LineOrigin& origin) {
  if (!token.empty() && token.front() == '+') token.remove_prefix(1);
  int64_t value = 0;
  auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), value);
  if (ec != std::errc() || end != token.data() + token.size() || token.empty()) [[unlikely]]
    fail_bad_token(origin, token, "an integer");
  return value;
}

// The whole token as a finite float ("nan" and "inf" are input errors: they would poison training).
inline float parse_float_field(std::string_view token, const LineOrigin& origin) {
  if (!token.empty() && token.front() == '+') token.remove_prefix(1);
  float value = 0;
  auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), value);
  if (ec != std::errc() || end != token.data() + token.size() || token.empty()) [[unlikely]] {
    // from_chars calls a float too tiny for f32 (1e-50) out of range; f64 holds it and rounds to 0.
    double wide = 0;
    auto [wide_end, wide_ec] = std::from_chars(token.data(), token.data() + token.size(), wide);
    if (ec == std::errc::result_out_of_range && wide_ec == std::errc() && wide_end == end &&
        std::fabs(wide) < 1.0)
      return static_cast<float>(wide);
    fail_bad_token(origin, token, ec == std::errc::result_out_of_range ? "within f32 range" : "a number");
  }
  if (!std::isfinite(value)) [[unlikely]]
    fail_bad_token(origin, token, "a finite number");
  return value;
}

}  // namespace tango::io
