// --config FILE: a TOML file whose top-level keys are the binary's long flag names without the dashes
// (hidden = 64, halo-bits = "fwd=4,bwd=8", overlap = false). Flags on the command line win over the
// file. The file is read with toml++ (TOML 1.0) instead of CLI11's lenient reader, which skips what it
// cannot place: a syntax error, a [table], an unknown key, a key that is not configurable (config, help)
// and a date value are errors naming the file, the line and the key (with the nearest flag name for a
// misspelt key). Errors are CLI::ParseError, so a binary reports them as usage errors (exit 2).
#pragma once

#include <CLI/CLI.hpp>
#include <istream>
#include <string>
#include <vector>

namespace tango::trainer {

class StrictTomlConfig : public CLI::ConfigTOML {
 public:
  // `app` is the application whose options the keys must name; `config_option` is its --config option
  // (for the file name in messages).
  StrictTomlConfig(const CLI::App& app, const CLI::Option& config_option);

  std::vector<CLI::ConfigItem> from_config(std::istream& input) const override;

 private:
  const CLI::App& app_;
  const CLI::Option& config_option_;
};

// Registers --config FILE on `app`, read by StrictTomlConfig.
void add_config_file_flag(CLI::App& app);

}  // namespace tango::trainer
