// Which GPU a rank takes (comm/gpu_assignment.h): device 0 when it sees exactly one (a GPU per rank
// from the launcher), its node-local rank when the node's GPUs are all visible, none when there are
// fewer GPUs than ranks; and the shared-GPU check over (host, PCI bus id) pairs.
#include "comm/gpu_assignment.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tango::comm {
namespace {

TEST(GpuForLocalRank, NoGpuMeansNone) {
  EXPECT_EQ(gpu_for_local_rank(0, 0, 1), -1);
  EXPECT_EQ(gpu_for_local_rank(0, 3, 4), -1);
}

TEST(GpuForLocalRank, ARankThatSeesOneGpuTakesDeviceZeroWhateverItsLocalRank) {
  // srun --gpus-per-task=1 or CUDA_VISIBLE_DEVICES per rank: 4 ranks on a node, each sees its own GPU.
  for (int local_rank = 0; local_rank < 4; ++local_rank) EXPECT_EQ(gpu_for_local_rank(1, local_rank, 4), 0);
  EXPECT_EQ(gpu_for_local_rank(1, 0, 1), 0);
}

TEST(GpuForLocalRank, AllGpusVisibleGivesTheGpuOfTheLocalRank) {
  for (int local_rank = 0; local_rank < 4; ++local_rank)
    EXPECT_EQ(gpu_for_local_rank(4, local_rank, 4), local_rank);
  EXPECT_EQ(gpu_for_local_rank(8, 2, 4), 2);  // more GPUs than ranks: the first local_size of them
}

TEST(GpuForLocalRank, FewerGpusThanRanksGivesNone) {
  EXPECT_EQ(gpu_for_local_rank(2, 0, 4), -1);
  EXPECT_EQ(gpu_for_local_rank(3, 2, 4), -1);
}

TEST(FirstSharedGpu, DistinctBusIdsOrOtherHostsShareNothing) {
  const std::vector<std::string> hosts{"n1", "n1", "n2", "n2"};
  EXPECT_FALSE(first_shared_gpu(
      hosts, std::vector<std::string>{"0000:01:00.0", "0000:02:00.0", "0000:01:00.0", "0000:02:00.0"}));
  // Ranks without a GPU (empty ids) never share one.
  EXPECT_FALSE(first_shared_gpu(hosts, std::vector<std::string>{"", "", "", ""}));
}

TEST(FirstSharedGpu, NamesTheFirstTwoRanksOfOneHostWithOneBusId) {
  // Four ranks on one node each "see one GPU" but nobody set CUDA_VISIBLE_DEVICES per rank.
  const std::vector<std::string> hosts{"n1", "n1", "n2", "n2", "n2"};
  const std::vector<std::string> ids{"0000:01:00.0", "0000:02:00.0", "0000:07:00.0", "0000:03:00.0",
                                     "0000:07:00.0"};
  EXPECT_EQ(first_shared_gpu(hosts, ids), (SharedGpu{2, 4, "n2", "0000:07:00.0"}));
  const std::vector<std::string> all_same(5, "0000:3b:00.0");
  EXPECT_EQ(first_shared_gpu(hosts, all_same), (SharedGpu{0, 1, "n1", "0000:3b:00.0"}));
}

}  // namespace
}  // namespace tango::comm
