// A checkpoint outlives the partition: 4 ranks x 5 epochs, then --resume on 1, 2 and 3 ranks (each its
// own METIS partition of the same dataset) x 5 epochs, against 4 ranks x 10 epochs straight. Runs as 4
// ranks; a run on k ranks uses the first k (a communicator of its own), and every resume starts from
// its own copy of the 5-epoch checkpoint.
//
// fp32 with dropout on (feature dropout for GCN and SAGE; feature and attention dropout for GAT: every
// mask is keyed by global ids and the epoch), fixed halo bits: every epoch's loss within 1e-5 relative
// of the straight run (what K ranks against 1 rank already give: the same terms summed in another order,
// a few ulps per step). The checkpoint the resumed run writes at epoch 10 holds the same halo exchange
// counts as the straight run's, on 1 rank too (one rank counts the exchanges it does not make).
//
// int8 (--precision int8, int4 forward / int8 backward halos with stochastic rounding): each part
// quantizes with its own per-tensor scales and its own messages, so K ranks and K' ranks differ by
// quantization noise, not by ulps. The bound is the one K-rank against 1-rank int8 already has: the
// resumed run may differ from the straight 4-rank run by no more than twice the largest difference
// between the straight 4-rank run and a straight run on 1, 2 or 3 ranks, per epoch (measured and
// printed here; the test's last lines state the figures).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>

#include "comm/communicator.h"
#include "io/checkpoint_store.h"
#include "io/synthetic.h"
#include "tests/common/test_data.h"
#include "trainer/config.h"
#include "trainer/part_loader.h"
#include "trainer/train.h"

namespace tango::trainer {
namespace {

io::Dataset test_dataset() {
  io::SyntheticSpec spec;
  spec.nodes = 400;
  spec.avg_degree = 8;
  spec.features = 16;
  spec.classes = 4;
  spec.homophily = 0.7;
  return io::generate_synthetic(spec);
}

TrainConfig base_config(ModelKind model, Precision precision) {
  TrainConfig config;
  config.model = model;
  config.layers = 3;  // two layers that exchange, forward and backward
  config.hidden = model == ModelKind::kGAT ? 4 : 16;
  config.heads = 2;
  config.dropout = 0.5;
  config.attn_dropout = model == ModelKind::kGAT ? 0.3 : 0.0;
  config.activation = model == ModelKind::kGAT ? "elu" : "relu";
  config.quiet = true;
  config.checkpoint_every = 5;
  config.precision = precision;
  config.halo_bits_spec = precision == Precision::kINT8 ? "fwd=4,bwd=8" : "32";
  config.stochastic_rounding = precision == Precision::kINT8;
  config.halo_bits = parse_halo_bits(config.halo_bits_spec, config.layers, &config.halo_adaptive);
  return config;
}

struct Run {
  std::vector<double> losses;  // of the epochs this call ran (on the first k ranks; empty on the others)
};

// Trains `config` on the first k world ranks (partitioned k ways in memory).
Run run_on_k_ranks(const io::Dataset& dataset, int k, const TrainConfig& config) {
  int world_rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &world_rank);
  MPI_Comm group = MPI_COMM_NULL;
  MPI_Comm_split(MPI_COMM_WORLD, world_rank < k ? 0 : MPI_UNDEFINED, world_rank, &group);
  Run run;
  if (group != MPI_COMM_NULL) {
    {
      comm::Communicator comm(group);
      const DistGraph graph =
          k == 1 ? dist_graph_from_dataset(dataset) : partition_in_memory(dataset, k, comm.rank(), 1);
      run.losses = train(config, graph, comm).losses;
    }
    MPI_Comm_free(&group);
  }
  MPI_Barrier(MPI_COMM_WORLD);
  return run;
}

// The same folder name on every rank (rank 0's temp dir).
std::string shared_path(const std::filesystem::path& local) {
  std::vector<char> buffer(4096, '\0');
  const std::string path = local.string();
  std::copy(path.begin(), path.end(), buffer.begin());
  MPI_Bcast(buffer.data(), static_cast<int>(buffer.size()), MPI_CHAR, 0, MPI_COMM_WORLD);
  return std::string(buffer.data());
}

double max_relative_difference(const std::vector<double>& a, const std::vector<double>& b, size_t first) {
  double worst = 0;
  for (size_t e = first; e < a.size() && e < b.size(); ++e)
    worst = std::max(worst, std::fabs(a[e] - b[e]) / std::fabs(b[e]));
  return worst;
}

std::vector<int64_t> exchange_counts(const std::string& dir, int64_t epoch) {
  return io::CheckpointStore(dir).load(epoch).tensors.at("halo.exchanges").to_vector<int64_t>();
}

void expect_resume_on_other_rank_counts(ModelKind model, Precision precision) {
  int world_rank = 0, world_size = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &world_rank);
  MPI_Comm_size(MPI_COMM_WORLD, &world_size);
  ASSERT_EQ(world_size, 4) << "this test runs as 4 ranks";
  const io::Dataset dataset = test_dataset();
  testing::TempDir temp;
  const std::string root = shared_path(temp.path());
  const char* name = model_name(model);
  const bool int8 = precision == Precision::kINT8;

