// Gradient checks of whole layers and of the model against central finite differences (fp32).
//
// A layer is affine in its weight, bias and input, so a central difference has no truncation error:
// what separates it from the analytic gradient is the rounding of the two float forward passes. Each
// output element carries at most depth * u relative error (u = 2^-24, depth = the longest sum: F_in
// products plus max-degree aggregation terms), so L = sum(Y * R) is off by at most
// delta = depth * u * sum|Y R| and the difference quotient by delta / eps. The model (ELU + softmax)
// adds a truncation term eps^2 / 6 * |f'''| (f''' of log-softmax is below 1 per unit logit change,
// times the logit sensitivity, bounded below by the test's small weights); see model_tolerance().
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <ostream>

#include "tests/trainer/trainer_test_graphs.h"
#include "trainer/layers/gat_layer.h"
#include "trainer/layers/gcn_layer.h"
#include "trainer/layers/sage_layer.h"
#include "trainer/model.h"
#include "trainer/ops.h"

namespace tango::trainer {
// gtest prints a model kind by its flag value, which ctest's test names take (.../ModelGradient.../gcn).
void PrintTo(ModelKind kind, std::ostream* os) {
  *os << model_name(kind);
}
}  // namespace tango::trainer

namespace tango::trainer {
namespace {

constexpr double kUnitRoundoff = 1.0 / 16777216.0;

Tensor random_tensor(Shape shape, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  Tensor t = Tensor::empty(DType::kF32, shape);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = normal(rng);
  return t;
}

// L = sum(Y * R) in double, and sum |Y R| for the rounding bound.
std::pair<double, double> weighted_sum(const Tensor& y, const Tensor& r) {
  double sum = 0.0, abs_sum = 0.0;
  for (int64_t i = 0; i < y.numel(); ++i) {
    const double term = static_cast<double>(y.data<float>()[i]) * r.data<float>()[i];
    sum += term;
    abs_sum += std::fabs(term);
  }
  return {sum, abs_sum};
}

int64_t max_degree(const DistGraph& graph) {
  std::vector<int64_t> indptr = graph.adjacency_with_self.csr().indptr.to_vector<int64_t>();
  int64_t best = 0;
  for (size_t i = 0; i + 1 < indptr.size(); ++i) best = std::max(best, indptr[i + 1] - indptr[i]);
  return best;
}

// Checks d L / d t[i] for every element of `t` (a parameter value or the layer input).
// `smooth`: the layer is not affine (GAT's softmax), so use a smaller step and allow the truncation
// error eps^2 / 6 |f'''| (|f'''| < 10 for these unit-scale inputs) plus 1% for float's short mantissa.
void check_elements(Layer& layer, const LayerContext& context, const Tensor& input, Tensor& t,
                    const Tensor& analytic, const Tensor& r, const char* what, bool smooth = false) {
  const double eps = smooth ? 1e-3 : 1e-2;
  const int64_t depth = layer.in_features() + max_degree(*context.graph) + 4;
  float* values = t.data<float>();
  for (int64_t i = 0; i < t.numel(); ++i) {
    const float saved = values[i];
    values[i] = saved + static_cast<float>(eps);
    auto [plus, plus_abs] = weighted_sum(layer.forward(input, context), r);
    values[i] = saved - static_cast<float>(eps);
    auto [minus, minus_abs] = weighted_sum(layer.forward(input, context), r);
    values[i] = saved;
    const double numeric = (plus - minus) / (2 * eps);
    const double rounding = depth * kUnitRoundoff * (plus_abs + minus_abs) / (2 * eps);
    const double exact = analytic.data<float>()[i];
    const double truncation = smooth ? eps * eps * 10 / 6 + 1e-2 * std::fabs(exact) : 0.0;
    ASSERT_NEAR(numeric, exact, rounding + truncation + depth * kUnitRoundoff * std::fabs(exact))
        << what << " element " << i;
  }
}

// One layer under test: the kind, where it sits (layer 0 has no input gradient) and its widths. GCN and
// SAGE transform first when F_in > F_out and aggregate first otherwise; GAT runs 2 heads, concatenated
// (a hidden layer) or averaged (the output layer).
enum class LayerKind { kGcn, kSage, kGatConcat, kGatMean };

struct LayerCase {
  const char* name;
  LayerKind kind;
  int index;
  int64_t in, out;
};

std::unique_ptr<Layer> make_layer(const LayerCase& c, uint64_t seed) {
  switch (c.kind) {
    case LayerKind::kGcn: return std::make_unique<GcnLayer>(c.index, c.in, c.out, seed);
    case LayerKind::kSage: return std::make_unique<SageLayer>(c.index, c.in, c.out, seed);
    case LayerKind::kGatConcat: return std::make_unique<GatLayer>(c.index, c.in, 2, c.out / 2, false, seed);
    case LayerKind::kGatMean: return std::make_unique<GatLayer>(c.index, c.in, 2, c.out, true, seed);
  }
  return nullptr;
}

// gtest prints a case by its name, which ctest's test names take
// (.../LayerGradient.../GcnGemmFirstFirstLayer).
void PrintTo(const LayerCase& c, std::ostream* os) {
  *os << c.name;
}

class LayerGradient : public ::testing::TestWithParam<LayerCase> {};

TEST_P(LayerGradient, MatchesFiniteDifferences) {
  const LayerCase& c = GetParam();
  const bool smooth = c.kind == LayerKind::kGatConcat || c.kind == LayerKind::kGatMean;
  io::Dataset dataset = testing::random_dataset(23, 4, c.in, 3, 7);
  DistGraph graph = dist_graph_from_dataset(dataset);
  std::unique_ptr<Layer> layer = make_layer(c, 11);
  // A non-zero bias (the last parameter) so its gradient is not checked at zero.
  Tensor bias_init = random_tensor(Shape::vec(c.out), 5);
  layer->parameters().back()->value.copy_from(bias_init);
  LayerContext context;
  context.graph = &graph;
  Tensor input = random_tensor(Shape::mat(graph.num_rows(), c.in), 3);
  Tensor r = random_tensor(Shape::mat(graph.num_owned, c.out), 4);

  layer->forward(input, context);
  Tensor d_input;
  layer->backward(r, context, c.index > 0 ? &d_input : nullptr);
  for (Parameter* p : layer->parameters()) {
    Tensor analytic = p->grad.clone();
    check_elements(*layer, context, input, p->value, analytic, r, p->name.c_str(), smooth);
  }
  if (c.index > 0) {
    Tensor perturbed = input.clone();
    check_elements(*layer, context, perturbed, perturbed, d_input, r, "input", smooth);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Layers, LayerGradient,
    ::testing::Values(LayerCase{"GcnGemmFirstFirstLayer", LayerKind::kGcn, 0, 9, 4},
                      LayerCase{"GcnGemmFirstHiddenLayer", LayerKind::kGcn, 1, 9, 4},
                      LayerCase{"GcnAggregateFirstFirstLayer", LayerKind::kGcn, 0, 4, 6},
                      LayerCase{"GcnAggregateFirstHiddenLayer", LayerKind::kGcn, 1, 4, 6},
                      LayerCase{"SageTransformFirstFirstLayer", LayerKind::kSage, 0, 7, 5},
                      LayerCase{"SageTransformFirstHiddenLayer", LayerKind::kSage, 1, 7, 5},
                      LayerCase{"SageAggregateFirstFirstLayer", LayerKind::kSage, 0, 4, 6},
                      LayerCase{"SageAggregateFirstHiddenLayer", LayerKind::kSage, 1, 4, 6},
                      LayerCase{"GatConcatenatedHeadsFirstLayer", LayerKind::kGatConcat, 0, 5, 6},
                      LayerCase{"GatConcatenatedHeadsHiddenLayer", LayerKind::kGatConcat, 1, 5, 6},
                      LayerCase{"GatAveragedHeadsHiddenLayer", LayerKind::kGatMean, 1, 5, 3}));

// The model: 2 layers, ELU, mean NLL over all nodes, no dropout.
class ModelGradient : public ::testing::TestWithParam<ModelKind> {};

TEST_P(ModelGradient, MatchesFiniteDifferences) {
  const ModelKind kind = GetParam();
  io::Dataset dataset = testing::random_dataset(31, 4, 6, 3, 9);
  DistGraph graph = dist_graph_from_dataset(dataset);
  TrainConfig config;
  config.model = kind;
  config.layers = 2;
  config.hidden = kind == ModelKind::kGAT ? 6 : 5;
  config.heads = 2;
  config.dropout = 0.0;
  // ELU, not ReLU: a +-eps step across ReLU's kink breaks the difference quotient; ELU is C^1, so a
  // step across its second-derivative jump costs only O(eps) (inside the tolerance below).
  config.activation = "elu";
  Model model(config, graph.num_features(), graph.num_classes);
  const double n = static_cast<double>(graph.num_owned);
  auto loss = [&]() {
    Tensor logits = model.forward(graph, {}, true, 0);
    Tensor grad = Tensor::empty(DType::kF32, logits.shape());
    return std::make_pair(log_softmax_nll(logits, graph.labels, graph.train_mask, n, grad) / n, grad);
  };
  auto [base, d_logits] = loss();
  model.backward(d_logits, {});
  // Rounding: |L| (about log(classes)) with depth ~ 64 terms, over eps; truncation eps^2 * |f'''| / 6
  // with |f'''| below (|W| |H| scale)^3 ~ 10 here.
  const double eps = 1e-3;
  const double tolerance = 64 * kUnitRoundoff * std::fabs(base) / eps + eps * eps * 10 / 6 + 1e-4;
  for (Parameter* p : model.parameters()) {
    Tensor analytic = p->grad.clone();
    float* w = p->value.data<float>();
    for (int64_t i = 0; i < p->value.numel(); ++i) {
      const float saved = w[i];
      w[i] = saved + static_cast<float>(eps);
      const double plus = loss().first;
      w[i] = saved - static_cast<float>(eps);
      const double minus = loss().first;
      w[i] = saved;
      const double numeric = (plus - minus) / (2 * eps);
      ASSERT_NEAR(numeric, analytic.data<float>()[i], tolerance + 1e-2 * std::fabs(numeric))
          << p->name << " element " << i;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Models, ModelGradient,
                         ::testing::Values(ModelKind::kGCN, ModelKind::kSAGE, ModelKind::kMLP,
                                           ModelKind::kGAT));

}  // namespace
}  // namespace tango::trainer
