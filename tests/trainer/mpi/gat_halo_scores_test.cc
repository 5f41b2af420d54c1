// GAT's attention over edges from other parts does not see the halo's quantization: a hidden GAT layer
// (index 1, so Z's halo rows come by exchange) on K = 2 ranks with 2-bit forward messages gives every
// edge the softmax weight that one rank gives it, although the halo rows of Z it received are far from
// their owners' rows. The halo rows' el (the source half of each logit) travels in FP32 beside Z
// (trainer/layers/gat_layer.h); made from the 2-bit rows, the weights of cross-part edges would move by
// tens of percent.
//
// Tolerance: the K-rank layer computes Z's boundary and inner rows in two GEMM calls and every row's
// softmax over the same terms in the same order, so weights differ from one rank's by float rounding only
// (a few ulps of values <= 1): 1e-5 absolute. The 2-bit Z halo rows are checked to be off by more than
// 10 % (relative Frobenius error), so that the exact weights cannot come from exact Z rows.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <map>
#include <utility>

#include "comm/bit_policy.h"
#include "comm/communicator.h"
#include "io/synthetic.h"
#include "trainer/halo_link.h"
#include "trainer/layers/gat_layer.h"
#include "trainer/part_loader.h"

namespace tango::trainer {
namespace {

constexpr int64_t kFeatures = 12;
constexpr int kHeads = 4;
constexpr int64_t kHeadWidth = 4;

// The layer's input rows: a smooth function of the global node id, the same on every rank count.
Tensor input_rows(const DistGraph& graph, int64_t rows) {
  Tensor x = Tensor::empty(DType::kF32, Shape::mat(rows, kFeatures), Device::cpu());
  const int64_t* ids = graph.global_ids.data<int64_t>();
  float* v = x.data<float>();
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t j = 0; j < kFeatures; ++j)
      v[r * kFeatures + j] = std::sin(0.37f * static_cast<float>(ids[r]) + 0.91f * static_cast<float>(j));
  return x;
}

using EdgeKey = std::pair<int64_t, int64_t>;  // (global destination, global source)

// Every edge's attention weights by global endpoints, and Z's rows by global id, after one forward.
struct LayerOutputs {
  std::map<EdgeKey, std::vector<float>> alpha;
  std::map<int64_t, std::vector<float>> z;
};

LayerOutputs forward(const DistGraph& graph, HaloLink* link) {
  GatLayer layer(1, kFeatures, kHeads, kHeadWidth, /*mean_heads=*/false, /*seed=*/11);
  LayerContext context;
  context.graph = &graph;
  context.halo = link;
  context.precision = Precision::kFP32;
  context.training = false;
  layer.forward(input_rows(graph, graph.num_owned), context);
  LayerOutputs out;
  const kernels::CsrIndex& csr = graph.adjacency_with_self.csr();
  const int64_t* indptr = csr.indptr.data<int64_t>();
  const int32_t* indices = csr.indices.data<int32_t>();
  const int32_t* edge_ids = csr.edge_ids.data<int32_t>();
  const int64_t* ids = graph.global_ids.data<int64_t>();
  const float* alpha = layer.attention().data<float>();
  for (int64_t v = 0; v < csr.num_rows; ++v)
    for (int64_t p = indptr[v]; p < indptr[v + 1]; ++p) {
      const int64_t e = csr.edge_ids_are_identity ? p : edge_ids[p];
      out.alpha[{ids[v], ids[indices[p]]}].assign(alpha + e * kHeads, alpha + (e + 1) * kHeads);
    }
  const Tensor& z = layer.projected();
  const int64_t width = kHeads * kHeadWidth;
  for (int64_t r = 0; r < graph.num_rows(); ++r)
    out.z[ids[r]].assign(z.data<float>() + r * width, z.data<float>() + (r + 1) * width);
  return out;
}

TEST(GatHaloScores, CrossPartAttentionIsExactUnderATwoBitHalo) {
  comm::Communicator comm;
  ASSERT_GE(comm.size(), 2) << "needs ranks that exchange";
  const io::Dataset data = io::generate_synthetic(io::parse_synthetic_spec(
      "synthetic:nodes=1500,avg_degree=12,classes=4,features=8,homophily=0.6,seed=5"));
  const DistGraph whole = dist_graph_from_dataset(data);
  const LayerOutputs reference = forward(whole, nullptr);

  const DistGraph part = partition_in_memory(data, comm.size(), comm.rank(), 1);
  ASSERT_GT(part.num_halo, 0) << "rank " << comm.rank() << "'s part has no halo row";
  comm::BitPolicy policy({{32, 32}, {2, 32}}, comm::BitPolicyOptions{});
  CommHaloLink link(comm, make_halo_plan(part, comm), /*seed=*/3, /*layer=*/1, policy);
  ASSERT_FALSE(link.exact(HaloDirection::kForward));
  const LayerOutputs mine = forward(part, &link);

  // The halo rows of Z are the 2-bit messages' rows.
  double error2 = 0, signal2 = 0;
  const int64_t* ids = part.global_ids.data<int64_t>();
  for (int64_t r = part.num_owned; r < part.num_rows(); ++r) {
    const std::vector<float>& got = mine.z.at(ids[r]);
    const std::vector<float>& want = reference.z.at(ids[r]);
    for (size_t j = 0; j < got.size(); ++j) {
      error2 += (got[j] - want[j]) * (got[j] - want[j]);
      signal2 += want[j] * want[j];
    }
  }
  const double z_error = std::sqrt(error2 / signal2);
  EXPECT_GT(z_error, 0.1) << "Z's halo rows came (almost) exactly: the check below would not tell";

  double worst = 0;
  int64_t cross_part = 0;
  for (const auto& [edge, weights] : mine.alpha) {
    const std::vector<float>& want = reference.alpha.at(edge);
    for (int h = 0; h < kHeads; ++h) worst = std::max(worst, std::fabs(double(weights[h]) - want[h]));
  }
  const kernels::CsrIndex& csr = part.adjacency_with_self.csr();
  const int32_t* indices = csr.indices.data<int32_t>();
  for (int64_t p = 0; p < csr.num_entries(); ++p) cross_part += indices[p] >= part.num_owned ? 1 : 0;
  EXPECT_GT(cross_part, 0);
  EXPECT_LT(worst, 1e-5) << "rank " << comm.rank() << ": an attention weight moved by " << worst;
  // One Z message and one el message forward; the count keying stochastic rounding saw Z's alone.
  EXPECT_EQ(link.stats(HaloDirection::kForward).calls, 2);
  EXPECT_EQ(link.exchange_state().exchanges_posted, 1u);
  std::printf(
      "rank %d: %lld edges from other parts; Z halo rows' relative error %.3f; largest change of an "
      "attention weight against one rank %.3g\n",
      comm.rank(), static_cast<long long>(cross_part), z_error, worst);
}

}  // namespace
}  // namespace tango::trainer
