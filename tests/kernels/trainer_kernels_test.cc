// The trainer's keyed dropouts, masked loss/accuracy and GAT per-head reductions on the CPU, against
// plain loops written here (the formulas of the trainer's former host code).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <utility>

#include "core/error.h"
#include "kernels/head_ops.h"
#include "kernels/keyed_dropout.h"
#include "kernels/keyed_dropout_math.h"
#include "kernels/masked_nll.h"
#include "kernels/quant_math.h"
#include "tests/kernels/sparse_test_util.h"

namespace tango::kernels {
namespace {

using testing::random_matrix;

Tensor ids_for(int64_t n, int64_t stride) {
  std::vector<int64_t> ids(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) ids[i] = (i * stride + 3) % (n * stride + 1);
  return Tensor::from(ids);
}

// Widths: odd (the last pair has one column), and wide enough for the vector loop's body and tail.
void check_row_dropout(int64_t rows, int64_t cols) {
  SCOPED_TRACE(cols);
  const float p = 0.4f;
  Tensor x = random_matrix(rows, cols, 1), ids = ids_for(rows, 7);
  Tensor y = Tensor::empty(DType::kF32, x.shape()), mask = Tensor::empty(DType::kU8, x.shape());
  keyed_dropout(x, y, mask, ids, {p, 5, 9});
  const uint64_t key = stream_key(5, 9);
  const int64_t pairs = (cols + 1) / 2;
  const float* xv = x.data<float>();
  const int64_t* id = ids.data<int64_t>();
  int64_t kept = 0;
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t j = 0; j < cols; ++j) {
      const uint64_t bits = mix64(key + static_cast<uint64_t>(id[r]) * pairs + j / 2);
      const uint32_t draw =
          j % 2 == 0 ? static_cast<uint32_t>(bits >> 40) : static_cast<uint32_t>((bits >> 8) & 0xFFFFFF);
      const bool keep = static_cast<float>(draw) / 16777216.0f >= p;
      ASSERT_EQ(mask.data<uint8_t>()[r * cols + j], keep ? 1 : 0) << r << "," << j;
      ASSERT_EQ(y.data<float>()[r * cols + j], keep ? xv[r * cols + j] * (1.0f / (1.0f - p)) : 0.0f);
      kept += keep;
    }
  }
  EXPECT_NEAR(static_cast<double>(kept) / (rows * cols), 1 - p, 0.08);
  // The same node id under another row position draws the same mask.
  Tensor x2 = x.slice_rows(10, 11).clone(), y2 = Tensor::empty(DType::kF32, x2.shape());
  Tensor m2 = Tensor::empty(DType::kU8, x2.shape());
  keyed_dropout(x2, y2, m2, Tensor::from(std::vector<int64_t>{id[10]}), {p, 5, 9});
  for (int64_t j = 0; j < cols; ++j) EXPECT_EQ(m2.data<uint8_t>()[j], mask.data<uint8_t>()[10 * cols + j]);
  // Backward: dy * mask / (1 - p), in place.
  Tensor dy = random_matrix(rows, cols, 2), dx = dy.clone();
  masked_dropout_backward(dx, mask, p, dx);
  for (int64_t i = 0; i < rows * cols; ++i)
    ASSERT_EQ(dx.data<float>()[i],
              mask.data<uint8_t>()[i] ? dy.data<float>()[i] * (1.0f / (1.0f - p)) : 0.0f);
}

TEST(KeyedDropout, RowMaskIsAFunctionOfGlobalIdAndColumn) {
  check_row_dropout(57, 13);
  check_row_dropout(23, 131);
}

TEST(KeyedDropout, PerColumnDrawEqualsThePairDraws) {
  const uint64_t key = stream_key(3, 4);
  for (uint64_t id : {0ull, 7ull, 123456789ull}) {
    for (uint64_t pair = 0; pair < 70; ++pair) {
      float draws[2];
      row_dropout_draws(key, id, 70, pair, draws);
      EXPECT_EQ(row_dropout_draw(key, id, 70, 2 * pair), draws[0]);
      EXPECT_EQ(row_dropout_draw(key, id, 70, 2 * pair + 1), draws[1]);
    }
  }
}

