// The partition invariants on the real graphs (cora, facebook) for K = 1, 2, 3, 8 with METIS and
// the random baseline, the edge-cut advantage of METIS, and a full write + verify round.
#include <gtest/gtest.h>

#include "io/dataset_spec.h"
#include "partition/assignment.h"
#include "partition/part_builder.h"
#include "partition/partition_writer.h"
#include "partition/verify.h"
#include "tests/common/test_data.h"
#include "tests/partition/part_invariants.h"

namespace tango {
namespace {

class RealDatasetPartition : public ::testing::TestWithParam<const char*> {};

TEST_P(RealDatasetPartition, InvariantsHoldForEveryPartCountAndMethod) {
  TANGO_REQUIRE_DATASET(dir, GetParam());
  const io::Dataset d = io::load_dataset(dir);
  for (partition::PartitionMethod method :
       {partition::PartitionMethod::kMetis, partition::PartitionMethod::kRandom})
    for (int32_t k : {1, 2, 3, 8}) {
      SCOPED_TRACE(::testing::Message()
                   << GetParam() << ", " << partition::method_name(method) << ", K=" << k);
      partition::PartitionOptions options;
      options.num_parts = k;
      options.method = method;
      partition::PartLayout layout = partition::plan_layout(d.graph, partition::assign_parts(d, options), k);
      std::vector<partition::PartitionPart> parts;
      for (int32_t p = 0; p < k; ++p) {
        parts.push_back(partition::build_part(d, layout, p, true));
        partition::validate_part(parts.back(), "built part");
      }
      testing::expect_parts_match_dataset(d, parts);
    }
}

TEST_P(RealDatasetPartition, MetisCutsLessThanHalfOfRandomAtFourParts) {
  TANGO_REQUIRE_DATASET(dir, GetParam());
  const io::Dataset d = io::load_dataset(dir);
  partition::PartitionOptions metis;
  metis.num_parts = 4;
  partition::PartitionOptions random = metis;
  random.method = partition::PartitionMethod::kRandom;
  const int64_t metis_cut = partition::count_edge_cut(d.graph, partition::assign_parts(d, metis));
  const int64_t random_cut = partition::count_edge_cut(d.graph, partition::assign_parts(d, random));
  EXPECT_LT(metis_cut * 2, random_cut) << "METIS " << metis_cut << " vs random " << random_cut;
}

TEST_P(RealDatasetPartition, WrittenDirectoryVerifiesAgainstTheDataset) {
  TANGO_REQUIRE_DATASET(dir, GetParam());
  const io::Dataset d = io::load_dataset(dir);
  testing::TempDir tmp;
  partition::PartitionRun run;
  run.dataset_spec = dir;
  run.options.num_parts = 3;
  run.options.balance = partition::BalanceMode::kTrain;
  partition::prepare_output_dir(tmp.path().string(), false);
  partition::PhaseProgress progress(false, false);
  partition::PartitionManifest m = partition::write_partition(d, run, tmp.path().string(), progress);
  EXPECT_LT(m.train_balance, 1.2);
  partition::VerifyOptions options;
  options.dataset = &d;
  partition::VerifyReport report = partition::verify_partition(tmp.path().string(), options);
  EXPECT_EQ(report.edges_checked, d.graph.num_edges());
}

INSTANTIATE_TEST_SUITE_P(RealGraphs, RealDatasetPartition, ::testing::Values("cora", "facebook"));

}  // namespace
}  // namespace tango
