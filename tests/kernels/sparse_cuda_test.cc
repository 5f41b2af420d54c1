// CUDA sparse primitives (SpMM/QSpMM, SDDMM, segment sums, edge softmax) against the CPU ones on the same
// inputs. Summation orders differ (warp reductions), so outputs agree within the FP32 rounding bound of a
// sum, taken per element from the same op run on absolute values. Skipped without a GPU.
#include <gtest/gtest.h>

#include "core/device.h"
#include "kernels/cusparse_spmm.h"
#include "kernels/edge_softmax.h"
#include "kernels/sddmm.h"
#include "kernels/spmm.h"
#include "tests/kernels/sparse_test_util.h"

namespace tango::kernels {
namespace {

using namespace testing;

// |gpu - cpu| <= 2 * rounding bound of a sum whose |terms| add up to abs_sum, with `terms` terms.
void expect_gpu_matches(const Tensor& gpu, const Tensor& cpu, const Tensor& abs_sum, int64_t terms,
                        const char* what) {
  const auto a = abs_sum.to_vector<float>();
  std::vector<float> tol(a.size());
  for (size_t i = 0; i < a.size(); ++i) tol[i] = 2 * rounding_tol(a[i], terms);
  expect_close(gpu.to_vector<float>(), cpu.to_vector<float>(), tol, what);
}

TEST(SparseCuda, GraphCopiesToTheDeviceUnchanged) {
  TANGO_REQUIRE_GPU();
  const SparseGraph g = to_sparse_graph(random_csr(50, 40, 9, 1));
  const SparseGraph d = g.to(kGpu);
  EXPECT_EQ(d.device(), kGpu);
  EXPECT_EQ(d.csr_t().edge_ids.to_vector<int32_t>(), g.csr_t().edge_ids.to_vector<int32_t>());
  EXPECT_EQ(d.csr().indptr.to_vector<int64_t>(), g.csr().indptr.to_vector<int64_t>());
}

TEST(SparseCuda, SpmmCopyUFp32AndInt8MatchCpu) {
  TANGO_REQUIRE_GPU();
  const HostCsr h = random_csr(300, 257, 40, 2);
  const SparseGraph g = to_sparse_graph(h), d = g.to(kGpu);
  const int64_t deg = max_degree(g.csr());
  for (int64_t width : {1, 3, 7, 8, 9, 33, 64, 256}) {
    const Tensor x = random_matrix(257, width, width);
    const SpmmScaling scaling{Tensor::from(random_values(300, 1, 0.5f, 2.0f)),
                              Tensor::from(random_values(257, 2, 0.5f, 2.0f))};
    const SpmmScaling scaling_gpu{scaling.row_scale.to(kGpu), scaling.src_scale.to(kGpu)};
    Tensor cpu = Tensor::empty(DType::kF32, Shape::mat(300, width)), abs = cpu.clone();
    Tensor gpu = Tensor::empty(DType::kF32, Shape::mat(300, width), kGpu);
    spmm_copy_u(g.csr(), x, cpu, scaling);
    spmm_copy_u(g.csr(), abs_of(x), abs, scaling);
    spmm_copy_u(d.csr(), x.to(kGpu), gpu, scaling_gpu);
    expect_gpu_matches(gpu, cpu, abs, deg, "copy_u");

    spmm_mean(g, x, cpu);
    spmm_mean(d, x.to(kGpu), gpu);
    expect_gpu_matches(gpu, cpu, abs, deg, "mean (bound from the scaled sum)");

    for (bool per_row : {false, true}) {
      const QTensor xq = quantize_reference(x, per_row);
      qspmm_copy_u(g.csr(), xq, cpu, scaling);
      qspmm_copy_u(d.csr(), to_gpu(xq), gpu, scaling_gpu);
      spmm_copy_u(g.csr(), abs_of(dequantize_reference(xq)), abs, scaling);
      expect_gpu_matches(gpu, cpu, abs, deg, per_row ? "qspmm per-row" : "qspmm");
    }
    // Backward over the reverse CSR.
    Tensor dx_cpu = Tensor::empty(DType::kF32, Shape::mat(257, width)), dx_abs = dx_cpu.clone();
    Tensor dx_gpu = Tensor::empty(DType::kF32, Shape::mat(257, width), kGpu);
    const Tensor dy = random_matrix(300, width, 9);
    spmm_copy_u_backward(g, dy, dx_cpu, scaling);
    spmm_copy_u_backward(g, abs_of(dy), dx_abs, scaling);
    spmm_copy_u_backward(d, dy.to(kGpu), dx_gpu, scaling_gpu);
    expect_gpu_matches(dx_gpu, dx_cpu, dx_abs, max_degree(g.csr_t()), "copy_u backward");
  }
}

TEST(SparseCuda, Fp32SpmmMatchesCusparse) {
  TANGO_REQUIRE_GPU();
  const HostCsr h = random_csr(400, 350, 60, 12);
  const SparseGraph g = to_sparse_graph(h), d = g.to(kGpu);
  CusparseSpmm vendor(d.csr());
  for (int64_t width : {1, 9, 128, 256}) {
    const Tensor x = random_matrix(350, width, 13);
    Tensor ours = Tensor::empty(DType::kF32, Shape::mat(400, width), kGpu), theirs = ours.clone();
    Tensor abs = Tensor::empty(DType::kF32, Shape::mat(400, width));
    spmm_copy_u(d.csr(), x.to(kGpu), ours);
    vendor.run(x.to(kGpu), theirs);
    spmm_copy_u(g.csr(), abs_of(x), abs);
    expect_gpu_matches(ours, theirs, abs, max_degree(g.csr()), "custom vs cuSPARSE");
  }
}

TEST(SparseCuda, SpmmUMulEFp32AndInt8MatchCpuInBothDirections) {
  TANGO_REQUIRE_GPU();
  const HostCsr h = random_csr(200, 180, 30, 3);
  const SparseGraph g = to_sparse_graph(h), d = g.to(kGpu);
  for (auto [heads, dim] : {std::pair<int64_t, int64_t>{1, 9}, {2, 64}, {4, 128}, {3, 7}, {4, 1}}) {
    const int64_t width = heads * dim;
    const Tensor x = random_matrix(180, width, 4), e = random_matrix(g.num_edges(), heads, 5, 0.0f, 1.0f);
    const Tensor dy = random_matrix(200, width, 6);
    Tensor cpu = Tensor::empty(DType::kF32, Shape::mat(200, width)), abs = cpu.clone();
    Tensor gpu = Tensor::empty(DType::kF32, Shape::mat(200, width), kGpu);
    spmm_u_mul_e(g.csr(), x, e, cpu);
    spmm_u_mul_e(g.csr(), abs_of(x), e, abs);
    spmm_u_mul_e(d.csr(), x.to(kGpu), e.to(kGpu), gpu);
    expect_gpu_matches(gpu, cpu, abs, max_degree(g.csr()), "u_mul_e");

    const QTensor xq = quantize_reference(x, false), eq = quantize_reference(e, false),
                  dyq = quantize_reference(dy, false);
    qspmm_u_mul_e(g.csr(), xq, eq, cpu);
    qspmm_u_mul_e(d.csr(), to_gpu(xq), to_gpu(eq), gpu);
    spmm_u_mul_e(g.csr(), abs_of(dequantize_reference(xq)), dequantize_reference(eq), abs);
    expect_gpu_matches(gpu, cpu, abs, max_degree(g.csr()), "qspmm u_mul_e");

    // INT8 backward: dx over the reverse CSR (edge values through the permutation) and dE.
    Tensor dx_cpu = Tensor::empty(DType::kF32, Shape::mat(180, width)), dx_abs = dx_cpu.clone();
    Tensor de_cpu = Tensor::empty(DType::kF32, Shape::mat(g.num_edges(), heads)), de_abs = de_cpu.clone();
    Tensor dx_gpu = Tensor::empty(DType::kF32, Shape::mat(180, width), kGpu);
    Tensor de_gpu = Tensor::empty(DType::kF32, Shape::mat(g.num_edges(), heads), kGpu);
    qspmm_u_mul_e_backward(g, xq, eq, dyq, dx_cpu, de_cpu);
    qspmm_u_mul_e_backward(d, to_gpu(xq), to_gpu(eq), to_gpu(dyq), dx_gpu, de_gpu);
    spmm_u_mul_e_backward(g, abs_of(dequantize_reference(xq)), dequantize_reference(eq),
                          abs_of(dequantize_reference(dyq)), dx_abs, de_abs);
    expect_gpu_matches(dx_gpu, dx_cpu, dx_abs, max_degree(g.csr_t()), "qspmm u_mul_e dx");
    expect_gpu_matches(de_gpu, de_cpu, de_abs, dim, "qspmm u_mul_e dE");
  }
}

TEST(SparseCuda, SddmmAddAndDotMatchCpu) {
  TANGO_REQUIRE_GPU();
  const HostCsr h = random_csr(150, 170, 40, 4);
  const SparseGraph g = to_sparse_graph(h), d = g.to(kGpu);
  for (int64_t heads : {1, 4}) {
    const Tensor u = random_matrix(170, heads, 1, -3.0f, 3.0f), v = random_matrix(150, heads, 2);
    Tensor cpu = Tensor::empty(DType::kF32, Shape::mat(g.num_edges(), heads)), abs = cpu.clone();
    Tensor gpu = Tensor::empty(DType::kF32, Shape::mat(g.num_edges(), heads), kGpu);
    sddmm_u_add_v(g.csr(), u, v, cpu);
    sddmm_u_add_v(g.csr(), abs_of(u), abs_of(v), abs);
    sddmm_u_add_v(d.csr(), u.to(kGpu), v.to(kGpu), gpu);
    expect_gpu_matches(gpu, cpu, abs, 2, "u_add_v");
    const QTensor uq = quantize_reference(u, true), vq = quantize_reference(v, false);
    qsddmm_u_add_v(g.csr(), uq, vq, cpu);
    qsddmm_u_add_v(d.csr(), to_gpu(uq), to_gpu(vq), gpu);
    expect_gpu_matches(gpu, cpu, abs, 2, "int8 u_add_v");
  }
  for (auto [heads, dim] : {std::pair<int64_t, int64_t>{4, 64}, {1, 9}, {2, 33}, {1, 256}}) {
    const Tensor u = random_matrix(170, heads * dim, 3), v = random_matrix(150, heads * dim, 4);
    Tensor cpu = Tensor::empty(DType::kF32, Shape::mat(g.num_edges(), heads)), abs = cpu.clone();
    Tensor gpu = Tensor::empty(DType::kF32, Shape::mat(g.num_edges(), heads), kGpu);
    sddmm_u_dot_v(g.csr(), u, v, cpu);
    sddmm_u_dot_v(g.csr(), abs_of(u), abs_of(v), abs);
    sddmm_u_dot_v(d.csr(), u.to(kGpu), v.to(kGpu), gpu);
    expect_gpu_matches(gpu, cpu, abs, dim, "u_dot_v");
    // INT8: the int32 sums are exact on both sides; only the scale products round.
    const QTensor uq = quantize_reference(u, false), vq = quantize_reference(v, true);
    qsddmm_u_dot_v(g.csr(), uq, vq, cpu);
    qsddmm_u_dot_v(d.csr(), to_gpu(uq), to_gpu(vq), gpu);
    expect_gpu_matches(gpu, cpu, abs, 2, "int8 u_dot_v");
  }
}

TEST(SparseCuda, UAddVBackwardBothAlgorithmsMatchCpu) {
  TANGO_REQUIRE_GPU();
  const HostCsr h = random_csr(220, 190, 50, 5);
  const SparseGraph g = to_sparse_graph(h), d = g.to(kGpu);
  const int64_t deg = std::max(max_degree(g.csr()), max_degree(g.csr_t()));
  for (int64_t heads : {1, 3, 8, 12}) {
    const Tensor dz = random_matrix(g.num_edges(), heads, heads);
    const QTensor dzq = quantize_reference(dz, false);
    Tensor du = Tensor::empty(DType::kF32, Shape::mat(190, heads)),
           dv = Tensor::empty(DType::kF32, Shape::mat(220, heads));
    Tensor du_abs = du.clone(), dv_abs = dv.clone();
    sddmm_u_add_v_backward(g, abs_of(dz), du_abs, dv_abs);
    Tensor du_gpu = Tensor::empty(DType::kF32, du.shape(), kGpu),
           dv_gpu = Tensor::empty(DType::kF32, dv.shape(), kGpu);
    for (EdgeReduceAlgo algo : {EdgeReduceAlgo::kSegmentSum, EdgeReduceAlgo::kIncidenceSpmm}) {
      sddmm_u_add_v_backward(g, dz, du, dv, algo);
      sddmm_u_add_v_backward(d, dz.to(kGpu), du_gpu, dv_gpu, algo);
      expect_gpu_matches(du_gpu, du, du_abs, deg, "u_add_v du");
      expect_gpu_matches(dv_gpu, dv, dv_abs, deg, "u_add_v dv");
      qsddmm_u_add_v_backward(g, dzq, du, dv, algo);
      qsddmm_u_add_v_backward(d, to_gpu(dzq), du_gpu, dv_gpu, algo);
      expect_gpu_matches(du_gpu, du, du_abs, deg, "int8 u_add_v du");
      expect_gpu_matches(dv_gpu, dv, dv_abs, deg, "int8 u_add_v dv");
    }
  }
}

TEST(SparseCuda, EdgeSoftmaxForwardAndBackwardMatchCpu) {
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
  }
}

}  // namespace
}  // namespace tango::kernels