TEST(KeyedDropout, EdgeMaskIsKeyedByTheGlobalEdgeAndHead) {
  const testing::HostCsr g = testing::random_csr(40, 45, 6, 3);
  SparseGraph graph = testing::to_sparse_graph(g);
  const int64_t heads = 3, n_global = 1000;
  const float p = 0.3f;
  Tensor ids = ids_for(45, 11);
  Tensor values = random_matrix(g.nnz(), heads, 4), original = values.clone();
  Tensor mask = Tensor::empty(DType::kU8, values.shape());
  keyed_edge_dropout(graph.csr(), ids, n_global, values, mask, {p, 2, 8});
  const uint64_t key = stream_key(2, 8);
  const int64_t* id = ids.data<int64_t>();
  for (int64_t r = 0; r < g.rows; ++r) {
    for (int64_t e = g.indptr[r]; e < g.indptr[r + 1]; ++e) {
      for (int64_t h = 0; h < heads; ++h) {
        const uint64_t edge =
            static_cast<uint64_t>(id[r]) * n_global + static_cast<uint64_t>(id[g.indices[e]]);
        const bool keep = keyed_uniform(key, edge * heads + h) >= p;
        ASSERT_EQ(mask.data<uint8_t>()[e * heads + h], keep ? 1 : 0);
        ASSERT_EQ(values.data<float>()[e * heads + h],
                  keep ? original.data<float>()[e * heads + h] * (1.0f / (1.0f - p)) : 0.0f);
      }
    }
  }
}

// GAT's overlap drops the attention of the inner and the boundary rows apart: a row range keyed with its
// first row draws the whole CSR's mask.
TEST(KeyedDropout, EdgeMaskOfARowRangeIsTheWholeCsrsMask) {
  const testing::HostCsr g = testing::random_csr(40, 45, 6, 3);
  SparseGraph graph = testing::to_sparse_graph(g);
  const int64_t heads = 2, split = 17;
  Tensor ids = ids_for(45, 11);
  Tensor whole = random_matrix(g.nnz(), heads, 4), ranged = whole.clone();
  Tensor whole_mask = Tensor::empty(DType::kU8, whole.shape()), ranged_mask = whole_mask.clone();
  keyed_edge_dropout(graph.csr(), ids, 1000, whole, whole_mask, {0.4f, 2, 8});
  for (auto [begin, end] : {std::pair<int64_t, int64_t>{0, split}, {split, g.rows}}) {
    const CsrIndex rows = csr_row_range(graph.csr(), begin, end, g.cols);
    const int64_t first = g.indptr[begin], last = g.indptr[end];
    Tensor values = ranged.slice_rows(first, last), mask = ranged_mask.slice_rows(first, last);
    keyed_edge_dropout(rows, ids, 1000, values, mask, {0.4f, 2, 8}, begin);
  }
  EXPECT_EQ(ranged.to_vector<float>(), whole.to_vector<float>());
  EXPECT_EQ(ranged_mask.to_vector<uint8_t>(), whole_mask.to_vector<uint8_t>());
  // Keyed by the wrong rows (no offset), the second range draws another mask.
  Tensor other = whole.clone(), other_mask = whole_mask.clone();
  const CsrIndex tail = csr_row_range(graph.csr(), split, g.rows, g.cols);
  Tensor tail_values = other.slice_rows(g.indptr[split], g.nnz());
  Tensor tail_mask = other_mask.slice_rows(g.indptr[split], g.nnz());
  keyed_edge_dropout(tail, ids, 1000, tail_values, tail_mask, {0.4f, 2, 8});
  EXPECT_NE(other_mask.to_vector<uint8_t>(), whole_mask.to_vector<uint8_t>());
  EXPECT_THROW(keyed_edge_dropout(tail, ids, 1000, tail_values, tail_mask, {0.4f, 2, 8}, 45), Error);
}

