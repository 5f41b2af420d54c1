// GAT's per-destination-row INT8 attention aggregation (qspmm_u_mul_e_row_scaled in kernels/spmm.h, on
// edge values quantized by kernels/edge_quantize.h): the forward against a loop over the dequantized
// operands, the backward against central finite differences, and the reason it exists: a hub row's small
// weights survive, where one scale per tensor rounds them to zero.
#include <gtest/gtest.h>

#include <cmath>
#include <utility>

#include "core/error.h"
#include "kernels/edge_quantize.h"
#include "kernels/spmm.h"
#include "tests/kernels/sparse_test_util.h"

namespace tango::kernels {
namespace {

using namespace testing;

// out[r, h*D + d] = sum_p e_deq[p, h] * x_deq[c, h*D + d], from the dequantized operands, in double.
std::vector<float> reference_forward(const HostCsr& h, const std::vector<float>& x,
                                     const std::vector<float>& e, int64_t heads, int64_t dim,
                                     std::vector<float>* abs_sum) {
  const int64_t width = heads * dim;
  std::vector<float> out(h.rows * width);
  abs_sum->assign(h.rows * width, 0.0f);
  for (int64_t r = 0; r < h.rows; ++r)
    for (int64_t j = 0; j < width; ++j) {
      double s = 0.0, a = 0.0;
      for (int64_t p = h.indptr[r]; p < h.indptr[r + 1]; ++p) {
        const double t = static_cast<double>(e[p * heads + j / dim]) * x[h.indices[p] * width + j];
        s += t;
        a += std::fabs(t);
      }
      out[r * width + j] = static_cast<float>(s);
      (*abs_sum)[r * width + j] = static_cast<float>(a);
    }
  return out;
}

std::vector<float> dequantize_edges(const HostCsr& h, const QTensor& q) {
  const int64_t heads = q.values.cols();
  const auto codes = q.values.to_vector<int8_t>();
  const auto scales = q.scales.to_vector<float>();
  std::vector<float> out(codes.size());
  for (int64_t r = 0; r < h.rows; ++r)
    for (int64_t p = h.indptr[r]; p < h.indptr[r + 1]; ++p)
      for (int64_t k = 0; k < heads; ++k)
        out[p * heads + k] = scales[r] * static_cast<float>(codes[p * heads + k]);
  return out;
}

TEST(QSpmmRowScaled, RejectsEdgeValuesWithOneScalePerTensor) {
  const SparseGraph g = to_sparse_graph(random_csr(10, 8, 4, 1));
  const Tensor e = random_matrix(g.num_edges(), 2, 1);
  Tensor out = Tensor::empty(DType::kF32, Shape::mat(10, 4));
  const QTensor x = quantize_reference(random_matrix(8, 4, 2), false);
  EXPECT_THROW(qspmm_u_mul_e_row_scaled(g.csr(), x, quantize_reference(e, false), out), Error);
}

TEST(QSpmmRowScaled, ForwardMatchesALoopOverDequantizedOperands) {
  const HostCsr h = random_csr(53, 41, 10, 7);
  const SparseGraph g = to_sparse_graph(h);
  for (auto [heads, dim] : {std::pair<int64_t, int64_t>{1, 5}, {2, 3}, {4, 8}, {8, 8}, {2, 70}}) {
    const int64_t width = heads * dim;
    const Tensor e = row_graded_edges(h, heads, 20 + heads);
    QTensor eq = make_edge_row_qtensor(g.csr(), heads);
    quantize_edges_per_row(g.csr(), e, eq);
    const auto ed = dequantize_edges(h, eq);
    for (bool x_per_row : {false, true}) {
      const QTensor xq = quantize_reference(random_matrix(41, width, 30 + dim, -3.0f, 3.0f), x_per_row);
      Tensor out = Tensor::empty(DType::kF32, Shape::mat(53, width));
      qspmm_u_mul_e_row_scaled(g.csr(), xq, eq, out);
      std::vector<float> abs_sum;
      const auto want =
          reference_forward(h, dequantize_reference(xq).to_vector<float>(), ed, heads, dim, &abs_sum);
      std::vector<float> tol(abs_sum.size());
      for (size_t i = 0; i < tol.size(); ++i) tol[i] = rounding_tol(abs_sum[i], max_degree(g.csr()) + 3);
      expect_close(out.to_vector<float>(), want, tol, x_per_row ? "per-row x" : "per-tensor x");
    }
  }
}

TEST(QSpmmRowScaled, BackwardMatchesFiniteDifferencesOfTheForward) {
  const HostCsr h = random_csr(31, 26, 8, 11);
  const SparseGraph g = to_sparse_graph(h);
  const int64_t heads = 3, dim = 4, width = heads * dim;
  const QTensor xq = quantize_reference(random_matrix(26, width, 12, -2.0f, 2.0f), false);
  QTensor eq = make_edge_row_qtensor(g.csr(), heads);
  quantize_edges_per_row(g.csr(), row_graded_edges(h, heads, 13), eq);
  const QTensor dyq = quantize_reference(random_matrix(31, width, 14), false);
  Tensor dx = Tensor::empty(DType::kF32, Shape::mat(26, width));
  Tensor de = Tensor::empty(DType::kF32, Shape::mat(g.num_edges(), heads));
  qspmm_u_mul_e_row_scaled_backward(g, xq, eq, dyq, dx, de);

  // L(x, e) = <dy, A_e x> at the dequantized point: the FP32 forward is linear in x and in e.
  Tensor x = dequantize_reference(xq);
  Tensor e = Tensor::from(dequantize_edges(h, eq), g.num_edges(), heads);
  const std::vector<float> weights = dequantize_reference(dyq).to_vector<float>();
  Tensor out = Tensor::empty(DType::kF32, Shape::mat(31, width));
  auto forward = [&] {
    spmm_u_mul_e(g.csr(), x, e, out);
    return out.to_vector<float>();
  };
  const float out_tol = rounding_tol(2.0f * static_cast<float>(max_degree(g.csr())), max_degree(g.csr()));
  expect_gradient_matches_fd(x, dx, weights, max_degree(g.csr_t()), out_tol, kLinearStep, forward,
                             "row-scaled dx");
  expect_gradient_matches_fd(e, de, weights, dim, out_tol, kLinearStep, forward, "row-scaled dE");
  // The gradient is far from zero where the small-scale rows are (a wrong row scale would not be).
  EXPECT_GT(max_abs(dx), 1e-2f);
}

// A hub with in-degree 1000 (alpha = 1/1000 each) next to a node with one in-edge (alpha = 1):
// one scale per tensor gives the hub 127/1000 of a level per edge, so it rounds to 0 and the hub's
// aggregate vanishes; the hub's own scale keeps it to within half a level.
TEST(QSpmmRowScaled, HubRowKeepsItsSmallWeightsWherePerTensorLosesThem) {
  const int64_t hub_degree = 1000;
  HostCsr h;
  h.rows = 2;
  h.cols = hub_degree;
  h.indptr = {0, hub_degree, hub_degree + 1};
  for (int64_t c = 0; c < hub_degree; ++c) h.indices.push_back(static_cast<int32_t>(c));
  h.indices.push_back(0);
  const SparseGraph g = to_sparse_graph(h);
  std::vector<float> alpha(hub_degree + 1, 1.0f / hub_degree);
  alpha[hub_degree] = 1.0f;
  const Tensor e = Tensor::from(alpha, hub_degree + 1, 1);
  const QTensor xq = quantize_reference(random_matrix(hub_degree, 4, 5, 0.5f, 1.0f), false);
  std::vector<float> abs_sum;
  const auto exact = reference_forward(h, dequantize_reference(xq).to_vector<float>(), alpha, 1, 4, &abs_sum);

  QTensor row_q = make_edge_row_qtensor(g.csr(), 1);
  quantize_edges_per_row(g.csr(), e, row_q);
  Tensor row_out = Tensor::empty(DType::kF32, Shape::mat(2, 4)), tensor_out = row_out.clone();
  qspmm_u_mul_e_row_scaled(g.csr(), xq, row_q, row_out);
  qspmm_u_mul_e(g.csr(), xq, quantize_reference(e, false), tensor_out);
  const auto row_v = row_out.to_vector<float>(), tensor_v = tensor_out.to_vector<float>();
  for (int64_t j = 0; j < 4; ++j) {
    EXPECT_NEAR(row_v[j], exact[j], 1e-3f * exact[j]) << "per-row, hub column " << j;
    EXPECT_EQ(tensor_v[j], 0.0f) << "per-tensor, hub column " << j;
    EXPECT_NEAR(row_v[4 + j], exact[4 + j], 1e-5f) << "per-row, degree-1 row";
  }
}

}  // namespace
}  // namespace tango::kernels
