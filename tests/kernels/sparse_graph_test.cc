// SparseGraph: the reverse CSR and the edge permutation agree with the forward CSR, entry by entry.
#include "kernels/sparse_graph.h"

#include <gtest/gtest.h>

#include "core/error.h"
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

}  // namespace
}  // namespace tango::kernels
