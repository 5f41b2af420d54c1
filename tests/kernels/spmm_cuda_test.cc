// CUDA SpMM / QSpMM (kernels/spmm.h: copy_u with row and source scales, mean, u_mul_e, their backwards)
// against the CPU on the same inputs, and the FP32 copy_u against cuSPARSE. Summation orders differ (warp
// reductions), so outputs agree within the FP32 rounding bound of a sum, taken per element from the same
// op run on absolute values. Skipped without a GPU.
#include <gtest/gtest.h>

#include <utility>

#include "core/device.h"
#include "kernels/cusparse_spmm.h"
#include "kernels/spmm.h"
#include "tests/kernels/sparse_test_util.h"

namespace tango::kernels {
namespace {

using namespace testing;

TEST(SpmmCuda, CopyUFp32AndInt8MatchCpu) {
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

TEST(SpmmCuda, Fp32CopyUMatchesCusparse) {
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

TEST(SpmmCuda, UMulEFp32AndInt8MatchCpuInBothDirections) {
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

}  // namespace
}  // namespace tango::kernels
