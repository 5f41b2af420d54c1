// tango-train's command line at the binary level: --help prints the usage and the environment knobs
// (core/env.h), exit 0.
#include <gtest/gtest.h>

#include "tests/common/run_command.h"

namespace tango::trainer {
namespace {

TEST(TrainCli, HelpListsTheUsageAndTheEnvironmentKnobs) {
  const testing::CommandResult run =
      testing::run_command("ASAN_OPTIONS=detect_leaks=0 " + std::string(TANGO_TRAIN_BIN) + " --help 2>&1");
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("mpirun -np K tango-train --parts DIR"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("TANGO_COMM_TIMEOUT_S"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("TANGO_ALLOC_CACHE_MB"), std::string::npos) << run.output;
}

}  // namespace
}  // namespace tango::trainer
