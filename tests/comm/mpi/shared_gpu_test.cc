// find_shared_gpu on real ranks with made-up PCI bus ids (no GPU needed): every rank gathers every
// rank's id and gets the same answer, so a trainer can refuse (or fall back) on all ranks together.
#include <gtest/gtest.h>

#include <string>

#include "comm/gpu_assignment.h"
#include "tests/comm/mpi/mpi_test_main.h"

namespace tango::comm {
namespace {

using testing::world;

std::string fake_bus_id(int rank) {
  return "0000:" + std::to_string(10 + rank) + ":00.0";
}

TEST(FindSharedGpu, DistinctBusIdsAreFineOnEveryRank) {
  EXPECT_FALSE(find_shared_gpu(world(), fake_bus_id(world().rank())));
}

TEST(FindSharedGpu, RanksWithoutAGpuShareNothing) {
  EXPECT_FALSE(find_shared_gpu(world(), ""));
}

TEST(FindSharedGpu, TheFirstAndLastRankOnOneHostWithOneBusIdAreNamedOnEveryRank) {
  const int last = world().size() - 1;
  // Every rank here runs on this host; the last rank "sees" rank 0's GPU.
  const std::string mine = fake_bus_id(world().rank() == last ? 0 : world().rank());
  const auto shared = find_shared_gpu(world(), mine);
  if (world().size() == 1) {
    EXPECT_FALSE(shared);
    return;
  }
  ASSERT_TRUE(shared);
  EXPECT_EQ(shared->first_rank, 0);
  EXPECT_EQ(shared->second_rank, last);
  EXPECT_EQ(shared->host, world().host_of(0));
  EXPECT_EQ(shared->bus_id, fake_bus_id(0));
}

}  // namespace
}  // namespace tango::comm
