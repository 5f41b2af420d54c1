#include "partition/assignment.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "partition/random_partitioner.h"
#include "tests/partition/tiny_datasets.h"

namespace tango {
namespace {

using testing::grid_dataset;
using testing::two_cliques;

std::vector<int64_t> part_sizes(const std::vector<int32_t>& owner, int32_t k) {
  std::vector<int64_t> sizes(k, 0);
  for (int32_t p : owner) ++sizes[p];
  return sizes;
}

TEST(RandomPartition, PartSizesDifferByAtMostOneAndSeedFixesTheResult) {
  auto owner = partition::random_partition(1003, 8, 7);
  auto sizes = part_sizes(owner, 8);
  EXPECT_LE(*std::max_element(sizes.begin(), sizes.end()) - *std::min_element(sizes.begin(), sizes.end()), 1);
  EXPECT_EQ(owner, partition::random_partition(1003, 8, 7));
  EXPECT_NE(owner, partition::random_partition(1003, 8, 8));
}

TEST(MetisPartition, TwoCliquesSplitAtTheirBridge) {
  io::Dataset d = two_cliques(10);
  partition::PartitionOptions options;
  options.num_parts = 2;
  auto owner = partition::assign_parts(d, options);
  EXPECT_EQ(partition::count_edge_cut(d.graph, owner), 1);
  for (int64_t v = 1; v < 10; ++v) EXPECT_EQ(owner[v], owner[0]);
  for (int64_t v = 11; v < 20; ++v) EXPECT_EQ(owner[v], owner[10]);
  EXPECT_NE(owner[0], owner[10]);
}

TEST(MetisPartition, SameSeedSameAssignment) {
  io::Dataset d = grid_dataset(30, 30);
  partition::PartitionOptions options;
  options.num_parts = 5;
  options.seed = 3;
  EXPECT_EQ(partition::assign_parts(d, options), partition::assign_parts(d, options));
}

TEST(MetisPartition, CutsAGridFarLessThanRandom) {
  io::Dataset d = grid_dataset(40, 40);
  partition::PartitionOptions metis;
  metis.num_parts = 4;
  partition::PartitionOptions random = metis;
  random.method = partition::PartitionMethod::kRandom;
  const int64_t metis_cut = partition::count_edge_cut(d.graph, partition::assign_parts(d, metis));
  const int64_t random_cut = partition::count_edge_cut(d.graph, partition::assign_parts(d, random));
  // A 40x40 grid cut into quadrants costs 80 edges; random cuts ~3/4 of 3120.
  EXPECT_LE(metis_cut, 160);
  EXPECT_GT(random_cut, 2000);
}

TEST(MetisPartition, TrainBalanceSpreadsTrainingNodes) {
  // Training nodes only in the first row of a grid: node balance alone would give them to few parts.
  io::Dataset d = grid_dataset(32, 32);
  uint8_t* train = d.train_mask.data<uint8_t>();
  for (int64_t v = 0; v < 1024; ++v) train[v] = v < 64;
  partition::PartitionOptions options;
  options.num_parts = 4;
  options.balance = partition::BalanceMode::kTrain;
  auto owner = partition::assign_parts(d, options);
  std::vector<int64_t> train_per_part(4, 0);
  for (int64_t v = 0; v < 64; ++v) ++train_per_part[owner[v]];
  for (int64_t count : train_per_part) EXPECT_GE(count, 10) << "train nodes per part are unbalanced";
  auto sizes = part_sizes(owner, 4);
  for (int64_t size : sizes) EXPECT_LE(size, 1024 / 4 * 1.1);
}

TEST(MetisPartition, EdgeBalanceRuns) {
  io::Dataset d = grid_dataset(20, 20);
  partition::PartitionOptions options;
  options.num_parts = 3;
  options.balance = partition::BalanceMode::kEdges;
  auto sizes = part_sizes(partition::assign_parts(d, options), 3);
  for (int64_t size : sizes) EXPECT_GT(size, 100);
}

TEST(AssignParts, OnePartOwnsEverything) {
  io::Dataset d = grid_dataset(3, 3);
  auto owner = partition::assign_parts(d, partition::PartitionOptions{});
  EXPECT_EQ(owner, std::vector<int32_t>(9, 0));
}

TEST(AssignParts, AsManyPartsAsNodesLeavesNoPartEmpty) {
  io::Dataset d = testing::random_dataset(12, 10, 4, 1);
  for (partition::PartitionMethod method :
       {partition::PartitionMethod::kMetis, partition::PartitionMethod::kRandom}) {
    partition::PartitionOptions options;
    options.num_parts = 12;
    options.method = method;
    auto sizes = part_sizes(partition::assign_parts(d, options), 12);
    EXPECT_EQ(*std::min_element(sizes.begin(), sizes.end()), 1) << partition::method_name(method);
  }
}

TEST(AssignParts, RejectsBadPartCounts) {
  io::Dataset d = grid_dataset(2, 2);
  partition::PartitionOptions options;
  options.num_parts = 0;
  try {
    partition::assign_parts(d, options);
    FAIL() << "K = 0 accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_code(), 2);
    EXPECT_NE(std::string(e.what()).find("--parts 0"), std::string::npos) << e.what();
  }
  options.num_parts = 5;
  try {
    partition::assign_parts(d, options);
    FAIL() << "K > nodes accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_code(), 2);
    EXPECT_NE(std::string(e.what()).find("more than the 4 nodes"), std::string::npos) << e.what();
  }
}

TEST(FillEmptyParts, MovesOneNodeFromTheLargestPart) {
  std::vector<int32_t> owner = {0, 0, 0, 1, 0};
  EXPECT_EQ(partition::fill_empty_parts(owner, 3), 1);
  EXPECT_EQ(owner, (std::vector<int32_t>{0, 0, 0, 1, 2}));
}

TEST(ParseOptions, NamesRoundTripAndUnknownNamesAreInputErrors) {
  for (auto m : {partition::PartitionMethod::kMetis, partition::PartitionMethod::kRandom})
    EXPECT_EQ(partition::parse_method(partition::method_name(m)), m);
  for (auto b :
       {partition::BalanceMode::kNodes, partition::BalanceMode::kEdges, partition::BalanceMode::kTrain})
    EXPECT_EQ(partition::parse_balance(partition::balance_name(b)), b);
  EXPECT_THROW(partition::parse_method("kahip"), Error);
  EXPECT_THROW(partition::parse_balance("weight"), Error);
}

}  // namespace
}  // namespace tango
