#include "kernels/cpu_threads.h"

#include <cblas.h>
#include <gtest/gtest.h>
#include <omp.h>

#include <cstdlib>
#include <string>

#include "core/error.h"

namespace tango::kernels {
namespace {

// Restores OpenMP's and OpenBLAS's thread counts and TANGO_NUM_THREADS after each case.
class CpuThreads : public ::testing::Test {
 protected:
  void SetUp() override {
    omp_threads_ = omp_get_max_threads();
    blas_threads_ = openblas_get_num_threads();
  }
  void TearDown() override {
    unsetenv("TANGO_NUM_THREADS");
    omp_set_num_threads(omp_threads_);
    openblas_set_num_threads(blas_threads_);
  }
  int omp_threads_ = 1, blas_threads_ = 1;
};

TEST_F(CpuThreads, TheKnobSetsOpenMpAndOpenBlasAlike) {
  setenv("TANGO_NUM_THREADS", "3", 1);
  EXPECT_EQ(configure_cpu_threads(), 3);
  EXPECT_EQ(omp_get_max_threads(), 3);
  EXPECT_EQ(openblas_get_num_threads(), 3);
}

TEST_F(CpuThreads, ZeroKeepsOpenMpsCountAndGivesItToOpenBlas) {
  openblas_set_num_threads(5);  // first: OpenBLAS's OpenMP build sets OpenMP's count too
  omp_set_num_threads(2);
  setenv("TANGO_NUM_THREADS", "0", 1);
  EXPECT_EQ(configure_cpu_threads(), 2);
  EXPECT_EQ(omp_get_max_threads(), 2);
  EXPECT_EQ(openblas_get_num_threads(), 2);
}

TEST_F(CpuThreads, ANegativeCountIsAnInputErrorNamingTheKnob) {
  setenv("TANGO_NUM_THREADS", "-2", 1);
  try {
    configure_cpu_threads();
    FAIL() << "expected an input error";
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_code(), 2);
    EXPECT_NE(std::string(e.what()).find("TANGO_NUM_THREADS=-2"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace tango::kernels
