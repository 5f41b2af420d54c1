// Overlap changes no bit: training with --overlap (forward exchange against the inner rows, backward
// halo-gradient exchange against the owned rows and independent GEMMs, weight-gradient allreduce
// against the layers below) gives the same losses and final weights, bit for bit, as --no-overlap,
// on cora partitioned over K = 2 and 3 ranks (METIS parts built in memory), fp32 and int8, for GCN
// (GEMM-first and aggregate-first layers), SAGE, GAT (its three attention precisions) and MLP (no halo: the
// allreduce alone).
// Runs as 3 ranks; each K uses the first K ranks.
#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "comm/communicator.h"
#include "io/ogb_reader.h"
#include "tests/common/test_data.h"
#include "trainer/part_loader.h"
#include "trainer/train.h"

namespace tango::trainer {
namespace {

struct TrainingRun {
  std::vector<double> losses;
  std::map<std::string, Tensor> weights;
  int64_t bytes_sent = 0;
  int64_t allreduces_started_early = 0;
};

// A run on the first k world ranks (empty on the others).
TrainingRun run_on_k_ranks(const io::Dataset& cora, int k, const TrainConfig& config) {
  int world_rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &world_rank);
  MPI_Comm group = MPI_COMM_NULL;
  MPI_Comm_split(MPI_COMM_WORLD, world_rank < k ? 0 : MPI_UNDEFINED, world_rank, &group);
  TrainingRun run;
  if (group != MPI_COMM_NULL) {
    {
      comm::Communicator comm(group);
      DistGraph graph = partition_in_memory(cora, k, comm.rank(), 1);
      normalize_input_rows(graph);
      TrainResult result = train(config, graph, comm);
      run = {result.losses, result.weights, result.bytes_sent, result.allreduces_started_early};
    }
    MPI_Comm_free(&group);
  }
  return run;
}

bool same_bits(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() && a.dtype() == b.dtype() &&
         std::memcmp(a.raw_data(), b.raw_data(), a.nbytes()) == 0;
}

// One training setup. Two layers: 1433 -> hidden -> 7, layer 1 GEMM-first (sends dZ, 7 wide). Three: a
// hidden -> hidden layer in between, which aggregates first (sends dH and overlaps dW with it).
struct OverlapCase {
  const char* name;
  ModelKind model;
  int layers;
  Precision precision;
  GatAttention attention = GatAttention::kFP32;
};

class Overlap : public ::testing::TestWithParam<OverlapCase> {};

TEST_P(Overlap, GivesTheSameBits) {
  const ModelKind model = GetParam().model;
  const int layers = GetParam().layers;
  const Precision precision = GetParam().precision;
  const GatAttention attention = GetParam().attention;
  TANGO_REQUIRE_DATASET(dir, "cora");
  int world_size = 0, world_rank = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &world_size);
  MPI_Comm_rank(MPI_COMM_WORLD, &world_rank);
  ASSERT_GE(world_size, 2);
  io::Dataset cora = io::read_ogb_dir(dir);
  TrainConfig config;
  config.model = model;
  config.layers = layers;
  config.hidden = 16;
  config.epochs = 4;
  config.dropout = 0.5;
  config.precision = precision;
  config.gat_attention = attention;
  // GAT: attention dropout keyed per row range (inner and boundary rows are dropped apart).
  if (model == ModelKind::kGAT) config.attn_dropout = 0.5;
  config.quiet = true;
  config.halo_bits.assign(static_cast<size_t>(layers), HaloBits{});
  for (int k = 2; k <= world_size; ++k) {
    config.overlap = true;
    const TrainingRun overlapped = run_on_k_ranks(cora, k, config);
    config.overlap = false;
    const TrainingRun sequential = run_on_k_ranks(cora, k, config);
    if (world_rank != 0) continue;
    SCOPED_TRACE(::testing::Message() << model_name(model) << ", " << layers << " layers, K = " << k
                                      << (precision == Precision::kINT8 ? ", int8" : ", fp32")
                                      << ", GAT attention " << static_cast<int>(attention));
    // Not vacuous: with overlap every layer's allreduce started inside backward (none without), and
    // (but for MLP) halo rows crossed in both runs.
    EXPECT_EQ(overlapped.allreduces_started_early, config.epochs * layers);
    EXPECT_EQ(sequential.allreduces_started_early, 0);
    if (model != ModelKind::kMLP) {
      EXPECT_GT(overlapped.bytes_sent, 0);
    }
    EXPECT_EQ(overlapped.bytes_sent, sequential.bytes_sent);
    ASSERT_EQ(overlapped.losses.size(), static_cast<size_t>(config.epochs));
    EXPECT_EQ(overlapped.losses, sequential.losses);
    ASSERT_EQ(overlapped.weights.size(), sequential.weights.size());
    for (const auto& [name, weight] : overlapped.weights) {
      auto it = sequential.weights.find(name);
      ASSERT_NE(it, sequential.weights.end()) << name;
      EXPECT_TRUE(same_bits(weight, it->second)) << name << " differs";
    }
  }
}

// GAT overlaps its forward (inner rows' attention and aggregation) and its backward (inner rows' edge
// gradients, dZ's owned rows, the attention vectors' gradients) with the exchanges. MLP has no halo: the
// allreduce alone.
INSTANTIATE_TEST_SUITE_P(
    Models, Overlap,
    ::testing::Values(OverlapCase{"GcnGemmFirst", ModelKind::kGCN, 2, Precision::kFP32},
                      OverlapCase{"GcnAggregateFirst", ModelKind::kGCN, 3, Precision::kFP32},
                      OverlapCase{"GcnInt8", ModelKind::kGCN, 3, Precision::kINT8},
                      OverlapCase{"Sage", ModelKind::kSAGE, 3, Precision::kFP32},
                      OverlapCase{"SageInt8", ModelKind::kSAGE, 3, Precision::kINT8},
                      OverlapCase{"Gat", ModelKind::kGAT, 3, Precision::kFP32},
                      OverlapCase{"GatInt8PerRowAttention", ModelKind::kGAT, 2, Precision::kINT8,
                                  GatAttention::kPerRow},
                      OverlapCase{"GatInt8PerTensorAttention", ModelKind::kGAT, 2, Precision::kINT8,
                                  GatAttention::kPerTensor},
                      OverlapCase{"MlpAllreduceAlone", ModelKind::kMLP, 2, Precision::kFP32}),
    [](const ::testing::TestParamInfo<OverlapCase>& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace tango::trainer
