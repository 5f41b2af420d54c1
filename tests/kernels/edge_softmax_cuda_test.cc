// CUDA edge softmax (kernels/edge_softmax.h) forward and backward against the CPU, within exp's and the
// row sums' rounding. Skipped without a GPU.
#include <gtest/gtest.h>

#include "core/device.h"
#include "kernels/edge_softmax.h"
#include "tests/kernels/sparse_test_util.h"

namespace tango::kernels {
namespace {

using namespace testing;

TEST(EdgeSoftmaxCuda, ForwardAndBackwardMatchCpu) {
  TANGO_REQUIRE_GPU();
  const HostCsr h = random_csr(180, 180, 60, 6);
  const SparseGraph g = to_sparse_graph(h), d = g.to(kGpu);
  for (int64_t heads : {1, 4}) {
    const Tensor s = random_matrix(g.num_edges(), heads, 7, -30.0f, 30.0f);
    const Tensor dp = random_matrix(g.num_edges(), heads, 8);
    Tensor p = Tensor::empty(DType::kF32, s.shape()), ds = p.clone();
    Tensor p_gpu = Tensor::empty(DType::kF32, s.shape(), kGpu), ds_gpu = p_gpu.clone();
    edge_softmax(g.csr(), s, p);
    edge_softmax(d.csr(), s.to(kGpu), p_gpu);
    // exp of arguments up to 60 in magnitude: relative error ~ 60 ulp, plus the sum's rounding.
    const auto pv = p.to_vector<float>();
    std::vector<float> tol(pv.size());
    for (size_t i = 0; i < pv.size(); ++i) tol[i] = pv[i] * (128 + 4 * max_degree(g.csr())) * 1.2e-7f + 1e-7f;
    expect_close(p_gpu.to_vector<float>(), pv, tol, "edge softmax");
    edge_softmax_backward(g.csr(), p, dp, ds);
    edge_softmax_backward(d.csr(), p.to(kGpu), dp.to(kGpu), ds_gpu);
    for (size_t i = 0; i < pv.size(); ++i)
      tol[i] = pv[i] * 4 * rounding_tol(1.0f, max_degree(g.csr())) + 1e-7f;
    expect_close(ds_gpu.to_vector<float>(), ds.to_vector<float>(), tol, "edge softmax backward");
    // In place (GAT's d_alpha -> d_scores): the bits of the out-of-place call on the GPU.
    Tensor in_place = dp.to(kGpu);
    edge_softmax_backward(d.csr(), p.to(kGpu), in_place, in_place);
    EXPECT_EQ(in_place.to_vector<float>(), ds_gpu.to_vector<float>());
  }
}

}  // namespace
}  // namespace tango::kernels
