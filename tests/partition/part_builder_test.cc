#include "partition/part_builder.h"

#include <gtest/gtest.h>

#include "partition/assignment.h"
#include "tests/partition/part_invariants.h"
#include "tests/partition/tiny_datasets.h"

namespace tango {
namespace {

std::vector<partition::PartitionPart> build_all(const io::Dataset& d,
                                                const partition::PartitionOptions& options,
                                                bool halo_features = true) {
  partition::PartLayout layout =
      partition::plan_layout(d.graph, partition::assign_parts(d, options), options.num_parts);
  std::vector<partition::PartitionPart> parts;
  for (int32_t p = 0; p < options.num_parts; ++p) {
    parts.push_back(partition::build_part(d, layout, p, halo_features));
    partition::validate_part(parts.back(), "built part");
  }
  return parts;
}

TEST(BuildPart, PathGraphByHand) {
  // 0 - 1 - 2 - 3, parts {0, 1} and {2, 3}: node 1 and 2 are boundary, each the other's halo.
  io::Dataset d = testing::make_dataset(4, {{0, 1}, {1, 2}, {2, 3}});
  partition::PartLayout layout = partition::plan_layout(d.graph, {0, 0, 1, 1}, 2);
  partition::PartitionPart p0 = partition::build_part(d, layout, 0, true);
  EXPECT_EQ(p0.num_owned, 2);
  EXPECT_EQ(p0.num_inner, 1);
  EXPECT_EQ(p0.owned_global_ids.to_vector<int64_t>(), (std::vector<int64_t>{0, 1}));
  EXPECT_EQ(p0.halo_global_ids.to_vector<int64_t>(), (std::vector<int64_t>{2}));
  EXPECT_EQ(p0.halo_offsets.to_vector<int64_t>(), (std::vector<int64_t>{0, 0, 1}));
  EXPECT_EQ(p0.local_graph.indptr.to_vector<int64_t>(), (std::vector<int64_t>{0, 1, 3}));
  EXPECT_EQ(p0.local_graph.indices.to_vector<int32_t>(), (std::vector<int32_t>{1, 0, 2}));
  EXPECT_EQ(p0.global_degree.to_vector<int64_t>(), (std::vector<int64_t>{1, 2, 2}));
  EXPECT_EQ(p0.send_offsets.to_vector<int64_t>(), (std::vector<int64_t>{0, 0, 1}));
  EXPECT_EQ(p0.send_rows.to_vector<int64_t>(), (std::vector<int64_t>{1}));
  EXPECT_EQ(p0.halo_features.to_vector<float>(), (std::vector<float>{2, 2, 3}));
  partition::PartitionPart p1 = partition::build_part(d, layout, 1, true);
  // Inner first: node 3 is row 0, boundary node 2 is row 1.
  EXPECT_EQ(p1.owned_global_ids.to_vector<int64_t>(), (std::vector<int64_t>{3, 2}));
  EXPECT_EQ(p1.local_graph.indices.to_vector<int32_t>(), (std::vector<int32_t>{1, 0, 2}));
  EXPECT_EQ(p1.send_rows.to_vector<int64_t>(), (std::vector<int64_t>{1}));
}

TEST(BuildPart, InvariantsHoldOnTinyGraphsForEveryPartCountAndMethod) {
  std::vector<io::Dataset> datasets;
  datasets.push_back(testing::grid_dataset(9, 11));
  datasets.push_back(testing::two_cliques(6));
  datasets.push_back(testing::random_dataset(200, 600, 15, 5));  // 15 isolated nodes
  for (const io::Dataset& d : datasets)
    for (partition::PartitionMethod method :
         {partition::PartitionMethod::kMetis, partition::PartitionMethod::kRandom})
      for (int32_t k : {1, 2, 3, 8}) {
        SCOPED_TRACE(::testing::Message()
                     << d.num_nodes() << " nodes, " << partition::method_name(method) << ", K=" << k);
        partition::PartitionOptions options;
        options.num_parts = k;
        options.method = method;
        testing::expect_parts_match_dataset(d, build_all(d, options));
      }
}

TEST(BuildPart, NoHaloFeaturesLeavesThemOut) {
  io::Dataset d = testing::grid_dataset(6, 6);
  partition::PartitionOptions options;
  options.num_parts = 3;
  testing::expect_parts_match_dataset(d, build_all(d, options, false), false);
}

TEST(BuildPart, OnePartHasNoHaloAndNoSends) {
  io::Dataset d = testing::random_dataset(50, 100, 5, 2);
  auto parts = build_all(d, partition::PartitionOptions{});
  EXPECT_EQ(parts[0].num_halo(), 0);
  EXPECT_EQ(parts[0].num_inner, 50);
  EXPECT_EQ(parts[0].send_rows.numel(), 0);
  testing::expect_parts_match_dataset(d, parts);
}

}  // namespace
}  // namespace tango
