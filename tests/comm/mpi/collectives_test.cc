// Collectives of the Communicator on real ranks: allreduce (sum, max; f32, f64, i64; scalars and
// tensors), broadcast, barrier, allgather, gather to a root, and the node-local rank.
#include <gtest/gtest.h>

#include <vector>

#include "comm/async_allreduce.h"
#include "comm/communicator.h"
#include "tests/comm/mpi/mpi_test_main.h"

namespace tango::comm {
namespace {

using tango::testing::world;

TEST(Communicator, RankAndSizeMatchMpi) {
  int rank = -1, size = -1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  EXPECT_EQ(world().rank(), rank);
  EXPECT_EQ(world().size(), size);
  // One node here: the node-local rank is the world rank.
  EXPECT_EQ(world().local_rank(), rank);
  EXPECT_EQ(world().local_size(), size);
}

TEST(Communicator, AllreduceScalarsSumAndMax) {
  int r = world().rank(), n = world().size();
  EXPECT_EQ(world().allreduce<int64_t>(r + 1, ReduceOp::kSum), int64_t{n} * (n + 1) / 2);
  EXPECT_EQ(world().allreduce<int64_t>(10 - r, ReduceOp::kMax), 10);
  EXPECT_DOUBLE_EQ(world().allreduce<double>(0.5 * r, ReduceOp::kSum), 0.25 * n * (n - 1));
  EXPECT_FLOAT_EQ(world().allreduce<float>(-1.0f * r, ReduceOp::kMax), 0.0f);
}

TEST(Communicator, AllreduceTensorsElementwise) {
  int r = world().rank(), n = world().size();
  std::vector<float> values(37);
  for (size_t i = 0; i < values.size(); ++i) values[i] = static_cast<float>(i * (r + 1));
  Tensor t = Tensor::from(values);
  world().allreduce(t, ReduceOp::kSum);
  auto sum = t.to_vector<float>();
  for (size_t i = 0; i < sum.size(); ++i) EXPECT_EQ(sum[i], static_cast<float>(i) * n * (n + 1) / 2) << i;

  Tensor m = Tensor::from(std::vector<int64_t>{int64_t{r}, int64_t{-r}, int64_t{7}});
  world().allreduce(m, ReduceOp::kMax);
  EXPECT_EQ(m.to_vector<int64_t>(), (std::vector<int64_t>{n - 1, 0, 7}));
}

TEST(AsyncAllreduce, SeveralInFlightWhileComputing) {
  int r = world().rank(), n = world().size();
  Tensor a = Tensor::from(std::vector<float>(1000, static_cast<float>(r + 1)));
  Tensor b = Tensor::from(std::vector<int64_t>(7, int64_t{r}));
  AsyncAllreduce sum(world(), a, ReduceOp::kSum);
  AsyncAllreduce max(world(), b, ReduceOp::kMax);
  double busy = 0;  // work overlapping the reductions
  for (int i = 0; i < 100000; ++i) {
    busy += i * 1e-9;
    if (i % 10000 == 0) sum.test();
  }
  max.wait();
  sum.wait();
  EXPECT_TRUE(sum.done() && max.done() && busy > 0);
  for (float v : a.to_vector<float>()) ASSERT_EQ(v, n * (n + 1) / 2.0f);
  for (int64_t v : b.to_vector<int64_t>()) ASSERT_EQ(v, n - 1);
  {
    Tensor c = Tensor::from(std::vector<float>{1.0f});
    AsyncAllreduce unwaited(world(), c, ReduceOp::kSum);  // the destructor waits
  }
}

TEST(Communicator, BroadcastFromEveryRoot) {
  for (int root = 0; root < world().size(); ++root) {
    std::vector<float> values(5, static_cast<float>(world().rank() == root ? 100 + root : -1));
    Tensor t = Tensor::from(values, 1, 5);
    world().broadcast(t, root);
    for (float v : t.to_vector<float>()) EXPECT_EQ(v, 100 + root);
  }
}

TEST(Communicator, AllgatherIndexedByRank) {
  struct Pair {
    int32_t rank;
    double square;
  };
  int r = world().rank();
  auto all = world().allgather(Pair{r, 1.0 * r * r});
  ASSERT_EQ(static_cast<int>(all.size()), world().size());
  for (int i = 0; i < world().size(); ++i) {
    EXPECT_EQ(all[i].rank, i);
    EXPECT_EQ(all[i].square, 1.0 * i * i);
  }
}

// Rank r sends r bytes of value r (rank 0 none): the root gets them in rank order with each rank's count.
TEST(Communicator, GatherBytesToEveryRootInRankOrder) {
  const int r = world().rank(), n = world().size();
  const std::vector<char> mine(static_cast<size_t>(r), static_cast<char>(r));
  for (int root = 0; root < n; ++root) {
    std::vector<int64_t> counts;
    const std::vector<char> all = world().gather_bytes(mine.data(), mine.size(), root, &counts);
    if (r != root) {
      EXPECT_TRUE(all.empty());
      continue;
    }
    std::vector<char> expected;
    for (int i = 0; i < n; ++i) expected.insert(expected.end(), static_cast<size_t>(i), static_cast<char>(i));
    EXPECT_EQ(all, expected);
    ASSERT_EQ(static_cast<int>(counts.size()), n);
    for (int i = 0; i < n; ++i) EXPECT_EQ(counts[i], i);
  }
}

TEST(Communicator, BarrierAndEmptyWaitReturn) {
  world().barrier();
  std::vector<MPI_Request> none;
  world().wait_all(none, {}, "nothing");
  SUCCEED();
}

TEST(Communicator, BadBroadcastRootIsAnError) {
  std::vector<float> values(2);
  Tensor t = Tensor::from(values);
  EXPECT_THROW(world().broadcast(t, world().size()), Error);
}

TEST(Communicator, DeviceCollectivesThroughNccl) {
  if (cuda_device_count() < world().size())
    GTEST_SKIP() << "NCCL needs one GPU per rank: " << cuda_device_count() << " GPUs for " << world().size()
                 << " ranks (run with 1 rank on a GPU machine)";
  world().enable_device(world().device_for_local_rank());
  ASSERT_TRUE(world().device_enabled());
  int r = world().rank(), n = world().size();
  std::vector<float> values(1000);
  for (size_t i = 0; i < values.size(); ++i) values[i] = static_cast<float>(i % 17) * (r + 1);
  Tensor t = Tensor::from(values).to(world().device());
  world().allreduce(t, ReduceOp::kSum);
  auto sum = t.to_vector<float>();
  for (size_t i = 0; i < sum.size(); ++i)
    ASSERT_EQ(sum[i], static_cast<float>(i % 17) * n * (n + 1) / 2) << i;
  Tensor b = Tensor::from(std::vector<int64_t>(3, r == 0 ? 42 : -1)).to(world().device());
  world().broadcast(b, 0);
  EXPECT_EQ(b.to_vector<int64_t>(), std::vector<int64_t>(3, 42));
  Tensor c = Tensor::from(std::vector<float>(100, 1.0f)).to(world().device());
  AsyncAllreduce pending(world(), c, ReduceOp::kSum);
  pending.wait();
  for (float v : c.to_vector<float>()) ASSERT_EQ(v, static_cast<float>(n));
}

TEST(Communicator, DeviceWithoutCudaIsAClearError) {
  if (cuda_device_count() > 0) GTEST_SKIP() << "a GPU is present: the NCCL path is tested in tests/gpu";
  EXPECT_THROW(world().enable_device(Device::cuda(0)), Error);
  EXPECT_FALSE(world().device_enabled());
}

}  // namespace
}  // namespace tango::comm
