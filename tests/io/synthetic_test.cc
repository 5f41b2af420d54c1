// The synthetic generator: deterministic per seed and thread count, a valid symmetric simple graph with
// heavy-tailed degrees, the requested edge count and homophily, and features that a graph model can
// exploit (2-hop neighbourhood averaging classifies far better than the raw features).
#include "io/synthetic.h"

#include <gtest/gtest.h>
#include <omp.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

namespace tango::io {
namespace {

SyntheticSpec small_spec(uint64_t seed = 1) {
  SyntheticSpec spec;
  spec.nodes = 3000;
  spec.avg_degree = 12;
  spec.classes = 5;
  spec.features = 17;  // odd: the last Box-Muller pair is split
  spec.seed = seed;
  return spec;
}

bool same_bytes(const Tensor& a, const Tensor& b) {
  return a.dtype() == b.dtype() && a.shape() == b.shape() &&
         std::memcmp(a.raw_data(), b.raw_data(), a.nbytes()) == 0;
}

// Compares every array of two datasets byte for byte.
void expect_identical(const Dataset& a, const Dataset& b) {
  EXPECT_EQ(a.name, b.name);
  EXPECT_TRUE(same_bytes(a.graph.indptr, b.graph.indptr));
  EXPECT_TRUE(same_bytes(a.graph.indices, b.graph.indices));
  EXPECT_TRUE(same_bytes(a.features, b.features));
  EXPECT_TRUE(same_bytes(a.labels, b.labels));
  EXPECT_TRUE(same_bytes(a.train_mask, b.train_mask));
  EXPECT_TRUE(same_bytes(a.valid_mask, b.valid_mask));
  EXPECT_TRUE(same_bytes(a.test_mask, b.test_mask));
}

TEST(SyntheticGenerator, SameSeedGivesIdenticalBytes) {
  expect_identical(generate_synthetic(small_spec(7)), generate_synthetic(small_spec(7)));
}

TEST(SyntheticGenerator, ThreadCountDoesNotChangeTheResult) {
  const int threads_before = omp_get_max_threads();
  omp_set_num_threads(1);
  const Dataset serial = generate_synthetic(small_spec(3));
  omp_set_num_threads(2);
  const Dataset two = generate_synthetic(small_spec(3));
  omp_set_num_threads(3);  // an odd count splits the loops unevenly
  const Dataset three = generate_synthetic(small_spec(3));
  omp_set_num_threads(threads_before);
  expect_identical(serial, two);
  expect_identical(serial, three);
}

TEST(SyntheticGenerator, DifferentSeedsGiveDifferentData) {
  const Dataset a = generate_synthetic(small_spec(1)), b = generate_synthetic(small_spec(2));
  EXPECT_FALSE(same_bytes(a.graph.indices, b.graph.indices) && same_bytes(a.graph.indptr, b.graph.indptr));
  EXPECT_FALSE(same_bytes(a.features, b.features));
  EXPECT_FALSE(same_bytes(a.labels, b.labels));
  EXPECT_FALSE(same_bytes(a.train_mask, b.train_mask));
}

TEST(SyntheticGenerator, ProducesAValidSymmetricSimpleGraph) {
  const SyntheticSpec spec = small_spec();
  const Dataset d = generate_synthetic(spec);
  EXPECT_NO_THROW(validate_dataset(d, "synthetic"));
  EXPECT_EQ(d.name, spec.str());
  EXPECT_EQ(d.split_name, "random-60-20-20");
  EXPECT_EQ(d.num_classes, spec.classes);
  EXPECT_EQ(d.num_nodes(), spec.nodes);
  EXPECT_EQ(d.num_features(), spec.features);
  ASSERT_FALSE(d.graph.wide_ids());
  const int64_t* indptr = d.graph.indptr.data<int64_t>();
  const int32_t* indices = d.graph.indices.data<int32_t>();
  for (int64_t v = 0; v < spec.nodes; ++v) {
    for (int64_t k = indptr[v]; k < indptr[v + 1]; ++k) {
      const int32_t u = indices[k];
      ASSERT_NE(u, v) << "self-loop at node " << v;
      if (k > indptr[v]) {
        ASSERT_LT(indices[k - 1], u) << "row " << v << " unsorted or duplicated";
      }
      ASSERT_TRUE(std::binary_search(indices + indptr[u], indices + indptr[u + 1], static_cast<int32_t>(v)))
          << "edge " << v << "->" << u << " has no reverse";
    }
  }
}

TEST(SyntheticGenerator, SplitIsSixtyTwentyTwentyAndDisjoint) {
  const Dataset d = generate_synthetic(small_spec());
  EXPECT_EQ(count_mask(d.train_mask), 1800);
  EXPECT_EQ(count_mask(d.valid_mask), 600);
  EXPECT_EQ(count_mask(d.test_mask), 600);
  const uint8_t *train = d.train_mask.data<uint8_t>(), *valid = d.valid_mask.data<uint8_t>(),
                *test = d.test_mask.data<uint8_t>();
  for (int64_t v = 0; v < d.num_nodes(); ++v) ASSERT_EQ(train[v] + valid[v] + test[v], 1) << "node " << v;
}

TEST(SyntheticGenerator, ClassesAreBalanced) {
  const Dataset d = generate_synthetic(small_spec());
  std::vector<int64_t> size(d.num_classes, 0);
  for (int32_t label : d.labels.to_vector<int32_t>()) ++size[label];
  for (int64_t s : size) EXPECT_EQ(s, d.num_nodes() / d.num_classes);
}

TEST(SyntheticGenerator, EdgeCountIsNearTheTargetAndDegreesAreHeavyTailed) {
  SyntheticSpec spec;  // the defaults: 10000 nodes, average degree 20
  const Dataset d = generate_synthetic(spec);
  const double target = static_cast<double>(spec.nodes) * spec.avg_degree;
  EXPECT_NEAR(static_cast<double>(d.graph.num_edges()), target, 0.01 * target);
  EXPECT_GT(d.cleanup.duplicates + d.cleanup.self_loops, 0)
      << "nothing dropped: the compensation was not tested";
  const int64_t* indptr = d.graph.indptr.data<int64_t>();
  std::vector<int64_t> degree(spec.nodes);
  for (int64_t v = 0; v < spec.nodes; ++v) degree[v] = indptr[v + 1] - indptr[v];
  std::sort(degree.begin(), degree.end());
  const double mean = target / static_cast<double>(spec.nodes);
  const double median = static_cast<double>(degree[spec.nodes / 2]);
  // Power law: the median sits well below the mean and the largest hubs far above it.
  EXPECT_LT(median, 0.75 * mean);
  EXPECT_GT(static_cast<double>(degree.back()), 10 * mean);
}

TEST(SyntheticGenerator, HubExponentRaisesTheLargestDegrees) {
  SyntheticSpec spec;
  spec.nodes = 4000;
  auto max_degree = [](const Dataset& d) {
    const int64_t* indptr = d.graph.indptr.data<int64_t>();
    int64_t best = 0;
    for (int64_t v = 0; v < d.num_nodes(); ++v) best = std::max(best, indptr[v + 1] - indptr[v]);
    return best;
  };
  const int64_t capped = max_degree(generate_synthetic(spec));  // propensities capped at sqrt(4000) = 63
  spec.hub_exponent = 1.0;                                      // capped at 4000
  const int64_t hubs = max_degree(generate_synthetic(spec));
  EXPECT_GT(hubs, 2 * capped) << capped << " vs " << hubs;
}

// The fraction of directed edges whose endpoints share a label.
double edge_homophily(const Dataset& d) {
  const int64_t* indptr = d.graph.indptr.data<int64_t>();
  const int32_t* indices = d.graph.indices.data<int32_t>();
  const int32_t* labels = d.labels.data<int32_t>();
  int64_t same = 0;
  for (int64_t v = 0; v < d.num_nodes(); ++v)
    for (int64_t k = indptr[v]; k < indptr[v + 1]; ++k) same += labels[v] == labels[indices[k]];
  return static_cast<double>(same) / static_cast<double>(d.graph.num_edges());
}

TEST(SyntheticGenerator, EdgeHomophilyMatchesTheSpec) {
  for (double homophily : {0.0, 0.3, 0.8, 1.0}) {
    SyntheticSpec spec = small_spec();
    spec.homophily = homophily;
    // Edges are drawn with exactly this homophily (sampling deviation ~0.003 at 19k edges), but the ~7%
    // dropped as duplicates or self-loops are mostly within a class, which lowers the kept fraction by
    // up to ~0.02 at this density.
    EXPECT_NEAR(edge_homophily(generate_synthetic(spec)), homophily, 0.03) << spec.str();
  }
}

TEST(SyntheticGenerator, TinyAndDenseSpecsStillWork) {
  SyntheticSpec spec;
  spec.nodes = 3;
  spec.avg_degree = 2;  // the complete graph
  spec.classes = 3;
  spec.features = 1;
  const Dataset d = generate_synthetic(spec);
  EXPECT_NO_THROW(validate_dataset(d, "synthetic"));
  EXPECT_EQ(d.graph.num_edges(), 6);
}

TEST(SyntheticGenerator, StopsDrawingWhenTheTargetIsUnreachable) {
  SyntheticSpec spec;
  spec.nodes = 1000;
  spec.classes = 1000;  // one node per class and full homophily: every edge drawn is a self-loop
  spec.homophily = 1;
  spec.avg_degree = 10;
  const Dataset d = generate_synthetic(spec);
  EXPECT_NO_THROW(validate_dataset(d, "synthetic"));
  EXPECT_EQ(d.graph.num_edges(), 0);
  EXPECT_EQ(d.cleanup.self_loops, d.cleanup.input_edges);
  EXPECT_LE(d.cleanup.input_edges, 2 * spec.nodes * 10) << "the draws must stay bounded";
}

}  // namespace
}  // namespace tango::io
