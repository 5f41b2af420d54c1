// What the layers and the model keep from forward to backward (trainer/layers/README.md): under int8,
// INT8 codes with their scales and u8 codes, no FP32 activation (GAT's alpha is the one FP32 tensor, by
// the rule's stated exception); under fp32, the FP32 activations; after backward, nothing the size of an
// activation.
#include <gtest/gtest.h>

#include <cstdio>
#include <memory>

#include "core/device.h"
#include "tests/trainer/trainer_test_graphs.h"
#include "trainer/layers/gat_layer.h"
#include "trainer/layers/gcn_layer.h"
#include "trainer/layers/sage_layer.h"
#include "trainer/model.h"

namespace tango::trainer {
namespace {

constexpr int64_t kScaleBytes = 4;  // one f32 scale per INT8 tensor

struct Fixture {
  io::Dataset dataset = testing::random_dataset(61, 6, 12, 3, 7);
  DistGraph graph = dist_graph_from_dataset(dataset);
  LayerContext context(Precision precision) const {
    LayerContext c;
    c.graph = &graph;
    c.precision = precision;
    c.training = true;
    return c;
  }
  Tensor input(int64_t cols) const {
    Tensor t = Tensor::empty(DType::kF32, Shape::mat(graph.num_rows(), cols));
    for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = static_cast<float>((i * 37) % 19) - 9.0f;
    return t;
  }
};

// Forward and backward of `layer` at index 1 (input = owned rows); `codes_bytes` the INT8 activation
// codes int8 keeps, `alpha_bytes` the FP32 attention it keeps.
void check_layer(Layer& layer, const Fixture& f, int64_t codes_bytes, int64_t alpha_bytes, int64_t u8_bytes) {
  const int64_t weights = layer.in_features() * layer.out_features();
  const int num_maps = static_cast<int>(layer.parameters().size()) - (alpha_bytes > 0 ? 3 : 1);
  const Tensor x = f.input(layer.in_features());
  const LayerContext int8 = f.context(Precision::kINT8), fp32 = f.context(Precision::kFP32);
  Tensor d_input;
  const Tensor y = layer.forward(x, int8);
  SavedBytes saved = layer.saved_bytes();
  EXPECT_EQ(saved.int8, codes_bytes + num_maps * weights);
  EXPECT_EQ(saved.fp32, alpha_bytes + 2 * num_maps * kScaleBytes) << "an FP32 activation is kept";
  EXPECT_EQ(saved.u8, u8_bytes);
  layer.backward(y, int8, &d_input);
  saved = layer.saved_bytes();
  EXPECT_EQ(saved.total(), num_maps * (weights + kScaleBytes)) << "backward left activation state";

  layer.forward(x, fp32);
  saved = layer.saved_bytes();
  EXPECT_EQ(saved.int8, 0);
  EXPECT_GE(saved.fp32, codes_bytes * 4);  // the same activations in FP32
  layer.backward(y, fp32, &d_input);
  EXPECT_EQ(layer.saved_bytes().total(), 0);
}

TEST(SavedState, Int8GcnKeepsTheCodesOfWhatItsGemmReads) {
  Fixture f;
  const int64_t owned = f.graph.num_owned;
  GcnLayer gemm_first(1, 12, 5, 3);  // keeps H [owned, 12]
  check_layer(gemm_first, f, owned * 12, 0, 0);
  GcnLayer aggregate_first(1, 12, 20, 3);  // keeps M = S A S H [owned, 12]
  check_layer(aggregate_first, f, owned * 12, 0, 0);
}

TEST(SavedState, Int8SageKeepsTheCodesOfItsTwoGemmInputs) {
  Fixture f;
  const int64_t owned = f.graph.num_owned;
  SageLayer transform_first(1, 12, 5, 3);  // H for both maps
  check_layer(transform_first, f, 2 * owned * 12, 0, 0);
  SageLayer aggregate_first(1, 12, 20, 3);  // H (root) and the mean M (neighbours)
  check_layer(aggregate_first, f, 2 * owned * 12, 0, 0);
}

TEST(SavedState, Int8GatKeepsHCodesAlphaAndLeakyReluCodesNotZ) {
  Fixture f;
  const int64_t edges = f.graph.adjacency_with_self.csr().num_entries(), heads = 2;
  GatLayer layer(1, 12, static_cast<int>(heads), 4, false, 3);
  check_layer(layer, f, f.graph.num_owned * 12, edges * heads * 4, edges * heads);
}

// The model's state between layers: int8 keeps one u8 code per hidden activation element (with the
// dropout folded in) and layer 0's dropout mask; fp32 keeps the activation's input and each mask.
TEST(SavedState, Int8ModelKeepsU8ActivationCodesNotTheActivations) {
  Fixture f;
  TrainConfig config;
  config.model = ModelKind::kGCN;
  config.layers = 3;
  config.hidden = 16;
  config.dropout = 0.5;
  for (Precision precision : {Precision::kINT8, Precision::kFP32}) {
    config.precision = precision;
    Model model(config, f.graph.num_features(), f.graph.num_classes);
    model.forward(f.graph, {}, /*training=*/true, 0);
    const int64_t owned = f.graph.num_owned, hidden = config.hidden;
    for (int l = 0; l < 3; ++l) {
      const SavedBytes layer = model.layer(l).saved_bytes(), all = model.saved_bytes(l);
      const int64_t input_mask = l == 0 || precision == Precision::kFP32 ? model.layer(l).in_features() : 0;
      const int64_t rows = l == 0 ? f.graph.num_rows() : owned;
      const int64_t activation = l < 2 ? owned * hidden : 0;
      if (precision == Precision::kINT8) {
        EXPECT_EQ(all.u8 - layer.u8, rows * input_mask + activation) << "layer " << l;
        EXPECT_EQ(all.fp32, layer.fp32) << "layer " << l;
      } else {
        EXPECT_EQ(all.u8 - layer.u8, rows * input_mask) << "layer " << l;
        EXPECT_EQ(all.fp32 - layer.fp32, activation * 4) << "layer " << l;
      }
    }
  }
}

// The peak this rule is for (docs/BENCHMARKS.md, "Peak memory"): one training step of a 3-layer model on a
// 20,000-node graph (128 features, GCN / SAGE 256 wide, GAT 64 x 4, tango-train's dropouts), live-tensor peak
// in int8 at most 0.6 of fp32's, the graph and features counted in both (as the target counts them).
// Sizes are deterministic: no tolerance for noise is needed.
TEST(SavedState, Int8TrainingStepPeaksBelowSixTenthsOfFp32) {
  const DistGraph graph = dist_graph_from_dataset(testing::random_dataset(20000, 20, 128, 16, 5));
  for (ModelKind kind : {ModelKind::kGCN, ModelKind::kSAGE, ModelKind::kGAT}) {
    int64_t peak[2] = {0, 0};
    for (Precision precision : {Precision::kFP32, Precision::kINT8}) {
      TrainConfig config;
      config.model = kind;
      config.layers = 3;
      config.hidden = kind == ModelKind::kGAT ? 64 : 256;
      config.heads = 4;
      config.dropout = kind == ModelKind::kGAT ? 0.6 : 0.5;  // tango-train's defaults
      config.attn_dropout = kind == ModelKind::kGAT ? 0.6 : 0.0;
      config.activation = kind == ModelKind::kGAT ? "elu" : "relu";
      config.precision = precision;
      Model model(config, graph.num_features(), graph.num_classes);
      reset_peak_memory(Device::Kind::kCPU);
      {
        const Tensor logits = model.forward(graph, {}, /*training=*/true, 0);
        Tensor d_logits = Tensor::empty(DType::kF32, logits.shape());
        for (int64_t i = 0; i < d_logits.numel(); ++i)
          d_logits.data<float>()[i] = 1e-3f * static_cast<float>(i % 7);
        model.backward(d_logits, {});
      }
      peak[precision == Precision::kINT8] = memory_stats(Device::Kind::kCPU).peak_bytes;
    }
    const double ratio = static_cast<double>(peak[1]) / static_cast<double>(peak[0]);
    EXPECT_LE(ratio, 0.6) << static_cast<int>(kind) << ": int8 " << peak[1] << " B, fp32 " << peak[0] << " B";
    std::printf("model %d: int8 %.1f MiB / fp32 %.1f MiB = %.3f\n", static_cast<int>(kind),
                peak[1] / 1048576.0, peak[0] / 1048576.0, ratio);
  }
}

}  // namespace
}  // namespace tango::trainer
