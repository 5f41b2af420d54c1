// The INT8 backward of GCN/SAGE's aggregation (trainer/layers/copy_u_aggregation.h): dY takes one scale
// per row, so a hub's gradient row (1000x the others) costs levels to its own row only. Against the FP32
// backward, the rows of dX that gather no hub row stay within the rounding of their own rows, where one
// scale per tensor (what the rule replaced) rounds the small rows to zero.
#include "trainer/layers/copy_u_aggregation.h"

#include <gtest/gtest.h>

#include <cmath>

#include "kernels/spmm.h"
#include "tests/trainer/trainer_test_graphs.h"
#include "trainer/ops.h"

namespace tango::trainer {
namespace {

TEST(CopyUAggregation, Int8BackwardKeepsTheRowsBesideAHub) {
  const DistGraph graph = dist_graph_from_dataset(testing::random_dataset(400, 6, 4, 3, 9));
  const int64_t rows = graph.num_owned, cols = 8, hub = 17;
  Tensor dy = Tensor::empty(DType::kF32, Shape::mat(rows, cols));
  for (int64_t i = 0; i < dy.numel(); ++i) dy.data<float>()[i] = std::sin(0.37f * static_cast<float>(i));
  for (int64_t j = 0; j < cols; ++j) dy.data<float>()[hub * cols + j] *= 1000.0f;
  for (const CopyUAggregation& copy_u : {CopyUAggregation::gcn(graph), CopyUAggregation::mean(graph)}) {
    Tensor ref = Tensor::empty(DType::kF32, Shape::mat(graph.num_rows(), cols)), dx = ref.clone();
    Tensor per_tensor = ref.clone();
    copy_u.backward(dy, Precision::kFP32, ref);
    copy_u.backward(dy, Precision::kINT8, dx);
    const kernels::SpmmScaling scaling{copy_u.row_scale.slice_rows(0, copy_u.adjacency.csr().num_rows),
                                       copy_u.column_scale};
    kernels::qspmm_copy_u_backward(copy_u.adjacency, quantize_int8(dy), per_tensor, scaling);
    // dX rows whose reverse-graph row gathers no hub row: their error against FP32, relative.
    const kernels::CsrIndex& reverse = copy_u.adjacency.csr_t();
    const std::vector<int64_t> indptr = reverse.indptr.to_vector<int64_t>();
    const std::vector<int32_t> indices = reverse.indices.to_vector<int32_t>();
    double signal = 0.0, err_rows = 0.0, err_tensor = 0.0;
    int64_t counted = 0;
    for (int64_t v = 0; v < graph.num_rows(); ++v) {
      bool gathers_hub = false;
      for (int64_t p = indptr[v]; p < indptr[v + 1]; ++p) gathers_hub |= indices[p] == hub;
      if (gathers_hub) continue;
      ++counted;
      for (int64_t j = 0; j < cols; ++j) {
        const double r = ref.data<float>()[v * cols + j];
        signal += r * r;
        err_rows += std::pow(dx.data<float>()[v * cols + j] - r, 2);
        err_tensor += std::pow(per_tensor.data<float>()[v * cols + j] - r, 2);
      }
    }
    ASSERT_GT(counted, graph.num_rows() / 2);
    EXPECT_LT(std::sqrt(err_rows / signal), 0.01);   // each row's own 127 levels
    EXPECT_GT(std::sqrt(err_tensor / signal), 0.3);  // the hub's step: most rows rounded away
  }
}

}  // namespace
}  // namespace tango::trainer
