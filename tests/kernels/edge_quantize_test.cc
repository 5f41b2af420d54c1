// The per-destination-row INT8 quantizer of GAT's attention (kernels/edge_quantize.h) against a plain
// loop: codes and scales bit for bit, on the forward CSR and on the reverse one whose edge ids are
// permuted; zero rows, negative values and NaN; misshaped outputs rejected.
#include "kernels/edge_quantize.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.h"
#include "tests/kernels/sparse_test_util.h"

namespace tango::kernels {
namespace {

using namespace testing;

// The rule of kernels/edge_quantize.h written out over a CSR's entries (edge ids from the index).
void expect_matches_loop(const CsrIndex& adj, const Tensor& edge) {
  const int64_t heads = edge.cols();
  QTensor q = make_edge_row_qtensor(adj, heads);
  quantize_edges_per_row(adj, edge, q);
  const auto indptr = adj.indptr.to_vector<int64_t>();
  std::vector<int32_t> ids(static_cast<size_t>(adj.num_entries()));
  for (int64_t p = 0; p < adj.num_entries(); ++p)
    ids[p] = adj.edge_ids_are_identity ? static_cast<int32_t>(p) : adj.edge_ids.to_vector<int32_t>()[p];
  const auto e = edge.to_vector<float>();
  const auto codes = q.values.to_vector<int8_t>();
  const auto scales = q.scales.to_vector<float>();
  ASSERT_EQ(scales.size(), static_cast<size_t>(adj.num_rows));
  for (int64_t r = 0; r < adj.num_rows; ++r) {
    float amax = 0.0f;
    for (int64_t p = indptr[r]; p < indptr[r + 1]; ++p)
      for (int64_t k = 0; k < heads; ++k) {
        const float a = std::fabs(e[ids[p] * heads + k]);
        if (a > amax) amax = a;  // NaN is skipped
      }
    const float scale = amax > 0.0f ? amax / 127.0f : 1.0f;
    ASSERT_EQ(scales[r], scale) << "row " << r;
    for (int64_t p = indptr[r]; p < indptr[r + 1]; ++p)
      for (int64_t k = 0; k < heads; ++k) {
        const float x = e[ids[p] * heads + k];
        const float code =
            std::isnan(x) ? 0.0f : std::clamp(std::nearbyint(x * (1.0f / scale)), -127.0f, 127.0f);
        ASSERT_EQ(codes[ids[p] * heads + k], static_cast<int8_t>(code)) << "row " << r << " entry " << p;
      }
  }
}

TEST(EdgeRowQuantize, MatchesAPlainLoopOnForwardAndReverseCsr) {
  const HostCsr h = random_csr(61, 47, 12, 3);  // empty rows, a hub row, unreferenced columns
  const SparseGraph g = to_sparse_graph(h);
  for (int64_t heads : {1, 3, 8}) {
    Tensor e = row_graded_edges(h, heads, 10 + heads);
    // A row of zeros (scale 1), negative values and a NaN (code 0, not the row's max).
    for (int64_t p = h.indptr[2]; p < h.indptr[3]; ++p)
      for (int64_t k = 0; k < heads; ++k) e.data<float>()[p * heads + k] = 0.0f;
    e.data<float>()[h.indptr[1] * heads] = -0.75f;
    e.data<float>()[(h.indptr[1] + 1) * heads] = std::numeric_limits<float>::quiet_NaN();
    expect_matches_loop(g.csr(), e);
    expect_matches_loop(g.csr_t(), e);  // per source row, through the permuted edge ids
  }
}

TEST(EdgeRowQuantize, RejectsMisshapedOutputs) {
  const SparseGraph g = to_sparse_graph(random_csr(10, 8, 4, 1));
  const Tensor e = random_matrix(g.num_edges(), 2, 1);
  QTensor q = make_edge_row_qtensor(g.csr(), 3);  // 3 heads, edges have 2
  EXPECT_THROW(quantize_edges_per_row(g.csr(), e, q), Error);
  QTensor wrong_scales{Tensor::empty(DType::kI8, e.shape()), Tensor::empty(DType::kF32, Shape::vec(1))};
  EXPECT_THROW(quantize_edges_per_row(g.csr(), e, wrong_scales), Error);
}

}  // namespace
}  // namespace tango::kernels
