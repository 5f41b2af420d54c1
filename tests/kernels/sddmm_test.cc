// SDDMM (u_add_v, u_dot_v), FP32 and INT8, forward against plain loops; backward against finite
// differences; the two u_add_v backward algorithms (segment sum, incidence SpMM) against each other; the
// INT8 backward against FP32 within the INT8 bound.
#include "kernels/sddmm.h"

#include <gtest/gtest.h>

#include "tests/kernels/sparse_test_util.h"

namespace tango::kernels {
namespace {

using namespace testing;

// out[p, h] for entry p = (r, c): add -> u[c,h] + v[r,h]; dot -> sum_d u[c,h,d] v[r,h,d]. Also returns the
// rounding tolerance per output (sum of |terms|).
std::pair<std::vector<float>, std::vector<float>> reference_sddmm(const HostCsr& g,
                                                                  const std::vector<float>& u,
                                                                  const std::vector<float>& v, int64_t heads,
                                                                  int64_t dim, bool dot) {
  std::vector<float> out(g.nnz() * heads), tol(g.nnz() * heads);
  for (int64_t r = 0; r < g.rows; ++r) {
    for (int64_t p = g.indptr[r]; p < g.indptr[r + 1]; ++p) {
      const int64_t c = g.indices[p];
      for (int64_t h = 0; h < heads; ++h) {
        double sum = 0.0, abs_sum = 0.0;
        if (dot) {
          for (int64_t d = 0; d < dim; ++d) {
            const double t =
                static_cast<double>(u[c * heads * dim + h * dim + d]) * v[r * heads * dim + h * dim + d];
            sum += t;
            abs_sum += std::fabs(t);
          }
        } else {
          sum = static_cast<double>(u[c * heads + h]) + v[r * heads + h];
          abs_sum = std::fabs(u[c * heads + h]) + std::fabs(v[r * heads + h]);
        }
        out[p * heads + h] = static_cast<float>(sum);
        tol[p * heads + h] = rounding_tol(static_cast<float>(abs_sum), dim + 2);
      }
    }
  }
  return {out, tol};
}

class SddmmHeads : public ::testing::TestWithParam<int64_t> {};

TEST_P(SddmmHeads, UAddVMatchesLoopInFp32AndInt8WithMixedScales) {
  const int64_t heads = GetParam();
  const HostCsr h = random_csr(27, 22, 8, 70 + heads);
  const SparseGraph g = to_sparse_graph(h);
  const Tensor u = random_matrix(22, heads, 1, -4.0f, 4.0f), v = random_matrix(27, heads, 2, -0.1f, 0.1f);
  Tensor out = Tensor::empty(DType::kF32, Shape::mat(g.num_edges(), heads));
  sddmm_u_add_v(g.csr(), u, v, out);
  auto [ref, tol] = reference_sddmm(h, u.to_vector<float>(), v.to_vector<float>(), heads, 1, false);
  expect_close(out.to_vector<float>(), ref, tol, "u_add_v");

  // Walking the reverse CSR writes the same canonical edge order.
  Tensor out_t = Tensor::empty(DType::kF32, Shape::mat(g.num_edges(), heads));
  sddmm_u_add_v(g.csr_t(), v, u, out_t);
  expect_close(out_t.to_vector<float>(), ref, tol, "u_add_v over the reverse CSR");

  for (bool per_row : {false, true}) {
    const QTensor uq = quantize_reference(u, per_row), vq = quantize_reference(v, per_row);
    qsddmm_u_add_v(g.csr(), uq, vq, out);
    auto [deq, deq_tol] = reference_sddmm(h, dequantize_reference(uq).to_vector<float>(),
                                          dequantize_reference(vq).to_vector<float>(), heads, 1, false);
    expect_close(out.to_vector<float>(), deq, deq_tol, "int8 u_add_v vs dequantized");
    // Against FP32: each operand is off by at most half its own scale step.
    const auto su = uq.scales.to_vector<float>(), sv = vq.scales.to_vector<float>();
    std::vector<float> bound(ref.size());
    for (int64_t r = 0; r < h.rows; ++r)
      for (int64_t p = h.indptr[r]; p < h.indptr[r + 1]; ++p)
        for (int64_t k = 0; k < heads; ++k)
          bound[p * heads + k] =
              su[per_row ? h.indices[p] : 0] / 2 + sv[per_row ? r : 0] / 2 + 2 * tol[p * heads + k];
    expect_close(out.to_vector<float>(), ref, bound, "int8 u_add_v vs fp32");
  }
}

INSTANTIATE_TEST_SUITE_P(Heads, SddmmHeads, ::testing::Values(1, 2, 3, 4, 8, 16));

struct DotShape {
  int64_t heads, dim;
};
void PrintTo(const DotShape& s, std::ostream* os) {
  *os << "heads=" << s.heads << " dim=" << s.dim;
}
class SddmmDot : public ::testing::TestWithParam<DotShape> {};

TEST_P(SddmmDot, UDotVMatchesLoopInFp32AndInt8) {
  const auto [heads, dim] = GetParam();
  const HostCsr h = random_csr(24, 30, 7, 90 + dim);
  const SparseGraph g = to_sparse_graph(h);
  const Tensor u = random_matrix(30, heads * dim, 3), v = random_matrix(24, heads * dim, 4, -5.0f, 5.0f);
  Tensor out = Tensor::empty(DType::kF32, Shape::mat(g.num_edges(), heads));
  sddmm_u_dot_v(g.csr(), u, v, out);
  auto [ref, tol] = reference_sddmm(h, u.to_vector<float>(), v.to_vector<float>(), heads, dim, true);
  expect_close(out.to_vector<float>(), ref, tol, "u_dot_v");
  for (bool per_row : {false, true}) {
    const QTensor uq = quantize_reference(u, per_row), vq = quantize_reference(v, per_row);
    qsddmm_u_dot_v(g.csr(), uq, vq, out);
    // The int32 sum is exact; only the two scale multiplications round.
    auto [deq, deq_tol] = reference_sddmm(h, dequantize_reference(uq).to_vector<float>(),
                                          dequantize_reference(vq).to_vector<float>(), heads, dim, true);
    expect_close(out.to_vector<float>(), deq, deq_tol, "int8 u_dot_v vs dequantized");
  }
}

INSTANTIATE_TEST_SUITE_P(Shapes, SddmmDot,
                         ::testing::Values(DotShape{1, 1}, DotShape{1, 7}, DotShape{4, 8}, DotShape{2, 9},
                                           DotShape{4, 64}, DotShape{1, 33}));

TEST(SddmmBackward, UAddVMatchesFiniteDifferencesAndBothAlgorithmsAgree) {
  const HostCsr h = random_csr(19, 16, 6, 101);
  const SparseGraph g = to_sparse_graph(h);
  const int64_t heads = 3;
  Tensor u = random_matrix(16, heads, 1), v = random_matrix(19, heads, 2);
  const std::vector<float> weights = random_values(g.num_edges() * heads, 3);
  const Tensor dz = Tensor::from(weights, g.num_edges(), heads);
  Tensor du = Tensor::empty(DType::kF32, Shape::mat(16, heads)),
         dv = Tensor::empty(DType::kF32, Shape::mat(19, heads));
  Tensor du_inc = du.clone(), dv_inc = dv.clone();
  sddmm_u_add_v_backward(g, dz, du, dv, EdgeReduceAlgo::kSegmentSum);
  sddmm_u_add_v_backward(g, dz, du_inc, dv_inc, EdgeReduceAlgo::kIncidenceSpmm);
  // The same additions in the same order: bit-identical.
  EXPECT_EQ(du.to_vector<float>(), du_inc.to_vector<float>());
  EXPECT_EQ(dv.to_vector<float>(), dv_inc.to_vector<float>());

  Tensor out = Tensor::empty(DType::kF32, Shape::mat(g.num_edges(), heads));
  auto forward = [&] {
    sddmm_u_add_v(g.csr(), u, v, out);
    return out.to_vector<float>();
  };
  const float out_tol = rounding_tol(2.0f, 2);
  expect_gradient_matches_fd(u, du, weights, max_degree(g.csr_t()), out_tol, kLinearStep, forward,
                             "u_add_v du");
  expect_gradient_matches_fd(v, dv, weights, max_degree(g.csr()), out_tol, kLinearStep, forward,
                             "u_add_v dv");
}

TEST(SddmmBackward, Int8UAddVWithinHalfAScaleStepPerEdge) {
  const HostCsr h = random_csr(31, 28, 9, 111);
  const SparseGraph g = to_sparse_graph(h);
  const int64_t heads = 4;
  const Tensor dz = random_matrix(g.num_edges(), heads, 5, -3.0f, 3.0f);
  const QTensor dzq = quantize_reference(dz, false);
  const float s = dzq.scales.to_vector<float>()[0];
  Tensor du_ref = Tensor::empty(DType::kF32, Shape::mat(28, heads)),
         dv_ref = Tensor::empty(DType::kF32, Shape::mat(31, heads));
  sddmm_u_add_v_backward(g, dz, du_ref, dv_ref);
  for (EdgeReduceAlgo algo : {EdgeReduceAlgo::kSegmentSum, EdgeReduceAlgo::kIncidenceSpmm}) {
    Tensor du = du_ref.clone(), dv = dv_ref.clone();
    qsddmm_u_add_v_backward(g, dzq, du, dv, algo);
    auto bound_for = [&](const CsrIndex& adj) {
      auto indptr = adj.indptr.to_vector<int64_t>();
      std::vector<float> b;
      for (size_t r = 0; r + 1 < indptr.size(); ++r)
        for (int64_t k = 0; k < heads; ++k)
          b.push_back((indptr[r + 1] - indptr[r]) * (s / 2 + 3.0f * 2.4e-7f) + 1e-6f);
      return b;
    };
    expect_close(du.to_vector<float>(), du_ref.to_vector<float>(), bound_for(g.csr_t()), "int8 du");
    expect_close(dv.to_vector<float>(), dv_ref.to_vector<float>(), bound_for(g.csr()), "int8 dv");
  }
}

TEST(SddmmBackward, UDotVMatchesFiniteDifferences) {
  const HostCsr h = random_csr(17, 14, 6, 121);
  const SparseGraph g = to_sparse_graph(h);
  const int64_t heads = 2, dim = 7;
  Tensor u = random_matrix(14, heads * dim, 1), v = random_matrix(17, heads * dim, 2);
  const std::vector<float> weights = random_values(g.num_edges() * heads, 3);
  Tensor du = Tensor::empty(DType::kF32, Shape::mat(14, heads * dim)),
         dv = Tensor::empty(DType::kF32, Shape::mat(17, heads * dim));
  sddmm_u_dot_v_backward(g, u, v, Tensor::from(weights, g.num_edges(), heads), du, dv);
  Tensor out = Tensor::empty(DType::kF32, Shape::mat(g.num_edges(), heads));
  auto forward = [&] {
    sddmm_u_dot_v(g.csr(), u, v, out);
    return out.to_vector<float>();
  };
  const float out_tol = rounding_tol(static_cast<float>(dim) * 1.25f, dim);
  expect_gradient_matches_fd(u, du, weights, max_degree(g.csr_t()), out_tol, kLinearStep, forward,
                             "u_dot_v du");
  expect_gradient_matches_fd(v, dv, weights, max_degree(g.csr()), out_tol, kLinearStep, forward,
                             "u_dot_v dv");

  // INT8 backward (cached u_q, v_q, quantized dz) within the per-term product bound of FP32.
  const QTensor uq = quantize_reference(u, false), vq = quantize_reference(v, false),
                dzq = quantize_reference(Tensor::from(weights, g.num_edges(), heads), false);
  Tensor du_q = du.clone(), dv_q = dv.clone();
  qsddmm_u_dot_v_backward(g, uq, vq, dzq, du_q, dv_q);
  const float su = uq.scales.to_vector<float>()[0], sv = vq.scales.to_vector<float>()[0],
              sz = dzq.scales.to_vector<float>()[0];
  const auto uv = u.to_vector<float>(), vv = v.to_vector<float>();
  std::vector<float> du_bound(du.numel(), 1e-5f), dv_bound(dv.numel(), 1e-5f);
  auto pb = [](float a, float b, float sa, float sb) {
    return std::fabs(a) * sb / 2 + std::fabs(b) * sa / 2 + sa * sb / 4;
  };
  for (int64_t r = 0; r < h.rows; ++r)
    for (int64_t p = h.indptr[r]; p < h.indptr[r + 1]; ++p)
      for (int64_t j = 0; j < heads * dim; ++j) {
        const int64_t c = h.indices[p];
        const float z = weights[p * heads + j / dim];
        du_bound[c * heads * dim + j] += pb(z, vv[r * heads * dim + j], sz, sv);
        dv_bound[r * heads * dim + j] += pb(z, uv[c * heads * dim + j], sz, su);
      }
  expect_close(du_q.to_vector<float>(), du.to_vector<float>(), du_bound, "int8 u_dot_v du");
  expect_close(dv_q.to_vector<float>(), dv.to_vector<float>(), dv_bound, "int8 u_dot_v dv");
}

}  // namespace
}  // namespace tango::kernels
