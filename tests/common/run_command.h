// Runs a shell command for binary-level tests and captures its exit code and combined output.
#pragma once

#include <string>

namespace tango::testing {

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

CommandResult run_command(const std::string& command);

}  // namespace tango::testing
