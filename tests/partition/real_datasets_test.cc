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
  const Dataset d = load_dataset(dir);
  for (PartitionMethod method : {PartitionMethod::kMetis, PartitionMethod::kRandom})
    for (int32_t k : {1, 2, 3, 8}) {
      SCOPED_TRACE(::testing::Message() << GetParam() << ", " << method_name(method) << ", K=" << k);
      PartitionOptions options;
      options.num_parts = k;
      options.method = method;
      PartLayout layout = plan_layout(d.graph, assign_parts(d, options), k);
      std::vector<PartitionPart> parts;
      for (int32_t p = 0; p < k; ++p) {
        parts.push_back(build_part(d, layout, p, true));
        validate_part(parts.back(), "built part");
      }
      testing::expect_parts_match_dataset(d, parts);
    }
}

TEST_P(RealDatasetPartition, MetisCutsLessThanHalfOfRandomAtFourParts) {
  TANGO_REQUIRE_DATASET(dir, GetParam());
  const Dataset d = load_dataset(dir);
  PartitionOptions metis;
  metis.num_parts = 4;
  PartitionOptions random = metis;
  random.method = PartitionMethod::kRandom;
  const int64_t metis_cut = count_edge_cut(d.graph, assign_parts(d, metis));
  const int64_t random_cut = count_edge_cut(d.graph, assign_parts(d, random));
  EXPECT_LT(metis_cut * 2, random_cut) << "METIS " << metis_cut << " vs random " << random_cut;
}

TEST_P(RealDatasetPartition, WrittenDirectoryVerifiesAgainstTheDataset) {
  TANGO_REQUIRE_DATASET(dir, GetParam());
  const Dataset d = load_dataset(dir);
  testing::TempDir tmp;
  PartitionRun run;
  run.dataset_spec = dir;
  run.options.num_parts = 3;
  run.options.balance = BalanceMode::kTrain;
  prepare_output_dir(tmp.path().string(), false);
  PhaseProgress progress(false, false);
  PartitionManifest m = write_partition(d, run, tmp.path().string(), progress);
  EXPECT_LT(m.train_balance, 1.2);
  VerifyOptions options;
  options.dataset = &d;
  VerifyReport report = verify_partition(tmp.path().string(), options);
  EXPECT_EQ(report.edges_checked, d.graph.num_edges());
}

INSTANTIATE_TEST_SUITE_P(RealGraphs, RealDatasetPartition, ::testing::Values("cora", "facebook"));

}  // namespace
}  // namespace tango
