// tango-train's --device flag at the binary level: without a GPU, --device cuda is a one-line input error
// (exit 2) that says what to do, and --device auto trains on the CPU and records so in the summary. On the
// CPU the summary also says how INT8 GEMMs run there, as /proc/cpuinfo's flags predict, and an int8 run
// on a CPU without INT8 hardware says so in one log line.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

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

// What oneDNN needs for exact INT8 GEMMs (kernels/cpu/int8_gemm_exact.h), read from the kernel's CPU flags.
bool cpuinfo_has_int8_hardware() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("flags", 0) != 0) continue;
    std::istringstream words(line.substr(line.find(':') + 1));
    for (std::string flag; words >> flag;)
      if (flag == "avx512_vnni" || flag == "avx_vnni" || flag == "amx_int8") return true;
    return false;
  }
  return false;
}

TEST(DeviceFlag, CpuRunsRecordHowInt8GemmsRun) {
  if (!std::ifstream("/proc/cpuinfo")) GTEST_SKIP() << "no /proc/cpuinfo to read this CPU's flags from";
  if (std::getenv("ONEDNN_MAX_CPU_ISA") != nullptr || std::getenv("DNNL_MAX_CPU_ISA") != nullptr)
    GTEST_SKIP() << "ONEDNN_MAX_CPU_ISA caps oneDNN below what /proc/cpuinfo lists";
  const bool native = cpuinfo_has_int8_hardware();
  const std::string line = "INT8 GEMMs run as exact fp32 GEMMs";
  for (const std::string precision : {"int8", "fp32"}) {
    SCOPED_TRACE(precision);
    testing::TempDir dir;
    const std::string summary = (dir.path() / "summary.json").string();
    const testing::CommandResult run = testing::run_command(kTrain + " --device cpu --precision " +
                                                            precision + " --summary " + summary + " 2>&1");
    ASSERT_EQ(run.exit_code, 0) << run.output;
    nlohmann::json j = nlohmann::json::parse(std::ifstream(summary));
    EXPECT_EQ(j["cpu_int8_gemm"], native ? "native" : "exact-fp32");
    const bool said = run.output.find(line) != std::string::npos;
    EXPECT_EQ(said, precision == "int8" && !native) << run.output;
  }
}

TEST(DeviceFlag, UnknownDeviceIsAUsageError) {
  const testing::CommandResult run = testing::run_command(kTrain + " --device tpu 2>&1");
  EXPECT_EQ(run.exit_code, 2) << run.output;
  EXPECT_NE(run.output.find("--device"), std::string::npos) << run.output;
}

}  // namespace
}  // namespace tango::trainer
