// One rank exchanging halo rows with itself. A HaloPlan whose only peer is the rank itself is refused
// by from_arrays for real partitions, but MPI and NCCL both accept a send to self (NCCL within one
// group), so on one rank and one GPU this runs the whole multi-peer device path: grouped
// ncclSend/ncclRecv on the communication stream, the fused encode/decode kernels, the events that
// order them, the device timers, and gradient buckets on the second NCCL communicator while a halo
// exchange is in flight. The host path runs the same plan through MPI (here, without a GPU); on a GPU
// every codec's device exchange must give the host exchange's bits.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "comm/async_allreduce.h"
#include "comm/halo_exchange.h"
#include "tests/comm/mpi/mpi_test_main.h"

namespace tango::comm {
namespace {

using tango::testing::world;

constexpr int64_t kOwned = 300, kInner = 100, kSent = 90, kCols = 37;

// Rows [0, kOwned) are owned, [kInner, kOwned) boundary; kSent of them, scattered, go to the rank's own
// halo rows [kOwned, kOwned + kSent).
HaloPlan loopback_plan() {
  HaloPlan plan;
  plan.num_peers = 1;
  plan.num_owned = kOwned;
  plan.num_inner = kInner;
  plan.send_offsets = {0, kSent};
  plan.halo_offsets = {0, kSent};
  for (int64_t i = 0; i < kSent; ++i) plan.send_rows.push_back(kInner + (i * 7) % (kOwned - kInner));
  return plan;
}

// Both signs, a few magnitudes, and non-negative rows (the unsigned code range); halo rows hold `fill`.
Tensor loopback_table(float fill) {
  Tensor table = Tensor::empty(DType::kF32, Shape::mat(kOwned + kSent, kCols));
  float* x = table.data<float>();
  for (int64_t r = 0; r < kOwned + kSent; ++r)
    for (int64_t c = 0; c < kCols; ++c) {
      const float v = std::sin(0.31f * static_cast<float>(r * kCols + c)) * static_cast<float>(1 + r % 4);
      x[r * kCols + c] = r >= kOwned ? fill + 0.5f * v : (r % 3 == 0 ? std::fabs(v) : v);
    }
  return table;
}

bool skip_without_one_gpu_per_rank() {
  return cuda_device_count() == 0 || world().size() != 1;
}

void enable_device_once() {
  if (!world().device_enabled()) world().enable_device(world().device_for_local_rank());
}

TEST(HaloLoopback, HostForwardCopiesTheSentRowsAndBackwardAddsThemBack) {
  if (world().size() != 1) GTEST_SKIP() << "a loopback plan is for one rank";
  const HaloPlan plan = loopback_plan();
  check_plan_consistent(plan, world());
  HaloExchange exchange(world(), plan, /*seed=*/3);
  Tensor table = loopback_table(std::nanf(""));
  exchange.exchange(Direction::kForward, table, Codec::fp32());
  const float* x = table.data<float>();
  for (int64_t i = 0; i < kSent; ++i)
    for (int64_t c = 0; c < kCols; ++c)
      ASSERT_EQ(x[(kOwned + i) * kCols + c], x[plan.send_rows[i] * kCols + c]) << "halo row " << i;
  EXPECT_EQ(exchange.last().bytes_sent, kSent * kCols * 4);

  Tensor grads = loopback_table(1.0f);
  const Tensor before = grads.clone();
  exchange.exchange(Direction::kBackward, grads, Codec::fp32());
  std::vector<float> expected = before.to_vector<float>();
  for (int64_t i = 0; i < kSent; ++i)
    for (int64_t c = 0; c < kCols; ++c)
      expected[plan.send_rows[i] * kCols + c] += expected[(kOwned + i) * kCols + c];
  EXPECT_EQ(grads.to_vector<float>(), expected);
}

TEST(HaloLoopbackCuda, EveryCodecOverNcclGivesTheHostExchangesBitsBothWays) {
  if (skip_without_one_gpu_per_rank())
    GTEST_SKIP() << "needs one rank on a GPU: " << describe_devices() << " (tests/gpu/run.sh runs it)";
  enable_device_once();
  const Device gpu = world().device();
  const HaloPlan plan = loopback_plan();
  for (const char* name : {"fp32", "bf16", "int8", "int8:nearest", "int4", "int2", "int8:tensor:nearest",
                           "int8:tensor", "int4:tensor"}) {
    SCOPED_TRACE(name);
    const Codec codec = Codec::parse(name);
    HaloExchange host(world(), plan, /*seed=*/5), device(world(), plan, /*seed=*/5);
    for (Direction direction : {Direction::kForward, Direction::kBackward}) {
      Tensor host_table = loopback_table(direction == Direction::kForward ? 0.0f : 1.0f);
      Tensor device_table = host_table.to(gpu);
      host.exchange(direction, host_table, codec);
      device.post(direction, device_table, codec);
      while (!device.test()) {
      }
      device.wait();
      EXPECT_EQ(device_table.to_vector<float>(), host_table.to_vector<float>()) << direction_name(direction);
      const ExchangeStats& d = device.last();
      const ExchangeStats& h = host.last();
      EXPECT_EQ(d.bytes_sent, h.bytes_sent);
      EXPECT_NEAR(d.relative_error(), h.relative_error(),
                  1e-6 + 1e-4 * h.relative_error());  // sums in another order
      // CUDA events on the stream: positive spans of the kernels, well under a second here.
      EXPECT_GT(d.encode_s, 0.0);
      EXPECT_GT(d.decode_s, 0.0);
      EXPECT_LT(d.encode_s + d.decode_s, 1.0);
    }
  }
}

TEST(HaloLoopbackCuda, PostCodesMovesInt8RowsOverNccl) {
  if (skip_without_one_gpu_per_rank())
    GTEST_SKIP() << "needs one rank on a GPU: " << describe_devices() << " (tests/gpu/run.sh runs it)";
  enable_device_once();
  const HaloPlan plan = loopback_plan();
  std::vector<int8_t> codes(static_cast<size_t>((kOwned + kSent) * kCols));
  for (size_t i = 0; i < codes.size(); ++i)
    codes[i] = static_cast<int8_t>(static_cast<int>(i * 37 % 255) - 127);
  Tensor host_codes = Tensor::from(codes, kOwned + kSent, kCols);
  Tensor device_codes = host_codes.to(world().device());
  HaloExchange host(world(), plan), device(world(), plan);
  host.post_codes(host_codes);
  host.wait();
  device.post_codes(device_codes);
  device.wait();
  EXPECT_EQ(device_codes.to_vector<int8_t>(), host_codes.to_vector<int8_t>());
}

TEST(HaloLoopbackCuda, GradientBucketsOnTheSecondCommunicatorCompleteAroundAHaloExchange) {
  if (skip_without_one_gpu_per_rank())
    GTEST_SKIP() << "needs one rank on a GPU: " << describe_devices() << " (tests/gpu/run.sh runs it)";
  enable_device_once();
  const Device gpu = world().device();
  std::vector<Tensor> buckets;
  std::vector<std::unique_ptr<AsyncAllreduce>> reductions;
  for (int b = 0; b < 3; ++b) {
    buckets.push_back(Tensor::from(std::vector<float>(static_cast<size_t>(1000 << b), 1.5f + b)).to(gpu));
    reductions.push_back(std::make_unique<AsyncAllreduce>(world(), buckets.back(), ReduceOp::kSum));
  }
  const HaloPlan plan = loopback_plan();
  HaloExchange host(world(), plan, 9), device(world(), plan, 9);
  Tensor host_table = loopback_table(0.0f);
  Tensor device_table = host_table.to(gpu);
  device.post(Direction::kForward, device_table, Codec::parse("int4"));
  bool all_done = false;
  while (!all_done) {  // each bucket's own event: any order of completion is fine
    all_done = true;
    for (auto& reduction : reductions) all_done = reduction->test() && all_done;
  }
  device.wait();
  host.exchange(Direction::kForward, host_table, Codec::parse("int4"));
  EXPECT_EQ(device_table.to_vector<float>(), host_table.to_vector<float>());
  for (int b = 0; b < 3; ++b)  // one rank: the sum is the bucket itself
    EXPECT_EQ(buckets[b].to_vector<float>(), std::vector<float>(static_cast<size_t>(1000 << b), 1.5f + b));
}

}  // namespace
}  // namespace tango::comm