  TrainConfig straight = base_config(model, precision);
  straight.epochs = 10;
  straight.checkpoint_dir = root + "/straight";
  const std::vector<double> reference = run_on_k_ranks(dataset, 4, straight).losses;

  TrainConfig head = straight;
  head.epochs = 5;
  head.checkpoint_dir = root + "/head";
  const std::vector<double> first_five = run_on_k_ranks(dataset, 4, head).losses;

  double int8_bound = 0;  // int8: twice the largest straight k-rank vs 4-rank difference
  for (int k = 1; k <= 3; ++k) {
    const std::string dir = root + "/resume-on-" + std::to_string(k);
    if (world_rank == 0) std::filesystem::copy(head.checkpoint_dir, dir);
    MPI_Barrier(MPI_COMM_WORLD);
    TrainConfig tail = head;
    tail.epochs = 10;
    tail.resume = true;
    tail.checkpoint_dir = dir;
    const std::vector<double> last_five = run_on_k_ranks(dataset, k, tail).losses;
    std::vector<double> resumed;
    if (world_rank == 0) {
      resumed = first_five;
      resumed.insert(resumed.end(), last_five.begin(), last_five.end());
    }
    if (int8) {
      TrainConfig alone = straight;
      alone.checkpoint_dir = root + "/straight-on-" + std::to_string(k);
      const std::vector<double> other_k = run_on_k_ranks(dataset, k, alone).losses;
      if (world_rank == 0) {
        const double spread = max_relative_difference(other_k, reference, 0);
        std::printf("%s int8: %d rank(s) x 10 vs 4 ranks x 10: max relative loss difference %.3g\n", name, k,
                    spread);
        int8_bound = std::max(int8_bound, 2 * spread);
      }
    }
    if (world_rank != 0) continue;
    ASSERT_EQ(resumed.size(), 10u) << name << " on " << k;
    const double difference = max_relative_difference(resumed, reference, 5);
    EXPECT_EQ(max_relative_difference(resumed, reference, 0), difference) << "epochs 1-5 are the same run";
    std::printf(
        "%s %s: 4 ranks x 5 + resume on %d rank(s) x 5 vs 4 ranks x 10: max relative loss difference %.3g\n",
        name, int8 ? "int8" : "fp32", k, difference);
    if (!int8) {
      EXPECT_LT(difference, 1e-5) << name << " resumed on " << k << " rank(s)";
      EXPECT_EQ(exchange_counts(dir, 10), exchange_counts(straight.checkpoint_dir, 10))
          << name << " on " << k << " rank(s): the exchange counts keying stochastic rounding";
    } else {
      EXPECT_LT(difference, int8_bound) << name << " int8 resumed on " << k << " rank(s)";
    }
  }
  if (int8 && world_rank == 0)
    std::printf("%s int8: bound (2 x the largest straight k-rank vs 4-rank difference, k = 1..3) %.3g\n",
                name, int8_bound);
}

TEST(ResumeOnAnotherRankCount, GcnFp32WithDropout) {
  expect_resume_on_other_rank_counts(ModelKind::kGCN, Precision::kFP32);
}
TEST(ResumeOnAnotherRankCount, SageFp32WithDropout) {
  expect_resume_on_other_rank_counts(ModelKind::kSAGE, Precision::kFP32);
}
TEST(ResumeOnAnotherRankCount, GatFp32WithFeatureAndAttentionDropout) {
  expect_resume_on_other_rank_counts(ModelKind::kGAT, Precision::kFP32);
}
TEST(ResumeOnAnotherRankCount, GcnInt8WithinTheKRankSpread) {
  expect_resume_on_other_rank_counts(ModelKind::kGCN, Precision::kINT8);
}
TEST(ResumeOnAnotherRankCount, SageInt8WithinTheKRankSpread) {
  expect_resume_on_other_rank_counts(ModelKind::kSAGE, Precision::kINT8);
}
TEST(ResumeOnAnotherRankCount, GatInt8WithinTheKRankSpread) {
  expect_resume_on_other_rank_counts(ModelKind::kGAT, Precision::kINT8);
}

}  // namespace
}  // namespace tango::trainer
