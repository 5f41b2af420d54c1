// DeviceTimer: the host clock on the CPU; on a GPU the stream's time between two events, so a span
// measures the queued work and not how long the host took to launch it (skipped without a GPU).
#include "core/device_timer.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "core/tensor.h"

namespace tango {
namespace {

TEST(DeviceTimer, OnTheCpuItIsTheHostClockBetweenStartAndStop) {
  DeviceTimer timer(Device::cpu());
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  timer.stop();
  const double span = timer.seconds();
  EXPECT_GE(span, 0.019);
  EXPECT_LT(span, 10.0);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(timer.seconds(), span) << "a stopped timer keeps its span";
}

TEST(DeviceTimer, SecondsStopsARunningTimerAndAnIdleOneReadsZero) {
  DeviceTimer idle;
  EXPECT_EQ(idle.seconds(), 0.0);
  DeviceTimer running(Device::cpu());
  const double first = running.seconds();
  EXPECT_GE(first, 0.0);
  EXPECT_EQ(running.seconds(), first);
  running.start(Device::cpu());
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_GE(running.millis(), 4.9);
}

TEST(DeviceTimerCuda, MeasuresTheQueuedWorkNotItsLaunch) {
  if (cuda_device_count() == 0) GTEST_SKIP() << describe_devices() << " (run tests/gpu/run.sh on a GPU)";
  const Device gpu = Device::cuda(0);
  Tensor block = Tensor::empty(DType::kU8, Shape::vec(int64_t{256} << 20), gpu);
  block.fill_zero();  // first touch outside the span
  DeviceTimer timer(gpu);
  for (int i = 0; i < 8; ++i) block.fill_zero();  // 2 GiB of stores, queued without a wait
  const double span = timer.seconds();
  // No GPU stores 2 GiB in under 0.1 ms (20 TB/s); launching 8 fills takes microseconds.
  EXPECT_GT(span, 1e-4);
  EXPECT_LT(span, 10.0);
}

}  // namespace
}  // namespace tango
