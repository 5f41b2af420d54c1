// The OGB raw reader on the real cora and facebook folders: counts must match
// ../shared/datasets/README.md, and spot values must match the first lines of the files.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "io/ogb_reader.h"
#include "tests/common/test_data.h"

namespace tango::io {
namespace {

// True when v appears in u's row of the CSR.
bool has_edge(const Graph& g, int64_t u, int64_t v) {
  const int64_t* indptr = g.indptr.data<int64_t>();
  return visit_indices(g, [&](const auto* indices) {
    return std::binary_search(indices + indptr[u], indices + indptr[u + 1], v);
  });
}

// Every row strictly increasing, no self-loop, and every edge has its reverse.
void expect_symmetric_clean_csr(const Graph& g) {
  const int64_t* indptr = g.indptr.data<int64_t>();
  visit_indices(g, [&](const auto* indices) {
    for (int64_t u = 0; u < g.num_nodes; ++u)
      for (int64_t k = indptr[u]; k < indptr[u + 1]; ++k) {
        ASSERT_NE(indices[k], u) << "self-loop at " << u;
        if (k > indptr[u]) {
          ASSERT_LT(indices[k - 1], indices[k]) << "row " << u;
        }
        ASSERT_TRUE(has_edge(g, indices[k], u)) << u << " -> " << indices[k] << " has no reverse";
      }
  });
}

TEST(OgbRealData, CoraMatchesThePublishedCounts) {
  TANGO_REQUIRE_DATASET(dir, "cora");
  Dataset d = read_ogb_dir(dir);
  EXPECT_EQ(d.name, "cora");
  EXPECT_EQ(d.split_name, "public");
  EXPECT_EQ(d.num_nodes(), 2708);
  EXPECT_EQ(d.cleanup.input_edges, 5278);
  EXPECT_EQ(d.graph.num_edges(), 2 * 5278);
  EXPECT_EQ(d.cleanup.self_loops, 0) << "the README promises none";
  EXPECT_EQ(d.cleanup.duplicates, 0) << "the README promises none";
  EXPECT_EQ(d.num_features(), 1433);
  EXPECT_EQ(d.num_classes, 7);
  EXPECT_EQ(count_mask(d.train_mask), 140);
  EXPECT_EQ(count_mask(d.valid_mask), 500);
  EXPECT_EQ(count_mask(d.test_mask), 1000);
  EXPECT_TRUE(d.graph.indices.dtype() == DType::kI32);
  expect_symmetric_clean_csr(d.graph);
  // The first lines of raw/edge.csv.gz are "0,633", "0,1862"; of raw/node-label.csv.gz "3", "4".
  EXPECT_TRUE(has_edge(d.graph, 0, 633) && has_edge(d.graph, 633, 0));
  EXPECT_TRUE(has_edge(d.graph, 1862, 0));
  EXPECT_EQ(d.labels.data<int32_t>()[0], 3);
  EXPECT_EQ(d.labels.data<int32_t>()[1], 4);
  // Bag-of-words: every feature is 0 or 1; node 0's 20th word (index 19) is present.
  const float* f = d.features.data<float>();
  EXPECT_TRUE(std::all_of(f, f + d.features.numel(), [](float x) { return x == 0.0f || x == 1.0f; }));
  EXPECT_EQ(f[19], 1.0f);
  EXPECT_EQ(f[18], 0.0f);
}

TEST(OgbRealData, FacebookMatchesThePublishedCounts) {
  TANGO_REQUIRE_DATASET(dir, "facebook");
  Dataset d = read_ogb_dir(dir);
  EXPECT_EQ(d.name, "facebook");
  EXPECT_EQ(d.split_name, "random-60-20-20");
  EXPECT_EQ(d.num_nodes(), 22470);
  EXPECT_EQ(d.cleanup.input_edges, 170823);
  EXPECT_EQ(d.graph.num_edges(), 2 * 170823);
  EXPECT_EQ(d.cleanup.self_loops, 0) << "the README promises none";
  EXPECT_EQ(d.cleanup.duplicates, 0) << "the README promises none";
  EXPECT_EQ(d.num_features(), 128);
  EXPECT_EQ(d.num_classes, 4);
  EXPECT_EQ(count_mask(d.train_mask), 13482);
  EXPECT_EQ(count_mask(d.valid_mask), 4494);
  EXPECT_EQ(count_mask(d.test_mask), 4494);
  expect_symmetric_clean_csr(d.graph);
  // First lines: edge "0,18427", label "1", features "-0.0402587,0.0611539,...".
  EXPECT_TRUE(has_edge(d.graph, 18427, 0));
  EXPECT_EQ(d.labels.data<int32_t>()[0], 1);
  const float* f = d.features.data<float>();
  EXPECT_EQ(f[0], -0.0402587f);
  EXPECT_EQ(f[1], 0.0611539f);
  EXPECT_EQ(f[5], 5.41313e-05f);
  // Scaled to max |x| = 1 (README).
  float max_abs = 0;
  for (int64_t i = 0; i < d.features.numel(); ++i) max_abs = std::max(max_abs, std::fabs(f[i]));
  EXPECT_FLOAT_EQ(max_abs, 1.0f);
  // The three splits are disjoint and cover every node (60/20/20 of 22470).
  const uint8_t* tr = d.train_mask.data<uint8_t>();
  const uint8_t* va = d.valid_mask.data<uint8_t>();
  const uint8_t* te = d.test_mask.data<uint8_t>();
  for (int64_t v = 0; v < d.num_nodes(); ++v) ASSERT_EQ(tr[v] + va[v] + te[v], 1) << "node " << v;
}

}  // namespace
}  // namespace tango::io
