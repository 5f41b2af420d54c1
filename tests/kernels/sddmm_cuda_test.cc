// CUDA SDDMM (kernels/sddmm.h: u_add_v, u_dot_v, FP32 and INT8, the u_add_v backward by segment sums and
// by the incidence SpMM) against the CPU, within the FP32 rounding bound of each sum. Skipped without a
// GPU.
#include <gtest/gtest.h>

#include <algorithm>
#include <utility>

#include "core/device.h"
#include "kernels/sddmm.h"
#include "tests/kernels/sparse_test_util.h"

namespace tango::kernels {
namespace {

using namespace testing;

TEST(SddmmCuda, UAddVAndUDotVMatchCpu) {
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

TEST(SddmmCuda, UAddVBackwardBothAlgorithmsMatchCpu) {
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

}  // namespace
}  // namespace tango::kernels
