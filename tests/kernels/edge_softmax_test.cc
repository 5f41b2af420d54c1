// Edge softmax forward against a plain loop (incl. huge logits, where a naive exp overflows), and its
// backward against finite differences.
#include "kernels/edge_softmax.h"

#include <gtest/gtest.h>

#include "tests/kernels/sparse_test_util.h"

namespace tango::kernels {
namespace {

using namespace testing;

std::vector<float> reference_softmax(const HostCsr& g, const std::vector<float>& s, int64_t heads) {
  std::vector<float> out(s.size());
  for (int64_t r = 0; r < g.rows; ++r) {
    for (int64_t h = 0; h < heads; ++h) {
      double max = -1e300, sum = 0.0;
      for (int64_t p = g.indptr[r]; p < g.indptr[r + 1]; ++p)
        max = std::max(max, static_cast<double>(s[p * heads + h]));
      for (int64_t p = g.indptr[r]; p < g.indptr[r + 1]; ++p) sum += std::exp(s[p * heads + h] - max);
      for (int64_t p = g.indptr[r]; p < g.indptr[r + 1]; ++p)
        out[p * heads + h] = static_cast<float>(std::exp(s[p * heads + h] - max) / sum);
    }
  }
  return out;
}

TEST(EdgeSoftmax, MatchesLoopAndStaysFiniteForHugeLogits) {
  const HostCsr h = random_csr(45, 45, 12, 7);
  const SparseGraph g = to_sparse_graph(h);
  for (int64_t heads : {1, 3, 4}) {
    for (float range : {2.0f, 1000.0f}) {
      const Tensor s = random_matrix(g.num_edges(), heads, heads, -range, range);
      Tensor p = Tensor::empty(DType::kF32, s.shape());
      edge_softmax(g.csr(), s, p);
      const auto ref = reference_softmax(h, s.to_vector<float>(), heads);
      // exp of a value rounded to ~1 ulp of |s - max| (up to 2*range): relative error ~ 2*range*2^-24 each.
      std::vector<float> tol(ref.size());
      for (size_t i = 0; i < ref.size(); ++i) tol[i] = ref[i] * (4 * range + 64) * 1.2e-7f + 1e-7f;
      expect_close(p.to_vector<float>(), ref, tol, "edge softmax");
    }
  }
}

TEST(EdgeSoftmax, BackwardMatchesFiniteDifferences) {
  const HostCsr h = random_csr(21, 21, 7, 9);
  const SparseGraph g = to_sparse_graph(h);
  const int64_t heads = 2;
  Tensor s = random_matrix(g.num_edges(), heads, 1, -2.0f, 2.0f);
  Tensor p = Tensor::empty(DType::kF32, s.shape());
  edge_softmax(g.csr(), s, p);
  const std::vector<float> weights = random_values(g.num_edges() * heads, 2);
  Tensor ds = Tensor::empty(DType::kF32, s.shape());
  edge_softmax_backward(g.csr(), p, Tensor::from(weights, g.num_edges(), heads), ds);
  auto forward = [&] {
    edge_softmax(g.csr(), s, p);
    return p.to_vector<float>();
  };
  // Nonlinear: step 1e-2 gives a truncation error ~ step^2 |f'''| / 6 (|f'''| <= 1 for softmax), plus the
  // rounding of the touched row's outputs (each ~ deg * 2^-23) over the step.
  const float step = 1e-2f;
  const int64_t deg = max_degree(g.csr());
  const float out_tol = rounding_tol(1.0f, deg) + step * step * step;
  expect_gradient_matches_fd(s, ds, weights, deg, out_tol, step, forward, "edge softmax ds");
}

// GAT's backward writes d_scores over d_alpha: in place, the same bits as into another tensor, on rows of
// every degree (a row's sum must be read before any of its entries is overwritten).
TEST(EdgeSoftmax, BackwardInPlaceEqualsOutOfPlace) {
  const HostCsr h = random_csr(300, 300, 40, 11);
  const SparseGraph g = to_sparse_graph(h);
  for (int64_t heads : {1, 4}) {
    Tensor p = Tensor::empty(DType::kF32, Shape::mat(g.num_edges(), heads));
    edge_softmax(g.csr(), random_matrix(g.num_edges(), heads, 3, -4.0f, 4.0f), p);
    const Tensor dp = random_matrix(g.num_edges(), heads, 4);
    Tensor ds = Tensor::empty(DType::kF32, dp.shape()), in_place = dp.clone();
    edge_softmax_backward(g.csr(), p, dp, ds);
    edge_softmax_backward(g.csr(), p, in_place, in_place);
    EXPECT_EQ(in_place.to_vector<float>(), ds.to_vector<float>()) << heads << " heads";
    EXPECT_NE(in_place.to_vector<float>(), dp.to_vector<float>());
  }
}

}  // namespace
}  // namespace tango::kernels
