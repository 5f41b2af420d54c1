// SpMM backward: every gradient against central finite differences of its forward (FP32), and the INT8
// backward against the FP32 one within the INT8 error bound. The INT8 u_mul_e test uses operands whose
// scales differ by orders of magnitude, so a dX computed with the wrong alpha (Tango's bug 1: s_x * s_e
// instead of s_dy * s_e) fails by a factor of ~10^4.
#include <gtest/gtest.h>

#include "kernels/sddmm.h"
#include "kernels/spmm.h"
#include "tests/kernels/sparse_test_util.h"

namespace tango::kernels {
namespace {

using namespace testing;

TEST(SpmmBackward, CopyUWithScalingMatchesFiniteDifferences) {
  const HostCsr h = random_csr(23, 19, 7, 31);
  const SparseGraph g = to_sparse_graph(h);
  const int64_t width = 9;
  Tensor x = random_matrix(19, width, 1);
  const SpmmScaling scaling{Tensor::from(random_values(23, 2, 0.2f, 1.5f)),
                            Tensor::from(random_values(19, 3, 0.2f, 1.5f))};
  const std::vector<float> weights = random_values(23 * width, 4);
  Tensor dx = Tensor::empty(DType::kF32, Shape::mat(19, width));
  spmm_copy_u_backward(g, Tensor::from(weights, 23, width), dx, scaling);
  Tensor out = Tensor::empty(DType::kF32, Shape::mat(23, width));
  auto forward = [&] {
    spmm_copy_u(g.csr(), x, out, scaling);
    return out.to_vector<float>();
  };
  const float out_tol =
      rounding_tol(1.5f * 1.5f * static_cast<float>(max_degree(g.csr())), max_degree(g.csr()));
  expect_gradient_matches_fd(x, dx, weights, max_degree(g.csr_t()), out_tol, kLinearStep, forward,
                             "copy_u dx");

  // Mean aggregation: dx = A^T D^-1 dy.
  spmm_mean_backward(g, Tensor::from(weights, 23, width), dx);
  auto mean_forward = [&] {
    spmm_mean(g, x, out);
    return out.to_vector<float>();
  };
  expect_gradient_matches_fd(x, dx, weights, max_degree(g.csr_t()), out_tol, kLinearStep, mean_forward,
                             "mean dx");
}

TEST(SpmmBackward, UMulEMatchesFiniteDifferencesForNodesAndEdges) {
  const HostCsr h = random_csr(21, 17, 6, 41);
  const SparseGraph g = to_sparse_graph(h);
  const int64_t heads = 3, dim = 5, width = heads * dim;
  Tensor x = random_matrix(17, width, 5);
  Tensor e = random_matrix(g.num_edges(), heads, 6, 0.0f, 1.0f);
  const std::vector<float> weights = random_values(21 * width, 7);
  Tensor dx = Tensor::empty(DType::kF32, Shape::mat(17, width));
  Tensor de = Tensor::empty(DType::kF32, Shape::mat(g.num_edges(), heads));
  spmm_u_mul_e_backward(g, x, e, Tensor::from(weights, 21, width), dx, de);
  Tensor out = Tensor::empty(DType::kF32, Shape::mat(21, width));
  auto forward = [&] {
    spmm_u_mul_e(g.csr(), x, e, out);
    return out.to_vector<float>();
  };
  const float out_tol = rounding_tol(static_cast<float>(max_degree(g.csr())), max_degree(g.csr()));
  expect_gradient_matches_fd(x, dx, weights, max_degree(g.csr_t()), out_tol, kLinearStep, forward,
                             "u_mul_e dx");
  expect_gradient_matches_fd(e, de, weights, dim, out_tol, kLinearStep, forward, "u_mul_e dE");
}

// Per-term INT8 error of a product a*b from quantized operands: |a| s_b/2 + |b| s_a/2 + s_a s_b/4.
float product_bound(float a, float b, float sa, float sb) {
  return std::fabs(a) * sb / 2 + std::fabs(b) * sa / 2 + sa * sb / 4;
}

TEST(SpmmBackward, Int8UMulEUsesTheGradientScaleWithinTheInt8Bound) {
  const HostCsr h = random_csr(29, 24, 8, 51);
  const SparseGraph g = to_sparse_graph(h);
  const int64_t heads = 2, dim = 9, width = heads * dim;
  const Tensor x = random_matrix(24, width, 8, -50.0f, 50.0f);          // s_x ~ 0.4
  const Tensor e = random_matrix(g.num_edges(), heads, 9, 0.0f, 1.0f);  // s_e ~ 0.008
  const Tensor dy = random_matrix(29, width, 10, -1e-3f, 1e-3f);        // s_dy ~ 8e-6
  const QTensor xq = quantize_reference(x, false), eq = quantize_reference(e, false),
                dyq = quantize_reference(dy, false);
  Tensor dx = Tensor::empty(DType::kF32, Shape::mat(24, width)), dx_ref = dx.clone();
  Tensor de = Tensor::empty(DType::kF32, Shape::mat(g.num_edges(), heads)), de_ref = de.clone();
  qspmm_u_mul_e_backward(g, xq, eq, dyq, dx, de);
  spmm_u_mul_e_backward(g, x, e, dy, dx_ref, de_ref);

  const float sx = xq.scales.to_vector<float>()[0], se = eq.scales.to_vector<float>()[0],
              sdy = dyq.scales.to_vector<float>()[0];
  const auto xv = x.to_vector<float>(), ev = e.to_vector<float>(), dyv = dy.to_vector<float>();
  // dx[c, j] = sum over edges (r, c): e[p, h] dy[r, j].
  std::vector<float> dx_bound(24 * width, 0.0f);
  std::vector<float> de_bound(g.num_edges() * heads, 0.0f);
  for (int64_t r = 0; r < h.rows; ++r) {
    for (int64_t p = h.indptr[r]; p < h.indptr[r + 1]; ++p) {
      const int64_t c = h.indices[p];
      for (int64_t j = 0; j < width; ++j) {
        const int64_t hh = j / dim;
        dx_bound[c * width + j] += product_bound(ev[p * heads + hh], dyv[r * width + j], se, sdy);
        de_bound[p * heads + hh] += product_bound(xv[c * width + j], dyv[r * width + j], sx, sdy);
      }
    }
  }
  const float dx_scale = max_abs(dx_ref), de_scale = max_abs(de_ref);
  for (float& b : dx_bound) b += 1e-5f * dx_scale;
  for (float& b : de_bound) b += 1e-5f * de_scale;
  expect_close(dx.to_vector<float>(), dx_ref.to_vector<float>(), dx_bound, "int8 u_mul_e dx");
  expect_close(de.to_vector<float>(), de_ref.to_vector<float>(), de_bound, "int8 u_mul_e dE");
  // The bound is tight enough to matter: the gradient is far above it.
  EXPECT_GT(dx_scale, 10.0f * *std::max_element(dx_bound.begin(), dx_bound.end()));
}

TEST(SpmmBackward, Int8CopyUWithinHalfAScaleStepPerTerm) {
  const HostCsr h = random_csr(33, 27, 9, 61);
  const SparseGraph g = to_sparse_graph(h);
  const int64_t width = 33;
  const Tensor dy = random_matrix(33, width, 11, -2.0f, 2.0f);
  const QTensor dyq = quantize_reference(dy, false);
  Tensor dx = Tensor::empty(DType::kF32, Shape::mat(27, width)), dx_ref = dx.clone();
  qspmm_mean_backward(g, dyq, dx);
  spmm_mean_backward(g, dy, dx_ref);
  const float sdy = dyq.scales.to_vector<float>()[0];
  const auto inv = g.inverse_in_degree().to_vector<float>();
  std::vector<float> bound(27 * width, 0.0f);
  for (int64_t r = 0; r < h.rows; ++r)
    for (int64_t p = h.indptr[r]; p < h.indptr[r + 1]; ++p)
      for (int64_t j = 0; j < width; ++j) bound[h.indices[p] * width + j] += inv[r] * sdy / 2;
  for (float& b : bound) b += 1e-5f;
  expect_close(dx.to_vector<float>(), dx_ref.to_vector<float>(), bound, "int8 mean dx");
}

}  // namespace
}  // namespace tango::kernels
