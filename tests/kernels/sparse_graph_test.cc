// SparseGraph: the reverse CSR and the edge permutation agree with the forward CSR, entry by entry.
#include "kernels/sparse_graph.h"

#include <gtest/gtest.h>

#include <cstring>
#include <utility>

#include "core/error.h"
#include "kernels/edge_softmax.h"
#include "kernels/sddmm.h"
#include "kernels/spmm.h"
#include "tests/kernels/sparse_test_util.h"

namespace tango::kernels {
namespace {

using testing::HostCsr;
using testing::random_csr;
using testing::to_sparse_graph;

TEST(SparseGraph, ReverseCsrListsEveryEdgeOnceInForwardOrder) {
  const HostCsr h = random_csr(57, 43, 9, 3);
  const SparseGraph g = to_sparse_graph(h);
  ASSERT_EQ(g.num_edges(), h.nnz());
  const CsrIndex& rev = g.csr_t();
  ASSERT_EQ(rev.num_rows, 43);
  ASSERT_EQ(rev.num_cols, 57);
  auto t_indptr = rev.indptr.to_vector<int64_t>();
  auto t_cols = rev.indices.to_vector<int32_t>();
  auto perm = rev.edge_ids.to_vector<int32_t>();
  std::vector<int32_t> row_of(h.nnz());
  for (int64_t r = 0; r < h.rows; ++r)
    for (int64_t p = h.indptr[r]; p < h.indptr[r + 1]; ++p) row_of[p] = static_cast<int32_t>(r);
  std::vector<int> seen(h.nnz(), 0);
  for (int64_t c = 0; c < 43; ++c) {
    for (int64_t q = t_indptr[c]; q < t_indptr[c + 1]; ++q) {
      const int32_t e = perm[q];
      ASSERT_GE(e, 0);
      ASSERT_LT(e, h.nnz());
      ++seen[e];
      EXPECT_EQ(h.indices[e], c) << "reverse row " << c << " holds edge " << e << " of another column";
      EXPECT_EQ(t_cols[q], row_of[e]);
      if (q > t_indptr[c]) {
        EXPECT_LT(perm[q - 1], e) << "reverse row " << c << " not in forward order";
      }
    }
  }
  for (int64_t e = 0; e < h.nnz(); ++e) EXPECT_EQ(seen[e], 1) << "edge " << e;
  // The last two columns are never referenced: empty reverse rows.
  EXPECT_EQ(t_indptr[43], t_indptr[41]);
}

TEST(SparseGraph, InverseInDegreeIsZeroForEmptyRows) {
  const HostCsr h = random_csr(20, 20, 6, 5);
  const SparseGraph g = to_sparse_graph(h);
  auto inv = g.inverse_in_degree().to_vector<float>();
  for (int64_t r = 0; r < 20; ++r) {
    const int64_t degree = h.indptr[r + 1] - h.indptr[r];
    EXPECT_FLOAT_EQ(inv[r], degree ? 1.0f / degree : 0.0f) << "row " << r;
  }
}

TEST(SparseGraph, IncidenceMatricesHaveOneEntryPerEdge) {
  const HostCsr h = random_csr(15, 11, 5, 8);
  const SparseGraph g = to_sparse_graph(h);
  const CsrIndex in = g.in_incidence(), out = g.out_incidence();
  EXPECT_EQ(in.num_cols, h.nnz());
  EXPECT_EQ(out.num_cols, h.nnz());
  auto in_ids = in.indices.to_vector<int32_t>();
  for (int64_t p = 0; p < h.nnz(); ++p) EXPECT_EQ(in_ids[p], p);
  auto out_indptr = out.indptr.to_vector<int64_t>();
  auto out_ids = out.indices.to_vector<int32_t>();
  for (int64_t c = 0; c < 11; ++c)
    for (int64_t q = out_indptr[c]; q < out_indptr[c + 1]; ++q) EXPECT_EQ(h.indices[out_ids[q]], c);
}

TEST(SparseGraph, WideColumnIdsGiveTheSamePlanAsNarrow) {
  // A symmetric 5-node graph (edges 0-1, 1-2, 2-3, 3-0, 0-2; node 4 isolated) as a dataset stores it.
  const std::vector<int64_t> indptr = {0, 3, 5, 8, 10, 10};
  const std::vector<int32_t> narrow_ids = {1, 2, 3, 0, 2, 0, 1, 3, 0, 2};
  const Tensor indptr_t = Tensor::from(indptr);
  const SparseGraph a = SparseGraph::from_csr(5, 5, indptr_t, Tensor::from(narrow_ids));
  const SparseGraph b = SparseGraph::from_csr(
      5, 5, indptr_t, Tensor::from(std::vector<int64_t>(narrow_ids.begin(), narrow_ids.end())));
  EXPECT_EQ(a.csr().indices.to_vector<int32_t>(), b.csr().indices.to_vector<int32_t>());
  EXPECT_EQ(a.csr_t().edge_ids.to_vector<int32_t>(), b.csr_t().edge_ids.to_vector<int32_t>());
  // A symmetric graph's reverse CSR has the same structure as its forward CSR.
  EXPECT_EQ(a.csr().indptr.to_vector<int64_t>(), a.csr_t().indptr.to_vector<int64_t>());
  EXPECT_EQ(a.csr().indices.to_vector<int32_t>(), a.csr_t().indices.to_vector<int32_t>());
}

TEST(SparseGraph, RejectsColumnIdOutsideRange) {
  Tensor indptr = Tensor::from(std::vector<int64_t>{0, 1, 2});
  Tensor indices = Tensor::from(std::vector<int32_t>{0, 3});
  try {
    SparseGraph::from_csr(2, 3, indptr, indices);
    FAIL() << "expected an input error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput);
    EXPECT_NE(std::string(e.what()).find("row 1"), std::string::npos) << e.what();
  }
}

bool same_bits(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() && std::memcmp(a.raw_data(), b.raw_data(), a.nbytes()) == 0;
}

// GAT's overlap runs its edge kernels over row ranges (trainer/dist_graph.h). Forward ranges (identity ids)
// take slices of the edge tensors; reverse ranges keep the canonical ids into the whole ones. Either way each
// row is the whole CSR's sum, bit for bit.
TEST(SparseGraph, RowRangesGiveTheWholeCsrsRowsBitForBit) {
  const HostCsr h = random_csr(61, 47, 8, 5);
  const SparseGraph g = to_sparse_graph(h);
  const int64_t heads = 2, width = 3 * heads, split = 23;
  const Tensor x = testing::random_matrix(h.cols, width, 1), dy = testing::random_matrix(h.rows, width, 2);
  const Tensor edge = testing::random_matrix(g.num_edges(), heads, 3);
  auto f32 = [](int64_t rows, int64_t cols) { return Tensor::empty(DType::kF32, Shape::mat(rows, cols)); };

  // Forward: SDDMM and the edge softmax over [0, split) and [split, rows).
  Tensor scores = f32(g.num_edges(), heads), probs = f32(g.num_edges(), heads);
  const Tensor el = testing::random_matrix(h.cols, heads, 4), er = testing::random_matrix(h.rows, heads, 5);
  sddmm_u_add_v(g.csr(), el, er, scores);
  edge_softmax(g.csr(), scores, probs);
  Tensor range_scores = f32(g.num_edges(), heads), range_probs = f32(g.num_edges(), heads);
  for (auto [begin, end] : {std::pair<int64_t, int64_t>{0, split}, {split, h.rows}}) {
    const CsrIndex rows = csr_row_range(g.csr(), begin, end, h.cols);
    const int64_t first = h.indptr[begin], last = h.indptr[end];
    EXPECT_TRUE(rows.edge_ids_are_identity);
    EXPECT_EQ(rows.num_edge_values(), last - first);
    Tensor s = range_scores.slice_rows(first, last), p = range_probs.slice_rows(first, last);
    sddmm_u_add_v(rows, el, er.slice_rows(begin, end), s);
    edge_softmax(rows, s, p);
  }
  EXPECT_TRUE(same_bits(range_scores, scores));
  EXPECT_TRUE(same_bits(range_probs, probs));

  // Backward: dX = A_e^T dY and the edge segment sums over row ranges of csr_t, with the whole edge tensor.
  Tensor dx = f32(h.cols, width), sums = f32(h.cols, heads);
  spmm_u_mul_e(g.csr_t(), dy, edge, dx);
  edge_segment_sum(g.csr_t(), edge, sums);
  Tensor range_dx = f32(h.cols, width), range_sums = f32(h.cols, heads);
  for (auto [begin, end] : {std::pair<int64_t, int64_t>{0, split}, {split, h.cols}}) {
    const CsrIndex rows = csr_row_range(g.csr_t(), begin, end, h.rows);
    EXPECT_FALSE(rows.edge_ids_are_identity);
    EXPECT_EQ(rows.num_edge_values(), g.num_edges());
    Tensor d = range_dx.slice_rows(begin, end), s = range_sums.slice_rows(begin, end);
    spmm_u_mul_e(rows, dy, edge, d);
    edge_segment_sum(rows, edge, s);
  }
  EXPECT_TRUE(same_bits(range_dx, dx));
  EXPECT_TRUE(same_bits(range_sums, sums));

  // A reverse range that forgot the whole graph's edge count is refused, not read out of bounds.
  CsrIndex short_range = csr_row_range(g.csr_t(), split, h.cols, h.rows);
  short_range.edge_value_rows = -1;
  Tensor d = range_dx.slice_rows(split, h.cols);
  EXPECT_THROW(spmm_u_mul_e(short_range, dy, edge, d), Error);
  EXPECT_THROW(csr_row_range(g.csr(), 5, h.rows + 1, h.cols), Error);
}

}  // namespace
}  // namespace tango::kernels
