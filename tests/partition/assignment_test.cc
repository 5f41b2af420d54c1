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
  auto owner = random_partition(1003, 8, 7);
  auto sizes = part_sizes(owner, 8);
  EXPECT_LE(*std::max_element(sizes.begin(), sizes.end()) - *std::min_element(sizes.begin(), sizes.end()), 1);
  EXPECT_EQ(owner, random_partition(1003, 8, 7));
  EXPECT_NE(owner, random_partition(1003, 8, 8));
}

TEST(MetisPartition, TwoCliquesSplitAtTheirBridge) {
  Dataset d = two_cliques(10);
  PartitionOptions options;
  options.num_parts = 2;
  auto owner = assign_parts(d, options);
  EXPECT_EQ(count_edge_cut(d.graph, owner), 1);
  for (int64_t v = 1; v < 10; ++v) EXPECT_EQ(owner[v], owner[0]);
  for (int64_t v = 11; v < 20; ++v) EXPECT_EQ(owner[v], owner[10]);
  EXPECT_NE(owner[0], owner[10]);
}

TEST(MetisPartition, SameSeedSameAssignment) {
  Dataset d = grid_dataset(30, 30);
  PartitionOptions options;
  options.num_parts = 5;
  options.seed = 3;
  EXPECT_EQ(assign_parts(d, options), assign_parts(d, options));
}

TEST(MetisPartition, CutsAGridFarLessThanRandom) {
  Dataset d = grid_dataset(40, 40);
  PartitionOptions metis;
  metis.num_parts = 4;
  PartitionOptions random = metis;
  random.method = PartitionMethod::kRandom;
  const int64_t metis_cut = count_edge_cut(d.graph, assign_parts(d, metis));
  const int64_t random_cut = count_edge_cut(d.graph, assign_parts(d, random));
  // A 40x40 grid cut into quadrants costs 80 edges; random cuts ~3/4 of 3120.
  EXPECT_LE(metis_cut, 160);
  EXPECT_GT(random_cut, 2000);
}

TEST(MetisPartition, TrainBalanceSpreadsTrainingNodes) {
  // Training nodes only in the first row of a grid: node balance alone would give them to few parts.
  Dataset d = grid_dataset(32, 32);
  uint8_t* train = d.train_mask.data<uint8_t>();
  for (int64_t v = 0; v < 1024; ++v) train[v] = v < 64;
  PartitionOptions options;
  options.num_parts = 4;
  options.balance = BalanceMode::kTrain;
  auto owner = assign_parts(d, options);
  std::vector<int64_t> train_per_part(4, 0);
  for (int64_t v = 0; v < 64; ++v) ++train_per_part[owner[v]];
  for (int64_t count : train_per_part) EXPECT_GE(count, 10) << "train nodes per part are unbalanced";
  auto sizes = part_sizes(owner, 4);
  for (int64_t size : sizes) EXPECT_LE(size, 1024 / 4 * 1.1);
}

TEST(MetisPartition, EdgeBalanceRuns) {
  Dataset d = grid_dataset(20, 20);
  PartitionOptions options;
  options.num_parts = 3;
  options.balance = BalanceMode::kEdges;
  auto sizes = part_sizes(assign_parts(d, options), 3);
  for (int64_t size : sizes) EXPECT_GT(size, 100);
}

TEST(AssignParts, OnePartOwnsEverything) {
  Dataset d = grid_dataset(3, 3);
  auto owner = assign_parts(d, PartitionOptions{});
  EXPECT_EQ(owner, std::vector<int32_t>(9, 0));
}

TEST(AssignParts, AsManyPartsAsNodesLeavesNoPartEmpty) {
  Dataset d = testing::random_dataset(12, 10, 4, 1);
  for (PartitionMethod method : {PartitionMethod::kMetis, PartitionMethod::kRandom}) {
    PartitionOptions options;
    options.num_parts = 12;
    options.method = method;
    auto sizes = part_sizes(assign_parts(d, options), 12);
    EXPECT_EQ(*std::min_element(sizes.begin(), sizes.end()), 1) << method_name(method);
  }
}

TEST(AssignParts, RejectsBadPartCounts) {
  Dataset d = grid_dataset(2, 2);
  PartitionOptions options;
  options.num_parts = 0;
  try {
    assign_parts(d, options);
    FAIL() << "K = 0 accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_code(), 2);
    EXPECT_NE(std::string(e.what()).find("--parts 0"), std::string::npos) << e.what();
  }
  options.num_parts = 5;
  try {
    assign_parts(d, options);
    FAIL() << "K > nodes accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_code(), 2);
    EXPECT_NE(std::string(e.what()).find("more than the 4 nodes"), std::string::npos) << e.what();
  }
}

TEST(FillEmptyParts, MovesOneNodeFromTheLargestPart) {
  std::vector<int32_t> owner = {0, 0, 0, 1, 0};
  EXPECT_EQ(fill_empty_parts(owner, 3), 1);
  EXPECT_EQ(owner, (std::vector<int32_t>{0, 0, 0, 1, 2}));
}

TEST(ParseOptions, NamesRoundTripAndUnknownNamesAreInputErrors) {
  for (auto m : {PartitionMethod::kMetis, PartitionMethod::kRandom})
    EXPECT_EQ(parse_method(method_name(m)), m);
  for (auto b : {BalanceMode::kNodes, BalanceMode::kEdges, BalanceMode::kTrain})
    EXPECT_EQ(parse_balance(balance_name(b)), b);
  EXPECT_THROW(parse_method("kahip"), Error);
  EXPECT_THROW(parse_balance("weight"), Error);
}

}  // namespace
}  // namespace tango
