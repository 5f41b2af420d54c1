// Runs the tango-partition binary as a user would: exit codes, one-line errors, summary, --verify.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "io/hdf5_dataset.h"
#include "tests/common/test_data.h"
#include "tests/partition/tiny_datasets.h"

namespace tango {
namespace {

namespace fs = std::filesystem;

struct CommandResult {
  int exit_code = -1;
  std::string out, err;
};

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class TangoPartitionCli : public ::testing::Test {
 protected:
  void SetUp() override {
    data_ = tmp_.file("tiny.h5");
    io::write_hdf5_dataset(testing::random_dataset(300, 800, 12, 4), data_);  // 12 isolated nodes
  }

  CommandResult run(const std::string& args) {
    const std::string out = tmp_.file("stdout.txt"), err = tmp_.file("stderr.txt");
    const std::string command =
        fmt::format("TANGO_LOG_LEVEL=error '{}' {} >'{}' 2>'{}'", TANGO_PARTITION_BINARY, args, out, err);
    const int status = std::system(command.c_str());
    CommandResult result;
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    result.out = slurp(out);
    result.err = slurp(err);
    return result;
  }

  // The command fails with exit code 2 and one line "tango-partition: error: ...<expected>...".
  void expect_bad_input(const std::string& args, const std::string& expected) {
    SCOPED_TRACE(args);
    CommandResult r = run(args);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_TRUE(r.err.starts_with("tango-partition: error: ")) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_NE(r.err.find(expected), std::string::npos) << r.err;
  }

  testing::TempDir tmp_;
  std::string data_;
};

TEST_F(TangoPartitionCli, HelpListsTheEnvironmentKnobs) {
  CommandResult r = run("--help");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("tango-partition DATASET --parts K --out DIR"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("TANGO_LOG_LEVEL"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("TANGO_NUM_THREADS"), std::string::npos) << r.out;
}

TEST_F(TangoPartitionCli, PartitionsADatasetWithIsolatedNodesAndVerifiesIt) {
  const std::string out = tmp_.file("parts");
  CommandResult r = run(fmt::format("'{}' --parts 3 --out '{}' --seed 5", data_, out));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("edge cut: "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("balance max/avg: nodes"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("halo"), std::string::npos) << r.out;
  for (const char* file : {"manifest.json", "part-00000.h5", "part-00001.h5", "part-00002.h5"})
    EXPECT_TRUE(fs::exists(fs::path(out) / file)) << file;
  EXPECT_FALSE(fs::exists(fs::path(out) / "part-00003.h5"));
  r = run(fmt::format("--verify '{}' '{}'", out, data_));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("is consistent: 3 parts, 300 nodes"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("edges of"), std::string::npos) << r.out;
}

TEST_F(TangoPartitionCli, RandomMethodTrainBalanceAndNoHaloFeaturesRun) {
  const std::string out = tmp_.file("parts");
  CommandResult r = run(fmt::format("'{}' -k 2 -o '{}' --method random --no-halo-features", data_, out));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(run(fmt::format("--verify '{}' '{}'", out, data_)).exit_code, 0);
  r = run(fmt::format("'{}' -k 4 -o '{}' --balance train --ufactor 50 --force", data_, out));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("balance train"), std::string::npos) << r.out;
  EXPECT_EQ(run(fmt::format("--verify '{}'", out)).exit_code, 0);
}

TEST_F(TangoPartitionCli, BadInputsExitWithCodeTwoAndOneLine) {
  const std::string out = tmp_.file("out");
  expect_bad_input(fmt::format("'{}' --parts 0 --out '{}'", data_, out), "--parts 0 is invalid");
  expect_bad_input(fmt::format("'{}' --parts -3 --out '{}'", data_, out), "--parts -3 is invalid");
  expect_bad_input(fmt::format("'{}' --parts 301 --out '{}'", data_, out), "more than the 300 nodes");
  expect_bad_input(fmt::format("'{}' --out '{}'", data_, out), "no --parts");
  expect_bad_input(fmt::format("'{}' --parts 2", data_), "no --out");
  expect_bad_input(fmt::format("'{}' --parts 2 --out '{}'", tmp_.file("missing.h5"), out), "missing.h5");
  expect_bad_input(fmt::format("'{}' --parts 2 --out '{}' --method kahip", data_, out),
                   "unknown partition method");
  expect_bad_input(fmt::format("'{}' --parts 2 --out '{}' --balance weight", data_, out), "unknown balance");
  expect_bad_input(fmt::format("'{}' --parts 2 --out '{}' --ufactor 0", data_, out), "--ufactor 0");
  expect_bad_input("--no-such-flag", "no-such-flag");
  expect_bad_input(fmt::format("'{}' --parts 2 --out '{}' --seed -1", data_, out), "--seed");
  fs::create_directories(tmp_.file("busy"));
  std::ofstream(tmp_.file("busy/notes.txt")) << "keep";
  expect_bad_input(fmt::format("'{}' --parts 2 --out '{}'", data_, tmp_.file("busy")),
                   "is not empty: pass --force");
  EXPECT_EQ(slurp(tmp_.file("busy/notes.txt")), "keep");
  fs::create_directories(tmp_.file("empty"));
  expect_bad_input(fmt::format("--verify '{}'", tmp_.file("empty")), "manifest.json' not found");
}

TEST_F(TangoPartitionCli, VerifyCatchesAFlippedByte) {
  const std::string out = tmp_.file("parts");
  ASSERT_EQ(run(fmt::format("'{}' --parts 2 --out '{}'", data_, out)).exit_code, 0);
  const std::string part = out + "/part-00001.h5";
  {
    std::fstream f(part, std::ios::in | std::ios::out | std::ios::binary);
    const auto middle = static_cast<std::streamoff>(fs::file_size(part) / 2);
    f.seekg(middle);
    char c = 0;
    f.get(c);
    f.seekp(middle);
    f.put(static_cast<char>(c ^ 0x10));
  }
  expect_bad_input(fmt::format("--verify '{}'", out), "SHA-256");
  // Re-running over the damaged directory with --force repairs it.
  ASSERT_EQ(run(fmt::format("'{}' --parts 2 --out '{}' --force", data_, out)).exit_code, 0);
  EXPECT_EQ(run(fmt::format("--verify '{}' '{}'", out, data_)).exit_code, 0);
}

TEST_F(TangoPartitionCli, PartitionsCoraWithItsNamedSplit) {
  TANGO_REQUIRE_DATASET(cora, "cora");
  const std::string out = tmp_.file("cora-parts");
  CommandResult r = run(fmt::format("'{}' --parts 2 --out '{}' --split public", cora, out));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("2708 nodes, 5278 undirected edges"), std::string::npos) << r.out;
  r = run(fmt::format("--verify '{}' '{}'", out, cora));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("all 10556 directed edges"), std::string::npos) << r.out;
  expect_bad_input(fmt::format("'{}' --parts 2 --out '{}' --split nosuchsplit", cora, tmp_.file("x")),
                   "nosuchsplit");
}

}  // namespace
}  // namespace tango
