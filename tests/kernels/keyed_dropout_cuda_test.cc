// The keyed dropouts (kernels/keyed_dropout.h) on CUDA against the CPU: row and edge masks bit-identical
// (the same hash), a row range keyed with its first row, the masked backward. Skipped without a GPU.
#include <gtest/gtest.h>

#include "core/device.h"
#include "kernels/elementwise.h"
#include "kernels/keyed_dropout.h"
#include "tests/kernels/sparse_test_util.h"

namespace tango::kernels {
namespace {

using testing::kGpu;
using testing::random_matrix;

Tensor ids_for(int64_t n) {
  std::vector<int64_t> ids(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) ids[i] = i * 13 + 5;
  return Tensor::from(ids);
}

TEST(KeyedDropoutCuda, RowAndEdgeMasksMatchCpuBitForBit) {
  TANGO_REQUIRE_GPU();
  const int64_t rows = 1001, cols = 37;
  Tensor x = random_matrix(rows, cols, 1), ids = ids_for(rows);
  Tensor y = Tensor::empty(DType::kF32, x.shape()), m = Tensor::empty(DType::kU8, x.shape());
  Tensor yg = Tensor::empty(DType::kF32, x.shape(), kGpu), mg = Tensor::empty(DType::kU8, x.shape(), kGpu);
  keyed_dropout(x, y, m, ids, {0.5f, 3, 4});
  keyed_dropout(x.to(kGpu), yg, mg, ids.to(kGpu), {0.5f, 3, 4});
  EXPECT_EQ(mg.to_vector<uint8_t>(), m.to_vector<uint8_t>());
  EXPECT_EQ(yg.to_vector<float>(), y.to_vector<float>());
  Tensor dy = random_matrix(rows, cols, 2), dx = Tensor::empty(DType::kF32, x.shape());
  Tensor dxg = Tensor::empty(DType::kF32, x.shape(), kGpu);
  masked_dropout_backward(dy, m, 0.5f, dx);
  masked_dropout_backward(dy.to(kGpu), mg, 0.5f, dxg);
  EXPECT_EQ(dxg.to_vector<float>(), dx.to_vector<float>());

  const testing::HostCsr g = testing::random_csr(300, 320, 12, 5);
  SparseGraph graph = testing::to_sparse_graph(g), graph_gpu = graph.to(kGpu);
  Tensor values = random_matrix(g.nnz(), 4, 6), values_gpu = values.to(kGpu);
  Tensor em = Tensor::empty(DType::kU8, values.shape()),
         emg = Tensor::empty(DType::kU8, values.shape(), kGpu);
  Tensor node_ids = ids_for(320);
  keyed_edge_dropout(graph.csr(), node_ids, 100000, values, em, {0.3f, 7, 8});
  keyed_edge_dropout(graph_gpu.csr(), node_ids.to(kGpu), 100000, values_gpu, emg, {0.3f, 7, 8});
  EXPECT_EQ(emg.to_vector<uint8_t>(), em.to_vector<uint8_t>());
  EXPECT_EQ(values_gpu.to_vector<float>(), values.to_vector<float>());
  // A row range keyed with its first row (GAT's overlap) draws the whole CSR's mask on the GPU too.
  CsrIndex tail = csr_row_range(graph.csr(), 100, g.rows, 320);
  tail.indptr = tail.indptr.to(kGpu);
  tail.indices = tail.indices.to(kGpu);
  Tensor tail_values = random_matrix(g.nnz(), 4, 6).to(kGpu),
         tail_mask = Tensor::empty(DType::kU8, values.shape(), kGpu);
  Tensor tv = tail_values.slice_rows(g.indptr[100], g.nnz()),
         tm = tail_mask.slice_rows(g.indptr[100], g.nnz());
  keyed_edge_dropout(tail, node_ids.to(kGpu), 100000, tv, tm, {0.3f, 7, 8}, 100);
  EXPECT_EQ(tm.to_vector<uint8_t>(), em.slice_rows(g.indptr[100], g.nnz()).to_vector<uint8_t>());
}

// The fused activation, dropout and derivative codes on the GPU: the bits of the three GPU kernels in a row.
TEST(KeyedDropoutCuda, ActivationDropoutCodesEqualTheThreeKernels) {
  TANGO_REQUIRE_GPU();
  const int64_t rows = 1001, cols = 37;
  const Tensor ids = ids_for(rows).to(kGpu), y0 = random_matrix(rows, cols, 5, -3.0f, 3.0f).to(kGpu);
  for (const ActivationOptions activation :
       {ActivationOptions{Activation::kRelu, 0.0f}, ActivationOptions{Activation::kElu, 1.0f}}) {
    Tensor h = Tensor::empty(DType::kF32, y0.shape(), kGpu), x = Tensor::empty(DType::kF32, y0.shape(), kGpu);
    Tensor mask = Tensor::empty(DType::kU8, y0.shape(), kGpu), codes = mask.clone(),
           fused_codes = mask.clone();
    activation_forward(y0, h, activation);
    keyed_dropout(h, x, mask, ids, {0.5f, 3, 4});
    activation_derivative_codes(y0, mask, activation, codes);
    Tensor y = y0.clone();
    activation_dropout_codes(y, fused_codes, ids, activation, {0.5f, 3, 4});
    EXPECT_EQ(y.to_vector<float>(), x.to_vector<float>());
    EXPECT_EQ(fused_codes.to_vector<uint8_t>(), codes.to_vector<uint8_t>());
  }
}

}  // namespace
}  // namespace tango::kernels
