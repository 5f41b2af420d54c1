// Environment knobs: each is declared once (name, default, documentation) in env.cc's table,
// read through one function that logs the value when it is set, and listed in docs/env.md.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tango {

struct EnvKnob {
  const char* name;
  const char* default_value;
  const char* doc;
};

// Every knob Tango reads, for docs and `--help` output.
const std::vector<EnvKnob>& env_knobs();
// The knobs as the binaries' --help footer: one line each, name, meaning and default.
std::string env_knobs_help();

// The knob's value, or its default when unset/empty. Unknown names are an internal error.
std::string env_string(const char* name);
// Parsed as an integer / a float; a malformed value is an input error naming the variable.
int64_t env_int(const char* name);
double env_double(const char* name);

}  // namespace tango
