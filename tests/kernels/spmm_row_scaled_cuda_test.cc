// CUDA per-destination-row INT8 attention aggregation (qspmm_u_mul_e_row_scaled in kernels/spmm.h)
// against the CPU backend: forward and backward within the FP32 rounding bound of their sums (warp
// summation orders differ). Skipped without a GPU.
#include <gtest/gtest.h>

#include "core/device.h"
#include "kernels/edge_quantize.h"
#include "kernels/spmm.h"
#include "tests/kernels/sparse_test_util.h"

namespace tango::kernels {
namespace {

using namespace testing;

// The row-scaled operand as FP32 values (scale of the entry's destination row times its code).
Tensor dequantize_rows(const CsrIndex& adj, const QTensor& q) {
  const auto indptr = adj.indptr.to_vector<int64_t>();
  const auto codes = q.values.to_vector<int8_t>();
  const auto scales = q.scales.to_vector<float>();
  const int64_t heads = q.values.cols();
  Tensor out = Tensor::empty(DType::kF32, q.values.shape());
  for (int64_t r = 0; r < adj.num_rows; ++r)
    for (int64_t p = indptr[r]; p < indptr[r + 1]; ++p)
      for (int64_t k = 0; k < heads; ++k)
        out.data<float>()[p * heads + k] = scales[r] * static_cast<float>(codes[p * heads + k]);
  return out;
}

TEST(SpmmRowScaledCuda, ForwardAndBackwardMatchCpu) {
  TANGO_REQUIRE_GPU();
  const HostCsr h = random_csr(220, 190, 40, 8);  // a hub row with every column, empty rows
  const SparseGraph g = to_sparse_graph(h), d = g.to(kGpu);
  for (auto [heads, dim] : {std::pair<int64_t, int64_t>{1, 9}, {8, 8}, {4, 33}, {2, 64}}) {
    const int64_t width = heads * dim;
    QTensor eq = make_edge_row_qtensor(g.csr(), heads);
    quantize_edges_per_row(g.csr(), row_graded_edges(h, heads, heads), eq);  // rows of very different scales
    const QTensor eq_gpu = to_gpu(eq);

    const QTensor xq = quantize_reference(random_matrix(190, width, dim), false);
    const QTensor dyq = quantize_reference(random_matrix(220, width, dim + 1), false);
    const Tensor ed = dequantize_rows(g.csr(), eq);
    Tensor cpu = Tensor::empty(DType::kF32, Shape::mat(220, width)), abs = cpu.clone();
    Tensor gpu = Tensor::empty(DType::kF32, Shape::mat(220, width), kGpu);
    qspmm_u_mul_e_row_scaled(g.csr(), xq, eq, cpu);
    qspmm_u_mul_e_row_scaled(d.csr(), to_gpu(xq), eq_gpu, gpu);
    spmm_u_mul_e(g.csr(), abs_of(dequantize_reference(xq)), ed, abs);
    expect_gpu_matches(gpu, cpu, abs, max_degree(g.csr()), "row-scaled qspmm u_mul_e");

    Tensor dx_cpu = Tensor::empty(DType::kF32, Shape::mat(190, width)), dx_abs = dx_cpu.clone();
    Tensor de_cpu = Tensor::empty(DType::kF32, Shape::mat(g.num_edges(), heads)), de_abs = de_cpu.clone();
    Tensor dx_gpu = Tensor::empty(DType::kF32, Shape::mat(190, width), kGpu);
    Tensor de_gpu = Tensor::empty(DType::kF32, Shape::mat(g.num_edges(), heads), kGpu);
    qspmm_u_mul_e_row_scaled_backward(g, xq, eq, dyq, dx_cpu, de_cpu);
    qspmm_u_mul_e_row_scaled_backward(d, to_gpu(xq), eq_gpu, to_gpu(dyq), dx_gpu, de_gpu);
    spmm_u_mul_e_backward(g, abs_of(dequantize_reference(xq)), ed, abs_of(dequantize_reference(dyq)), dx_abs,
                          de_abs);
    expect_gpu_matches(dx_gpu, dx_cpu, dx_abs, max_degree(g.csr_t()), "row-scaled qspmm u_mul_e dx");
    expect_gpu_matches(de_gpu, de_cpu, de_abs, dim, "row-scaled qspmm u_mul_e dE");
  }
}

}  // namespace
}  // namespace tango::kernels
