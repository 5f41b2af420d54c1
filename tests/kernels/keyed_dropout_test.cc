// The trainer's keyed dropouts (kernels/keyed_dropout.h) on the CPU against plain loops written here: row
// masks keyed by (seed, stream, global id, column pair), edge masks keyed by the global edge and head,
// row ranges of a CSR, and the masked backward.
#include "kernels/keyed_dropout.h"

#include <gtest/gtest.h>

#include <cmath>
#include <utility>

#include "core/error.h"
#include "kernels/elementwise.h"
#include "kernels/keyed_dropout_math.h"
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

// One row of 200000 columns: the same (seed, stream) draws the same mask, another stream another one, and
// the keep rate is within 5 standard deviations of Binomial(n, 1 - p).
TEST(KeyedDropout, SameKeySameMaskAndKeepRateWithinBinomialBound) {
  const int64_t n = 200000;
  const float p = 0.3f;
  Tensor x = Tensor::from(std::vector<float>(n, 1.0f), 1, n), ids = Tensor::from(std::vector<int64_t>{42});
  Tensor y1 = Tensor::empty(DType::kF32, x.shape()), y2 = y1.clone(), y3 = y1.clone();
  Tensor m1 = Tensor::empty(DType::kU8, x.shape()), m2 = m1.clone(), m3 = m1.clone();
  keyed_dropout(x, y1, m1, ids, {p, 11, 0});
  keyed_dropout(x, y2, m2, ids, {p, 11, 0});
  keyed_dropout(x, y3, m3, ids, {p, 11, 1});
  EXPECT_EQ(m1.to_vector<uint8_t>(), m2.to_vector<uint8_t>());
  EXPECT_EQ(y1.to_vector<float>(), y2.to_vector<float>());
  EXPECT_NE(m1.to_vector<uint8_t>(), m3.to_vector<uint8_t>());
  int64_t kept = 0;
  for (float v : y1.to_vector<float>()) {
    ASSERT_TRUE(v == 0.0f || v == 1.0f / (1.0f - p)) << v;
    kept += v != 0.0f;
  }
  EXPECT_NEAR(static_cast<double>(kept) / n, 1.0 - p, 5 * std::sqrt(p * (1 - p) / n));
}

TEST(KeyedDropout, RejectsProbabilityOne) {
  Tensor x = Tensor::zeros(DType::kF32, Shape::mat(2, 2)), y = x.clone();
  Tensor mask = Tensor::empty(DType::kU8, x.shape()), ids = Tensor::from(std::vector<int64_t>{0, 1});
  EXPECT_THROW(keyed_dropout(x, y, mask, ids, {1.0f, 0, 0}), Error);
  EXPECT_THROW(masked_dropout_backward(x, mask, 1.0f, y), Error);
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

// The INT8 model's step between layers: activation, dropout and derivative codes fused in place must give
// the bits of the three kernels run one after another (ELU included: the same scalar expf), with p = 0 as
// no dropout at all.
TEST(KeyedDropout, ActivationDropoutCodesEqualTheThreeKernels) {
  for (const ActivationOptions activation :
       {ActivationOptions{Activation::kRelu, 0.0f}, ActivationOptions{Activation::kElu, 1.0f}}) {
    for (const float p : {0.0f, 0.4f}) {
      for (const auto& [rows, cols] : {std::pair<int64_t, int64_t>{57, 13}, {23, 131}}) {
        SCOPED_TRACE(::testing::Message()
                     << static_cast<int>(activation.kind) << " p " << p << " cols " << cols);
        const Tensor y0 = random_matrix(rows, cols, 7, -3.0f, 3.0f), ids = ids_for(rows, 5);
        Tensor h = Tensor::empty(DType::kF32, y0.shape()), mask = Tensor::empty(DType::kU8, y0.shape());
        activation_forward(y0, h, activation);
        Tensor x = h.clone();
        if (p > 0.0f) keyed_dropout(h, x, mask, ids, {p, 5, 9});
        Tensor expected_codes = Tensor::empty(DType::kU8, y0.shape());
        activation_derivative_codes(y0, p > 0.0f ? mask : Tensor(), activation, expected_codes);

        Tensor y = y0.clone(), codes = Tensor::empty(DType::kU8, y0.shape());
        activation_dropout_codes(y, codes, ids, activation, {p, 5, 9});
        EXPECT_EQ(y.to_vector<float>(), x.to_vector<float>());
        EXPECT_EQ(codes.to_vector<uint8_t>(), expected_codes.to_vector<uint8_t>());
        int64_t zero_codes = 0;
        for (uint8_t c : codes.to_vector<uint8_t>()) zero_codes += c == 0;
        // ReLU's negatives and the dropped elements code 0: those cases are exercised (ELU without dropout
        // has none).
        if (activation.kind == Activation::kRelu || p > 0.0f) {
          EXPECT_GT(zero_codes, 0);
        }
      }
    }
  }
  Tensor y = random_matrix(2, 3, 1), codes = Tensor::empty(DType::kU8, y.shape());
  EXPECT_THROW(activation_dropout_codes(y, codes, ids_for(2, 1), {Activation::kElu, 1.5f}, {0.5f, 1, 2}),
               Error);
  EXPECT_THROW(activation_dropout_codes(y, codes, ids_for(2, 1), {Activation::kRelu, 0.0f}, {1.0f, 1, 2}),
               Error);
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

}  // namespace
}  // namespace tango::kernels