TEST(MaskedNll, LossGradientAndCorrectCountsMatchPlainLoops) {
  const int64_t rows = 31, classes = 7;
  Tensor logits = random_matrix(rows, classes, 6, -3.0f, 3.0f);
  std::vector<int32_t> labels(rows);
  std::vector<uint8_t> mask(rows);
  for (int64_t r = 0; r < rows; ++r) {
    labels[r] = static_cast<int32_t>((r * 5) % classes);
    mask[r] = r % 3 != 1;
  }
  // Ties: row 0's maximum appears twice; the first one counts.
  logits.data<float>()[0 * classes + 2] = 9.0f;
  logits.data<float>()[0 * classes + 5] = 9.0f;
  labels[0] = 2;
  Tensor grad = Tensor::empty(DType::kF32, logits.shape()),
         scalars = Tensor::zeros(DType::kI64, Shape::vec(3));
  const double normalizer = 17.0;
  masked_nll(logits, Tensor::from(labels), Tensor::from(mask), normalizer, grad, scalars, 1);
  masked_correct(logits, Tensor::from(labels), Tensor::from(mask), scalars, 2);
  double total = 0.0;
  int64_t correct = 0;
  const float* z = logits.data<float>();
  for (int64_t r = 0; r < rows; ++r) {
    const float* zr = z + r * classes;
    if (!mask[r]) {
      for (int64_t j = 0; j < classes; ++j) ASSERT_EQ(grad.data<float>()[r * classes + j], 0.0f);
      continue;
    }
    const double zmax = *std::max_element(zr, zr + classes);
    double sum = 0.0;
    for (int64_t j = 0; j < classes; ++j) sum += std::exp(zr[j] - zmax);
    const double log_sum = zmax + std::log(sum);
    total += log_sum - zr[labels[r]];
    for (int64_t j = 0; j < classes; ++j) {
      const float want =
          static_cast<float>((std::exp(zr[j] - log_sum) - (j == labels[r] ? 1.0 : 0.0)) / normalizer);
      ASSERT_EQ(grad.data<float>()[r * classes + j], want) << r << "," << j;
    }
    correct += (std::max_element(zr, zr + classes) - zr) == labels[r];
  }
  EXPECT_EQ(scalars.data<int64_t>()[0], 0);  // other slots untouched
  EXPECT_EQ(scalar_as_double(scalars.data<int64_t>()[1]), total);
  EXPECT_EQ(scalars.data<int64_t>()[2], correct);
  EXPECT_GE(correct, 1);  // row 0
}

TEST(HeadOps, ScoresMeansAndBackwardsMatchPlainLoops) {
  const int64_t rows = 23, heads = 3, width = 5, used = 19;
  Tensor z = random_matrix(rows, heads * width, 7), a = random_matrix(heads, width, 8);
  Tensor scores = Tensor::empty(DType::kF32, Shape::mat(used, heads));
  head_scores(z, used, a, scores);
  const float* zp = z.data<float>();
  const float* ap = a.data<float>();
  for (int64_t r = 0; r < used; ++r) {
    for (int64_t h = 0; h < heads; ++h) {
      float sum = 0.0f;
      for (int64_t d = 0; d < width; ++d) sum += zp[(r * heads + h) * width + d] * ap[h * width + d];
      ASSERT_EQ(scores.data<float>()[r * heads + h], sum);
    }
  }
  Tensor ds = random_matrix(used, heads, 9), dz = random_matrix(rows, heads * width, 10), dz0 = dz.clone();
  Tensor da = Tensor::empty(DType::kF32, a.shape());
  head_scores_backward(z, ds, used, a, dz, da);
  for (int64_t h = 0; h < heads; ++h) {
    for (int64_t d = 0; d < width; ++d) {
      double sum = 0.0;
      for (int64_t r = 0; r < used; ++r)
        sum += static_cast<double>(ds.data<float>()[r * heads + h]) * zp[(r * heads + h) * width + d];
      ASSERT_EQ(da.data<float>()[h * width + d], static_cast<float>(sum));
    }
  }
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t i = r * heads * width; i < (r + 1) * heads * width; ++i) {
      const int64_t h = (i / width) % heads, d = i % width;
      const float want = r < used ? dz0.data<float>()[i] + ds.data<float>()[r * heads + h] * ap[h * width + d]
                                  : dz0.data<float>()[i];
      ASSERT_EQ(dz.data<float>()[i], want);
    }
  }
  // The two outputs asked for apart (a row range's dz, then da over all rows) are the same bits.
  Tensor dz_apart = dz0.clone(), da_apart = Tensor::empty(DType::kF32, a.shape()), none;
  head_scores_backward(z, ds, used, a, dz_apart, none);
  head_scores_backward(z, ds, used, a, none, da_apart);
  EXPECT_EQ(dz_apart.to_vector<float>(), dz.to_vector<float>());
  EXPECT_EQ(da_apart.to_vector<float>(), da.to_vector<float>());
  EXPECT_THROW(head_scores_backward(z, ds, used, a, none, none), Error);
  Tensor mean = Tensor::empty(DType::kF32, Shape::mat(rows, width));
  head_mean(z, heads, mean);
  Tensor dy = random_matrix(rows, width, 11), dx = Tensor::empty(DType::kF32, z.shape());
  head_mean_backward(dy, heads, dx);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t d = 0; d < width; ++d) {
      float sum = 0.0f;
      for (int64_t h = 0; h < heads; ++h) sum += zp[(r * heads + h) * width + d];
      ASSERT_EQ(mean.data<float>()[r * width + d], sum * (1.0f / heads));
      for (int64_t h = 0; h < heads; ++h)
        ASSERT_EQ(dx.data<float>()[(r * heads + h) * width + d],
                  dy.data<float>()[r * width + d] * (1.0f / heads));
    }
  }
}

}  // namespace
}  // namespace tango::kernels
