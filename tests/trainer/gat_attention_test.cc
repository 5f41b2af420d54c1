// GAT under --precision int8 with each --gat-attention mode, on a graph with a hub (node 0 adjacent to
// every other node; the others have a handful of neighbours): per-tensor attention scales round the hub's
// ~1/600 attention weights to zero, per-row scales keep the hub's output (and the gradients that flow
// through it) close to the FP32-attention layer's. The INT8 GEMM and INT8 Z are the same in all modes.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "io/csr_builder.h"
#include "trainer/layers/gat_layer.h"

namespace tango::trainer {
namespace {

constexpr int64_t kNodes = 600, kFeatures = 12, kHeads = 2, kWidth = 4;

io::Dataset hub_dataset() {
  std::mt19937 rng(5);
  std::uniform_int_distribution<int64_t> node(1, kNodes - 1);
  std::vector<int64_t> src, dst;
  for (int64_t v = 1; v < kNodes; ++v) {
    src.push_back(0);
    dst.push_back(v);
    for (int k = 0; k < 2; ++k) {
      const int64_t u = node(rng);
      if (u == v) continue;
      src.push_back(u);
      dst.push_back(v);
    }
  }
  io::Dataset d;
  d.name = "hub";
  d.graph = io::build_symmetric_csr(kNodes, src, dst, &d.cleanup);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> x(kNodes * kFeatures);
  for (float& v : x) v = normal(rng);
  d.features = Tensor::from(x, kNodes, kFeatures);
  d.labels = Tensor::from(std::vector<int32_t>(kNodes, 0));
  d.num_classes = 2;
  d.train_mask = d.valid_mask = d.test_mask = Tensor::from(std::vector<uint8_t>(kNodes, 1));
  return d;
}

// ||a[rows] - b[rows]|| / ||b[rows]|| over rows [first, last) of two [n, w] tensors.
double relative_error(const Tensor& a, const Tensor& b, int64_t first, int64_t last) {
  const int64_t w = a.cols();
  double d2 = 0, n2 = 0;
  for (int64_t i = first * w; i < last * w; ++i) {
    const double ref = b.data<float>()[i];
    d2 += (a.data<float>()[i] - ref) * (a.data<float>()[i] - ref);
    n2 += ref * ref;
  }
  return std::sqrt(d2 / n2);
}

struct LayerRun {
  Tensor out, d_input, d_weight;
};

LayerRun run_layer(const DistGraph& graph, const Tensor& input, const Tensor& d_out, GatAttention attention) {
  GatLayer layer(1, kFeatures, kHeads, kWidth, /*mean_heads=*/false, 3);
  // Small attention vectors: near-uniform attention, as early in training (alpha ~ 1/in-degree).
  for (int p : {1, 2}) {
    Tensor& a = layer.parameters()[p]->value;
    for (int64_t i = 0; i < a.numel(); ++i) a.data<float>()[i] *= 0.1f;
  }
  LayerContext context;
  context.graph = &graph;
  context.precision = Precision::kINT8;
  context.gat_attention = attention;
  LayerRun r;
  r.out = layer.forward(input, context).clone();
  layer.backward(d_out, context, &r.d_input);
  r.d_weight = layer.parameters()[0]->grad.clone();
  return r;
}

TEST(GatAttention, PerRowScalesKeepTheHubWherePerTensorLosesIt) {
  io::Dataset dataset = hub_dataset();
  DistGraph graph = dist_graph_from_dataset(dataset);
  ASSERT_EQ(graph.adjacency_with_self.csr().indptr.to_vector<int64_t>()[1], kNodes);  // the hub's in-degree
  const Tensor& input = graph.input;
  std::mt19937 rng(9);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> g(kNodes * kHeads * kWidth);
  for (float& v : g) v = normal(rng);
  const Tensor d_out = Tensor::from(g, kNodes, kHeads * kWidth);

  const LayerRun fp32 = run_layer(graph, input, d_out, GatAttention::kFP32);
  const LayerRun tensor = run_layer(graph, input, d_out, GatAttention::kPerTensor);
  const LayerRun row = run_layer(graph, input, d_out, GatAttention::kPerRow);
  const double hub_tensor = relative_error(tensor.out, fp32.out, 0, 1);
  const double hub_row = relative_error(row.out, fp32.out, 0, 1);
  const double rest_row = relative_error(row.out, fp32.out, 1, kNodes);
  std::printf("hub output error vs fp32 attention: per-tensor %.4f, per-row %.4f; other rows per-row %.4f\n",
              hub_tensor, hub_row, rest_row);
  EXPECT_GT(hub_tensor, 0.2);  // ~127 * 3 / 600 < 1 level per weight
  EXPECT_GT(hub_tensor, 10 * hub_row);
  EXPECT_LT(hub_row, 0.05);
  EXPECT_LT(rest_row, 0.05);
  // Backward: the input and weight gradients follow the FP32-attention layer's (INT8 dY and Z error only).
  EXPECT_LT(relative_error(row.d_input, fp32.d_input, 0, kNodes), 0.05);
  EXPECT_LT(relative_error(row.d_weight, fp32.d_weight, 0, kFeatures), 0.05);
}

}  // namespace
}  // namespace tango::trainer
