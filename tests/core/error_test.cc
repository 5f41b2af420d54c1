#include "core/error.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include "core/env.h"
#include "core/log.h"

namespace tango {
namespace {

TEST(Error, InputErrorsExitWithTwoAndCarryTheFormattedMessage) {
  try {
    TANGO_FAIL_INPUT("file '{}' line {}: bad", "x.csv", 7);
    FAIL() << "did not throw";
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_code(), 2);
    EXPECT_STREQ(e.what(), "file 'x.csv' line 7: bad");
    EXPECT_NE(e.where().find("error_test.cc:"), std::string::npos);
  }
}

TEST(Error, FailedChecksAreRuntimeErrorsNamingTheCondition) {
  try {
    int rows = 3;
    TANGO_CHECK(rows == 4, "rows={}", rows);
    FAIL() << "did not throw";
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_code(), 1);
    EXPECT_NE(std::string(e.what()).find("rows == 4"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("rows=3"), std::string::npos);
  }
}

TEST(Env, DefaultsApplyAndMalformedIntegersAreNamed) {
  unsetenv("TANGO_COMM_TIMEOUT_S");
  EXPECT_EQ(env_int("TANGO_COMM_TIMEOUT_S"), 300);
  setenv("TANGO_COMM_TIMEOUT_S", "12", 1);
  EXPECT_EQ(env_int("TANGO_COMM_TIMEOUT_S"), 12);
  setenv("TANGO_COMM_TIMEOUT_S", "12s", 1);
  try {
    env_int("TANGO_COMM_TIMEOUT_S");
    FAIL() << "did not throw";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("TANGO_COMM_TIMEOUT_S='12s'"), std::string::npos);
  }
  unsetenv("TANGO_COMM_TIMEOUT_S");
  EXPECT_THROW(env_string("TANGO_NOT_A_KNOB"), Error);
}

TEST(Env, HelpListsEveryKnobWithItsDefault) {
  const std::string help = env_knobs_help();
  for (const EnvKnob& knob : env_knobs()) {
    EXPECT_NE(help.find(knob.name), std::string::npos) << knob.name;
    EXPECT_NE(help.find(knob.doc), std::string::npos) << knob.name;
  }
  EXPECT_NE(help.find("Default: 300."), std::string::npos) << help;    // TANGO_COMM_TIMEOUT_S
  EXPECT_NE(help.find("Default: unset."), std::string::npos) << help;  // TANGO_DATA_DIR
}

TEST(Log, UnknownLevelIsAnInputError) {
  setenv("TANGO_LOG_LEVEL", "loud", 1);
  EXPECT_THROW(init_logging(), Error);
  setenv("TANGO_LOG_LEVEL", "warn", 1);
  EXPECT_NO_THROW(init_logging(3));
}

}  // namespace
}  // namespace tango
