// The synthetic dataset is worth training on: at the default feature signal and homophily, a classifier
// on raw features (what an MLP sees) is above chance but far from perfect, while the same classifier on
// features averaged over each node's 2-hop neighbourhood with self-loops (what a 2-layer GCN sees) is
// much better. The classifier is nearest class centroid, fitted on the train split, scored on test.
#include <gtest/gtest.h>

#include <limits>
#include <vector>

#include "io/synthetic.h"

namespace tango::io {
namespace {

// One round of mean aggregation over N(v) and v itself: out_v = (x_v + sum_{u in N(v)} x_u) / (deg(v) + 1).
std::vector<double> mean_aggregate(const Dataset& d, const std::vector<double>& x) {
  const int64_t n = d.num_nodes(), f = d.num_features();
  const int64_t* indptr = d.graph.indptr.data<int64_t>();
  const int32_t* indices = d.graph.indices.data<int32_t>();
  std::vector<double> out(x.size());
  for (int64_t v = 0; v < n; ++v) {
    double* row = out.data() + v * f;
    for (int64_t j = 0; j < f; ++j) row[j] = x[v * f + j];
    for (int64_t k = indptr[v]; k < indptr[v + 1]; ++k)
      for (int64_t j = 0; j < f; ++j) row[j] += x[indices[k] * f + j];
    const double scale = 1.0 / static_cast<double>(indptr[v + 1] - indptr[v] + 1);
    for (int64_t j = 0; j < f; ++j) row[j] *= scale;
  }
  return out;
}

// Test accuracy of the nearest-centroid classifier fitted on the train nodes.
double nearest_centroid_accuracy(const Dataset& d, const std::vector<double>& x) {
  const int64_t n = d.num_nodes(), f = d.num_features();
  const int32_t classes = d.num_classes;
  const int32_t* labels = d.labels.data<int32_t>();
  const uint8_t* train = d.train_mask.data<uint8_t>();
  const uint8_t* test = d.test_mask.data<uint8_t>();
  std::vector<double> centroid(static_cast<size_t>(classes) * f, 0);
  std::vector<int64_t> count(classes, 0);
  for (int64_t v = 0; v < n; ++v) {
    if (!train[v]) continue;
    ++count[labels[v]];
    for (int64_t j = 0; j < f; ++j) centroid[labels[v] * f + j] += x[v * f + j];
  }
  for (int32_t c = 0; c < classes; ++c)
    for (int64_t j = 0; j < f; ++j) centroid[c * f + j] /= static_cast<double>(count[c]);
  int64_t correct = 0, total = 0;
  for (int64_t v = 0; v < n; ++v) {
    if (!test[v]) continue;
    int32_t best = -1;
    double best_distance = std::numeric_limits<double>::infinity();
    for (int32_t c = 0; c < classes; ++c) {
      double distance = 0;
      for (int64_t j = 0; j < f; ++j) {
        const double diff = x[v * f + j] - centroid[c * f + j];
        distance += diff * diff;
      }
      if (distance < best_distance) best_distance = distance, best = c;
    }
    correct += best == labels[v];
    ++total;
  }
  return static_cast<double>(correct) / static_cast<double>(total);
}

struct Accuracies {
  double raw, two_hop;
};

Accuracies raw_and_two_hop_accuracy(const SyntheticSpec& spec) {
  const Dataset d = generate_synthetic(spec);
  const float* features = d.features.data<float>();
  const std::vector<double> raw(features, features + d.features.numel());
  return {nearest_centroid_accuracy(d, raw),
          nearest_centroid_accuracy(d, mean_aggregate(d, mean_aggregate(d, raw)))};
}

TEST(SyntheticLearnability, TwoHopAggregationBeatsRawFeaturesClearlyAtTheDefaults) {
  SyntheticSpec spec;  // default classes, features, degree and homophily
  spec.nodes = 5000;
  const Accuracies accuracy = raw_and_two_hop_accuracy(spec);
  const double chance = 1.0 / spec.classes;
  RecordProperty("raw_accuracy", std::to_string(accuracy.raw));
  RecordProperty("two_hop_accuracy", std::to_string(accuracy.two_hop));
  EXPECT_GT(accuracy.raw, chance + 0.15) << "features alone should carry some signal";
  EXPECT_LT(accuracy.raw, 0.75) << "features alone should leave room for the graph";
  EXPECT_GT(accuracy.two_hop, accuracy.raw + 0.15)
      << "raw " << accuracy.raw << ", 2-hop " << accuracy.two_hop;
}

TEST(SyntheticLearnability, WithoutHomophilyTheGraphDoesNotHelp) {
  SyntheticSpec spec;
  spec.nodes = 5000;
  spec.homophily = 1.0 / spec.classes;  // edges ignore classes: neighbours are random class-wise
  const Accuracies accuracy = raw_and_two_hop_accuracy(spec);
  EXPECT_LT(accuracy.two_hop, accuracy.raw) << "raw " << accuracy.raw << ", 2-hop " << accuracy.two_hop;
}

}  // namespace
}  // namespace tango::io
