// --config FILE (trainer/config_file.h): a TOML file sets the flags' values, the command line wins, and
// what CLI11's own reader skipped (syntax errors, tables, unknown keys) is a usage error naming the file,
// the line and the key, also at the binary level (exit 2, nothing trained).
#include "trainer/config_file.h"

#include <gtest/gtest.h>

#include <fstream>

#include "tests/common/run_command.h"
#include "tests/common/test_data.h"
#include "trainer/config.h"

namespace tango::trainer {
namespace {

class ConfigFileTest : public ::testing::Test {
 protected:
  // Writes `text` to run.toml and parses `--config run.toml` plus `args`.
  TrainConfig parse_with(const std::string& text, std::vector<std::string> args = {}) {
    std::ofstream(path) << text;
    CLI::App app;
    TrainConfig config;
    add_train_flags(app, config);
    args.insert(args.begin(), {"--config", path});
    std::reverse(args.begin(), args.end());  // CLI11 takes the vector in reverse order
    app.parse(args);
    finalize_config(config);
    return config;
  }
  // The message of the ParseError that parsing `text` throws.
  std::string error_of(const std::string& text) {
    try {
      parse_with(text);
    } catch (const CLI::ParseError& e) {
      return e.what();
    }
    ADD_FAILURE() << "no error for:\n" << text;
    return "";
  }

  testing::TempDir dir;
  std::string path = dir.file("run.toml");
};

TEST_F(ConfigFileTest, SetsStringsNumbersFlagsAndTheCommandLineWins) {
  TrainConfig c = parse_with(
      "# a run\ndataset = \"synthetic:nodes=50\"\nhidden = 32\nlr = 0.05\nhalo-bits = \"fwd=4,bwd=8\"\n"
      "overlap = false\nstochastic-rounding = false\nepochs = 9\n",
      {"--epochs", "3"});
  EXPECT_EQ(c.dataset, "synthetic:nodes=50");
  EXPECT_EQ(c.hidden, 32);
  EXPECT_DOUBLE_EQ(c.lr, 0.05);
  EXPECT_EQ(c.halo_bits[0].forward, 4);
  EXPECT_EQ(c.halo_bits[0].backward, 8);
  EXPECT_FALSE(c.overlap);
  EXPECT_FALSE(c.stochastic_rounding);
  EXPECT_EQ(c.epochs, 3);
}

TEST_F(ConfigFileTest, AMisspeltKeyNamesFileLineKeyAndTheNearestFlag) {
  const std::string message = error_of("dataset = \"x\"\nhiden = 32\n");
  EXPECT_NE(message.find(path + ":2"), std::string::npos) << message;
  EXPECT_NE(message.find("'hiden'"), std::string::npos) << message;
  EXPECT_NE(message.find("did you mean 'hidden'"), std::string::npos) << message;
  // Far from every flag: no guess.
  EXPECT_EQ(error_of("dataset = \"x\"\nwarp-factor = 9\n").find("did you mean"), std::string::npos);
}

TEST_F(ConfigFileTest, ASyntaxErrorNamesFileLineAndColumn) {
  const std::string message = error_of("dataset = \"x\"\nhidden 32\n");
  EXPECT_NE(message.find(path + ":2:"), std::string::npos) << message;
  EXPECT_NE(message.find("expected '='"), std::string::npos) << message;
  EXPECT_NE(error_of("epochs = 2\n[model\n").find(path + ":2:"), std::string::npos);
  EXPECT_NE(error_of("lr = 0.01 0.02\n").find(path + ":1:"), std::string::npos);
  EXPECT_NE(error_of("epochs = 2\nepochs = 3\n").find(path + ":2:"), std::string::npos);  // TOML: once
}

TEST_F(ConfigFileTest, TablesAndUnconfigurableKeysAreRefused) {
  const std::string table = error_of("[train]\nepochs = 2\n");
  EXPECT_NE(table.find(path + ":1: key 'train' is a [table]"), std::string::npos) << table;
  EXPECT_NE(error_of("config = \"other.toml\"\n").find("'config'"), std::string::npos);
  EXPECT_NE(error_of("dataset = \"x\"\nseed = 1979-05-27\n").find("date"), std::string::npos);
}

TEST_F(ConfigFileTest, TheBinaryExitsTwoNamingTheFileAndTrainsNothing) {
  std::ofstream(path) << "epochs = 2\nhiden = 8\n";
  const std::string summary = dir.file("summary.json");
  const testing::CommandResult run = testing::run_command(
      "ASAN_OPTIONS=detect_leaks=0 " + std::string(TANGO_TRAIN_BIN) +
      " --dataset synthetic:nodes=200,avg_degree=4,classes=3,features=8,seed=1 --quiet --config " + path +
      " --summary " + summary + " 2>&1");
  EXPECT_EQ(run.exit_code, 2) << run.output;
  EXPECT_NE(run.output.find("tango-train: error: " + path + ":2: key 'hiden'"), std::string::npos)
      << run.output;
  EXPECT_FALSE(std::filesystem::exists(summary));
}

}  // namespace
}  // namespace tango::trainer
