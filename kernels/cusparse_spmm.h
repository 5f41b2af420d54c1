// FP32 SpMM (copy_u, sum) through cuSPARSE's generic SpMM (CSR, CUSPARSE_SPMM_CSR_ALG2, row-major dense
// operands): the vendor baseline that bench/spmm_bench measures the CUDA QSpMM against, and that
// tests/kernels/spmm_cuda_test.cc checks our FP32 kernel with. The plan (32-bit row offsets and an all-ones
// value array, which cuSPARSE needs and Tango re-created on every call) is built once per graph. CUDA only.
#pragma once

#include <memory>

#include "core/tensor.h"
#include "kernels/sparse_graph.h"

namespace tango::kernels {

class CusparseSpmm {
 public:
  // `adj` must live on a CUDA device (a CPU graph or a CPU-only build is an error naming what to do).
  explicit CusparseSpmm(const CsrIndex& adj);
  ~CusparseSpmm();
  CusparseSpmm(const CusparseSpmm&) = delete;
  CusparseSpmm& operator=(const CusparseSpmm&) = delete;

  // out = A x: x f32 [num_cols, W], out f32 [num_rows, W], both on the graph's device.
  void run(const Tensor& x, Tensor& out);

 private:
  struct Plan;
  std::unique_ptr<Plan> plan_;
};

}  // namespace tango::kernels
