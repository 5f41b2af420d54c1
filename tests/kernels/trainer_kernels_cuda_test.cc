// The trainer's CUDA kernels (keyed dropouts, masked loss/accuracy, GAT per-head reductions, add) against
// the CPU ones: masks bit-identical (the same hash), counts equal, sums within reassociation bounds.
#include <gtest/gtest.h>

#include <cmath>

#include "core/device.h"
#include "kernels/elementwise.h"
#include "kernels/head_ops.h"
#include "kernels/keyed_dropout.h"
#include "kernels/masked_nll.h"
#include "tests/kernels/sparse_test_util.h"

namespace tango::kernels {
namespace {

using testing::kGpu;
using testing::random_matrix;

void expect_close(const Tensor& gpu, const Tensor& cpu, double relative, const char* what) {
  std::vector<float> g = gpu.to_vector<float>(), c = cpu.to_vector<float>();
  ASSERT_EQ(g.size(), c.size());
  for (size_t i = 0; i < g.size(); ++i)
    ASSERT_NEAR(g[i], c[i], relative * (1 + std::fabs(c[i]))) << what << " " << i;
}

Tensor ids_for(int64_t n) {
  std::vector<int64_t> ids(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) ids[i] = i * 13 + 5;
  return Tensor::from(ids);
}

TEST(TrainerKernelsCuda, KeyedDropoutsAndAddMatchCpuBitForBit) {
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
  Tensor sum = x.clone(), sumg = x.to(kGpu);
  add_inplace(sum, dy);
  add_inplace(sumg, dy.to(kGpu));
  EXPECT_EQ(sumg.to_vector<float>(), sum.to_vector<float>());

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

TEST(TrainerKernelsCuda, MaskedLossAndCorrectCountsMatchCpu) {
  TANGO_REQUIRE_GPU();
  const int64_t rows = 5003, classes = 41;
  Tensor logits = random_matrix(rows, classes, 3, -4.0f, 4.0f);
  std::vector<int32_t> labels(rows);
  std::vector<uint8_t> mask(rows);
  for (int64_t r = 0; r < rows; ++r) {
    labels[r] = static_cast<int32_t>((r * 7) % classes);
    mask[r] = r % 4 != 0;
  }
  Tensor lab = Tensor::from(labels), msk = Tensor::from(mask);
  Tensor grad = Tensor::empty(DType::kF32, logits.shape()), s = Tensor::zeros(DType::kI64, Shape::vec(2));
  Tensor gradg = Tensor::empty(DType::kF32, logits.shape(), kGpu),
         sg = Tensor::zeros(DType::kI64, Shape::vec(2), kGpu);
  masked_nll(logits, lab, msk, 1234.0, grad, s, 0);
  masked_correct(logits, lab, msk, s, 1);
  Tensor lg = logits.to(kGpu), labg = lab.to(kGpu), mskg = msk.to(kGpu);
  masked_nll(lg, labg, mskg, 1234.0, gradg, sg, 0);
  masked_correct(lg, labg, mskg, sg, 1);
  const std::vector<int64_t> cpu = s.to_vector<int64_t>(), gpu = sg.to_vector<int64_t>();
  // Per-row math is the same double code; only the order of the row sum differs (~rows ulps of double).
  EXPECT_NEAR(scalar_as_double(gpu[0]), scalar_as_double(cpu[0]),
              1e-12 * rows * std::fabs(scalar_as_double(cpu[0])));
  EXPECT_EQ(gpu[1], cpu[1]);
  expect_close(gradg, grad, 1e-6, "masked_nll grad");
}

TEST(TrainerKernelsCuda, HeadReductionsMatchCpu) {
  TANGO_REQUIRE_GPU();
  const int64_t rows = 4099, heads = 8, width = 8, used = 4000;
  Tensor z = random_matrix(rows, heads * width, 1), a = random_matrix(heads, width, 2);
  Tensor zg = z.to(kGpu), ag = a.to(kGpu);
  Tensor s = Tensor::empty(DType::kF32, Shape::mat(used, heads)),
         sg = Tensor::empty(DType::kF32, s.shape(), kGpu);
  head_scores(z, used, a, s);
  head_scores(zg, used, ag, sg);
  EXPECT_EQ(sg.to_vector<float>(), s.to_vector<float>());  // the same sequential FP32 dot, no FMA
  Tensor ds = random_matrix(used, heads, 3), dz = random_matrix(rows, heads * width, 4), dzg = dz.to(kGpu);
  Tensor da = Tensor::empty(DType::kF32, a.shape()), dag = Tensor::empty(DType::kF32, a.shape(), kGpu);
  head_scores_backward(z, ds, used, a, dz, da);
  head_scores_backward(zg, ds.to(kGpu), used, ag, dzg, dag);
  EXPECT_EQ(dzg.to_vector<float>(), dz.to_vector<float>());  // products rounded before the sum on both
  expect_close(dag, da, 1e-6, "da");  // double sums of 4000 terms, rounded to float once
  // dz and da asked for apart give what one call gives.
  Tensor none, dz_apart = random_matrix(rows, heads * width, 4).to(kGpu);
  Tensor da_apart = Tensor::empty(DType::kF32, a.shape(), kGpu);
  head_scores_backward(zg, ds.to(kGpu), used, ag, dz_apart, none);
  head_scores_backward(zg, ds.to(kGpu), used, ag, none, da_apart);
  EXPECT_EQ(dz_apart.to_vector<float>(), dzg.to_vector<float>());
  expect_close(da_apart, dag, 1e-6, "da apart");
  Tensor mean = Tensor::empty(DType::kF32, Shape::mat(rows, width)),
         meang = Tensor::empty(DType::kF32, mean.shape(), kGpu);
  head_mean(z, heads, mean);
  head_mean(zg, heads, meang);
  EXPECT_EQ(meang.to_vector<float>(), mean.to_vector<float>());
  Tensor dy = random_matrix(rows, width, 5), dx = Tensor::empty(DType::kF32, z.shape());
  Tensor dxg = Tensor::empty(DType::kF32, z.shape(), kGpu);
  head_mean_backward(dy, heads, dx);
  head_mean_backward(dy.to(kGpu), heads, dxg);
  EXPECT_EQ(dxg.to_vector<float>(), dx.to_vector<float>());
}

}  // namespace
}  // namespace tango::kernels
