// tango-train's --device flag at the binary level: without a GPU, --device cuda is a one-line input error
// (exit 2) that says what to do, and --device auto trains on the CPU and records so in the summary.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "core/device.h"
#include "tests/common/run_command.h"
#include "tests/common/test_data.h"

namespace tango::trainer {
namespace {

// tango-train is an MPI program: in the sanitizer build LeakSanitizer is off for it, as for every MPI
// test (OpenMPI's plugins leave allocations behind at MPI_Finalize; see tests/CMakeLists.txt).
const std::string kTrain = "ASAN_OPTIONS=detect_leaks=0 " + std::string(TANGO_TRAIN_BIN) +
                           " --dataset synthetic:nodes=300,avg_degree=6,classes=3,features=8,seed=4"
                           " --epochs 2 --hidden 8 --quiet";

TEST(DeviceFlag, CudaWithoutAGpuIsAnInputError) {
  if (cuda_device_count() > 0) GTEST_SKIP() << "a GPU is visible here; this checks the error without one";
  const testing::CommandResult run = testing::run_command(kTrain + " --device cuda 2>&1");
  EXPECT_EQ(run.exit_code, 2) << run.output;
  EXPECT_NE(run.output.find("tango-train: error: --device cuda:"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("use --device cpu"), std::string::npos) << run.output;
}

TEST(DeviceFlag, AutoRecordsTheDeviceItResolvedTo) {
  testing::TempDir dir;
  const std::string summary = (dir.path() / "summary.json").string();
  const testing::CommandResult run = testing::run_command(kTrain + " --summary " + summary + " 2>&1");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  nlohmann::json j = nlohmann::json::parse(std::ifstream(summary));
  const std::string expected = cuda_device_count() > 0 ? "cuda:0" : "cpu";
  EXPECT_EQ(j["device"], expected);
  EXPECT_EQ(j["config"]["device"], "auto");
  EXPECT_EQ(j["config"]["resolved_device"], expected);
  nlohmann::json config = nlohmann::json::parse(std::ifstream(summary + ".config.json"));
  EXPECT_EQ(config["resolved_device"], expected);
}

TEST(DeviceFlag, UnknownDeviceIsAUsageError) {
  const testing::CommandResult run = testing::run_command(kTrain + " --device tpu 2>&1");
  EXPECT_EQ(run.exit_code, 2) << run.output;
  EXPECT_NE(run.output.find("--device"), std::string::npos) << run.output;
}

}  // namespace
}  // namespace tango::trainer
