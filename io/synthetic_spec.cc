// Parsing, printing and range checks of "synthetic:k=v,..." spec strings (see synthetic.h).
#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <limits>
#include <set>
#include <string>
#include <system_error>

#include "core/error.h"
#include "io/synthetic.h"

namespace tango::io {

namespace {

constexpr std::string_view kPrefix = "synthetic";
constexpr std::string_view kAcceptedKeys =
    "accepted keys: nodes (integer >= 3), avg_degree (number, 0 < d <= nodes - 1), "
    "classes (integer, 2 <= c <= nodes), features (integer >= 1), homophily (number in [0, 1]), "
    "hub_exponent (number in [0.5, 1]), seed (unsigned integer)";

[[noreturn]] void fail_spec(std::string_view spec, const std::string& problem) {
  TANGO_FAIL_INPUT("synthetic spec '{}': {}; {}", spec, problem, kAcceptedKeys);
}

// A finite number, the whole text consumed.
double parse_number(std::string_view spec, std::string_view key, std::string_view text) {
  double value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end || !std::isfinite(value))
    fail_spec(spec, fmt::format("{}={} is not a number", key, text));
  return value;
}

// An integer in [min, max]; exact decimal forms such as "1e6" or "1000.0" are accepted too.
template <class Int>
Int parse_integer(std::string_view spec, std::string_view key, std::string_view text, Int min, Int max) {
  Int value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (!text.empty() && ec == std::errc() && ptr == end) return value;
  if (ec == std::errc::result_out_of_range && ptr == end)
    fail_spec(spec, fmt::format("{}={} is out of range [{}, {}]", key, text, min, max));
  const double number = parse_number(spec, key, text);
  if (number != std::floor(number)) fail_spec(spec, fmt::format("{}={} is not an integer", key, text));
  // 2^63 and 2^64 are exact doubles; anything below them converts exactly when integral.
  if (number < static_cast<double>(min) || number >= std::ldexp(1.0, std::numeric_limits<Int>::digits))
    fail_spec(spec, fmt::format("{}={} is out of range [{}, {}]", key, text, min, max));
  return static_cast<Int>(number);
}

void check_ranges(std::string_view spec, const SyntheticSpec& s) {
  if (s.nodes < 3)
    fail_spec(spec, fmt::format("nodes={} is too small: need at least 3 (one per train/valid/test split)",
                                s.nodes));
  if (!(s.avg_degree > 0) || s.avg_degree > static_cast<double>(s.nodes - 1))
    fail_spec(spec, fmt::format("avg_degree={} is out of range: need 0 < avg_degree <= nodes - 1 = {}",
                                s.avg_degree, s.nodes - 1));
  if (s.classes < 2 || s.classes > s.nodes)
    fail_spec(spec,
              fmt::format("classes={} is out of range: need 2 <= classes <= nodes = {}", s.classes, s.nodes));
  if (s.features < 1)
    fail_spec(spec, fmt::format("features={} is out of range: need features >= 1", s.features));
  if (!(s.homophily >= 0 && s.homophily <= 1))
    fail_spec(spec, fmt::format("homophily={} is out of range: need 0 <= homophily <= 1", s.homophily));
  if (!(s.hub_exponent >= 0.5 && s.hub_exponent <= 1))
    fail_spec(spec,
              fmt::format("hub_exponent={} is out of range: need 0.5 <= hub_exponent <= 1", s.hub_exponent));
}

}  // namespace

std::string SyntheticSpec::str() const {
  // fmt prints doubles in their shortest round-trip form, so str() parses back to an equal spec.
  // hub_exponent only when it is not the default, so the names of graphs without it stay as they were.
  const std::string hubs =
      hub_exponent == SyntheticSpec{}.hub_exponent ? "" : fmt::format(",hub_exponent={}", hub_exponent);
  return fmt::format("synthetic:nodes={},avg_degree={},classes={},features={},homophily={}{},seed={}", nodes,
                     avg_degree, classes, features, homophily, hubs, seed);
}

void validate_synthetic_spec(const SyntheticSpec& spec) {
  check_ranges(spec.str(), spec);
}

SyntheticSpec parse_synthetic_spec(std::string_view spec) {
  SyntheticSpec result;
  if (!spec.starts_with(kPrefix))
    fail_spec(spec, "a synthetic spec starts with 'synthetic:' (e.g. synthetic:nodes=100000,avg_degree=20)");
  std::string_view body = spec.substr(kPrefix.size());
  if (body.empty()) return result;
  if (body.front() != ':') fail_spec(spec, "expected ':' after 'synthetic'");
  body.remove_prefix(1);

  std::set<std::string_view> seen;
  for (bool more = !body.empty(); more;) {
    const size_t comma = body.find(',');
    const std::string_view item = body.substr(0, comma);
    more = comma != std::string_view::npos;
    body = more ? body.substr(comma + 1) : std::string_view();
    if (item.empty()) fail_spec(spec, "empty item (two commas in a row, or a trailing comma)");
    const size_t equals = item.find('=');
    if (equals == std::string_view::npos)
      fail_spec(spec, fmt::format("'{}' has no '=': write key=value", item));
    const std::string_view key = item.substr(0, equals);
    const std::string_view value = item.substr(equals + 1);
    if (!seen.insert(key).second) fail_spec(spec, fmt::format("key '{}' is given twice", key));

    constexpr int64_t kMaxInt64 = std::numeric_limits<int64_t>::max();
    if (key == "nodes") {
      result.nodes = parse_integer<int64_t>(spec, key, value, 3, kMaxInt64);
    } else if (key == "avg_degree") {
      result.avg_degree = parse_number(spec, key, value);
    } else if (key == "classes") {
      result.classes = parse_integer<int32_t>(spec, key, value, 2, std::numeric_limits<int32_t>::max());
    } else if (key == "features") {
      result.features = parse_integer<int64_t>(spec, key, value, 1, kMaxInt64);
    } else if (key == "homophily") {
      result.homophily = parse_number(spec, key, value);
    } else if (key == "hub_exponent") {
      result.hub_exponent = parse_number(spec, key, value);
    } else if (key == "seed") {
      result.seed = parse_integer<uint64_t>(spec, key, value, 0, std::numeric_limits<uint64_t>::max());
    } else {
      fail_spec(spec, fmt::format("unknown key '{}'", key));
    }
  }
  check_ranges(spec, result);
  return result;
}

}  // namespace tango::io
