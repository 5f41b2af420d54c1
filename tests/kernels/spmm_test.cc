// CPU SpMM / QSpMM forward against plain loops written here, on random graphs with empty rows, a hub row,
// unreferenced columns and feature widths that straddle the vector widths.
#include "kernels/spmm.h"

#include <gtest/gtest.h>

#include "tests/kernels/sparse_test_util.h"

namespace tango::kernels {
namespace {

using namespace testing;

// The reference: out[r, h*D+d] = rs[r] * sum_p ss[c] * e[p, h] * x[c, h*D+d], in double, plus the sum of
// |terms| per output (the scale of its FP32 rounding error).
struct Reference {
  std::vector<float> value, tol;
};

Reference reference_spmm(const HostCsr& g, const std::vector<float>& x, int64_t width,
                         const std::vector<float>* edge, int64_t heads, const std::vector<float>* row_scale,
                         const std::vector<float>* src_scale) {
  const int64_t dim = width / heads;
  Reference ref{std::vector<float>(g.rows * width), std::vector<float>(g.rows * width)};
  for (int64_t r = 0; r < g.rows; ++r) {
    const int64_t degree = g.indptr[r + 1] - g.indptr[r];
    for (int64_t j = 0; j < width; ++j) {
      double sum = 0.0, abs_sum = 0.0;
      for (int64_t p = g.indptr[r]; p < g.indptr[r + 1]; ++p) {
        const int64_t c = g.indices[p];
        double term = x[c * width + j];
        if (edge) term *= (*edge)[p * heads + j / dim];
        if (src_scale) term *= (*src_scale)[c];
        sum += term;
        abs_sum += std::fabs(term);
      }
      const double rs = row_scale ? (*row_scale)[r] : 1.0;
      ref.value[r * width + j] = static_cast<float>(rs * sum);
      ref.tol[r * width + j] = rounding_tol(static_cast<float>(std::fabs(rs) * abs_sum), degree + 2);
    }
  }
  return ref;
}

class SpmmWidths : public ::testing::TestWithParam<int64_t> {};

TEST_P(SpmmWidths, CopyUMatchesLoopWithAndWithoutScaling) {
  const int64_t width = GetParam();
  const HostCsr h = random_csr(37, 29, 8, 11 + width);
  const SparseGraph g = to_sparse_graph(h);
  const Tensor x = random_matrix(29, width, 1);
  Tensor out = Tensor::empty(DType::kF32, Shape::mat(37, width));
  spmm_copy_u(g.csr(), x, out);
  Reference ref = reference_spmm(h, x.to_vector<float>(), width, nullptr, 1, nullptr, nullptr);
  expect_close(out.to_vector<float>(), ref.value, ref.tol, "copy_u");

  const std::vector<float> rs = random_values(37, 2, 0.1f, 2.0f), ss = random_values(29, 3, 0.1f, 2.0f);
  spmm_copy_u(g.csr(), x, out, {Tensor::from(rs), Tensor::from(ss)});
  ref = reference_spmm(h, x.to_vector<float>(), width, nullptr, 1, &rs, &ss);
  expect_close(out.to_vector<float>(), ref.value, ref.tol, "copy_u scaled");
}

TEST_P(SpmmWidths, MeanDividesByInDegree) {
  const int64_t width = GetParam();
  const HostCsr h = random_csr(25, 25, 6, 5 + width);
  const SparseGraph g = to_sparse_graph(h);
  const Tensor x = random_matrix(25, width, 4);
  Tensor out = Tensor::empty(DType::kF32, Shape::mat(25, width));
  spmm_mean(g, x, out);
  std::vector<float> inv(25);
  for (int64_t r = 0; r < 25; ++r) {
    const int64_t degree = h.indptr[r + 1] - h.indptr[r];
    inv[r] = degree ? 1.0f / degree : 0.0f;
  }
  const Reference ref = reference_spmm(h, x.to_vector<float>(), width, nullptr, 1, &inv, nullptr);
  expect_close(out.to_vector<float>(), ref.value, ref.tol, "mean");
}

// QSpMM = s * sum(q): against the loop over the dequantized input (only rounding differs), and against
// FP32 on the original input within the INT8 bound: each term is off by at most |w| * s_row / 2.
TEST_P(SpmmWidths, QSpmmWithinHalfAScaleStepPerTerm) {
  const int64_t width = GetParam();
  const HostCsr h = random_csr(41, 33, 10, 21 + width);
  const SparseGraph g = to_sparse_graph(h);
  for (bool per_row : {false, true}) {
    const Tensor x = random_matrix(33, width, 6, -3.0f, 3.0f);
    const QTensor xq = quantize_reference(x, per_row);
    const std::vector<float> rs = random_values(41, 7, 0.5f, 1.5f);
    Tensor out = Tensor::empty(DType::kF32, Shape::mat(41, width));
    qspmm_copy_u(g.csr(), xq, out, {Tensor::from(rs), {}});
    const auto got = out.to_vector<float>();
    Reference deq =
        reference_spmm(h, dequantize_reference(xq).to_vector<float>(), width, nullptr, 1, &rs, nullptr);
    expect_close(got, deq.value, deq.tol, per_row ? "qspmm per-row vs dequantized" : "qspmm vs dequantized");

    // Bound vs FP32: sum over the row's edges of rs * s(c) / 2.
    const Reference fp = reference_spmm(h, x.to_vector<float>(), width, nullptr, 1, &rs, nullptr);
    const auto scales = xq.scales.to_vector<float>();
    std::vector<float> bound(fp.value.size());
    for (int64_t r = 0; r < 41; ++r) {
      double b = 0.0;
      for (int64_t p = h.indptr[r]; p < h.indptr[r + 1]; ++p)
        b += rs[r] * scales[per_row ? h.indices[p] : 0] / 2.0;
      for (int64_t j = 0; j < width; ++j)
        bound[r * width + j] = static_cast<float>(b) + 2 * fp.tol[r * width + j];
    }
    expect_close(got, fp.value, bound, "qspmm vs fp32 bound");
  }
}

INSTANTIATE_TEST_SUITE_P(Widths, SpmmWidths, ::testing::Values(1, 3, 7, 8, 9, 33, 64, 100, 295));

// copy_u with INT8 x, one scale per tensor and no per-source scale sums the codes in integers: the output is
// exactly float(s * rs[r]) * float(sum of codes). A hub row whose sums leave the int16 range (extreme codes
// of one sign per column over ~600 edges) catches int16 lanes that are not widened in time; the widths cover
// every slab size (256, 128, 64, 32) and a tail; the 33000 x 256 output is larger than the kernel's streaming
// threshold (non-temporal stores).
void expect_exact_int8_copy_u(int64_t rows, int64_t cols, int64_t width, uint64_t seed) {
  const HostCsr h = random_csr(rows, cols, 6, seed);  // row 1: a hub over cols - 2 sources
  ASSERT_GT(h.indptr[2] - h.indptr[1], 2 * 255);
  const SparseGraph g = to_sparse_graph(h);
  QTensor xq{Tensor::empty(DType::kI8, Shape::mat(cols, width)), Tensor::from(std::vector<float>{0.03125f})};
  std::mt19937 rng(static_cast<uint32_t>(seed));
  int8_t* codes = xq.values.data<int8_t>();
  for (int64_t i = 0; i < cols * width; ++i) {  // column sums of the hub row reach about +-60000
    const int64_t c = i / width, j = i % width;
    codes[i] = c % 4 == 3 ? static_cast<int8_t>(rng() % 256 - 128) : j % 2 ? int8_t{127} : int8_t{-128};
  }
  const std::vector<float> rs = random_values(rows, seed + 1, 0.5f, 1.5f);
  Tensor out = Tensor::empty(DType::kF32, Shape::mat(rows, width));
  qspmm_copy_u(g.csr(), xq, out, {Tensor::from(rs), {}});
  const float* got = out.data<float>();
  int failures = 0;
  for (int64_t r = 0; r < rows && failures < 5; ++r)
    for (int64_t j = 0; j < width && failures < 5; ++j) {
      int64_t sum = 0;
      for (int64_t p = h.indptr[r]; p < h.indptr[r + 1]; ++p) sum += codes[h.indices[p] * width + j];
      const float want = (0.03125f * rs[r]) * static_cast<float>(sum);
      if (got[r * width + j] != want) {
        ADD_FAILURE() << "width " << width << " out[" << r << ", " << j << "] = " << got[r * width + j]
                      << ", want " << want;
        ++failures;
      }
    }
}

TEST(Spmm, QSpmmCopyUSumsCodesExactly) {
  for (int64_t width : {295, 256, 224, 100, 17}) expect_exact_int8_copy_u(40, 700, width, 50 + width);
  expect_exact_int8_copy_u(33000, 600, 256, 7);
}

struct HeadShape {
  int64_t heads, dim;
};
void PrintTo(const HeadShape& s, std::ostream* os) {
  *os << "heads=" << s.heads << " dim=" << s.dim;
}
class SpmmHeads : public ::testing::TestWithParam<HeadShape> {};

TEST_P(SpmmHeads, UMulEMatchesLoopInFp32AndInt8) {
  const auto [heads, dim] = GetParam();
  const int64_t width = heads * dim;
  const HostCsr h = random_csr(31, 26, 9, 40 + width);
  const SparseGraph g = to_sparse_graph(h);
  const Tensor x = random_matrix(26, width, 8);
  const Tensor e = random_matrix(h.nnz(), heads, 9, 0.0f, 1.0f);
  Tensor out = Tensor::empty(DType::kF32, Shape::mat(31, width));
  spmm_u_mul_e(g.csr(), x, e, out);
  const auto ev = e.to_vector<float>();
  Reference ref = reference_spmm(h, x.to_vector<float>(), width, &ev, heads, nullptr, nullptr);
  expect_close(out.to_vector<float>(), ref.value, ref.tol, "u_mul_e");

  // Over the reverse graph the edge values are read through the permutation: compare with the loop over an
  // explicitly transposed host CSR.
  Tensor out_t = Tensor::empty(DType::kF32, Shape::mat(26, width));
  const Tensor y = random_matrix(31, width, 10);
  spmm_u_mul_e(g.csr_t(), y, e, out_t);
  HostCsr ht{26, 31, g.csr_t().indptr.to_vector<int64_t>(), g.csr_t().indices.to_vector<int32_t>()};
  const auto perm = g.csr_t().edge_ids.to_vector<int32_t>();
  std::vector<float> e_t(ev.size());
  for (size_t q = 0; q < perm.size(); ++q)
    for (int64_t hh = 0; hh < heads; ++hh) e_t[q * heads + hh] = ev[perm[q] * heads + hh];
  ref = reference_spmm(ht, y.to_vector<float>(), width, &e_t, heads, nullptr, nullptr);
  expect_close(out_t.to_vector<float>(), ref.value, ref.tol, "u_mul_e reverse");

  for (bool per_row : {false, true}) {
    const QTensor xq = quantize_reference(x, per_row), eq = quantize_reference(e, false);
    qspmm_u_mul_e(g.csr(), xq, eq, out);
    const auto edq = dequantize_reference(eq).to_vector<float>();
    ref =
        reference_spmm(h, dequantize_reference(xq).to_vector<float>(), width, &edq, heads, nullptr, nullptr);
    expect_close(out.to_vector<float>(), ref.value, ref.tol, "qspmm u_mul_e vs dequantized");
  }
}

INSTANTIATE_TEST_SUITE_P(Heads, SpmmHeads,
                         ::testing::Values(HeadShape{1, 1}, HeadShape{1, 9}, HeadShape{2, 3}, HeadShape{4, 8},
                                           HeadShape{3, 33}, HeadShape{2, 64}));

TEST(Spmm, GraphWithoutEdgesGivesZerosAndOneRowGraphWorks) {
  const SparseGraph empty = SparseGraph::from_csr(3, 2, Tensor::from(std::vector<int64_t>{0, 0, 0, 0}),
                                                  Tensor::from(std::vector<int32_t>{}));
  const Tensor x = random_matrix(2, 5, 1);
  Tensor out = Tensor::empty(DType::kF32, Shape::mat(3, 5));
  spmm_copy_u(empty.csr(), x, out);
  EXPECT_EQ(out.to_vector<float>(), std::vector<float>(15, 0.0f));
  qspmm_mean(empty, quantize_reference(x, false), out);
  EXPECT_EQ(out.to_vector<float>(), std::vector<float>(15, 0.0f));

  // One destination row gathering every source.
  const HostCsr h{1, 4, {0, 4}, {0, 1, 2, 3}};
  const SparseGraph one = to_sparse_graph(h);
  const Tensor x4 = random_matrix(4, 9, 2);
  Tensor out1 = Tensor::empty(DType::kF32, Shape::mat(1, 9));
  spmm_copy_u(one.csr(), x4, out1);
  const Reference ref = reference_spmm(h, x4.to_vector<float>(), 9, nullptr, 1, nullptr, nullptr);
  expect_close(out1.to_vector<float>(), ref.value, ref.tol, "one row");
}

TEST(Spmm, RejectsMismatchedShapes) {
  const SparseGraph g = to_sparse_graph(random_csr(5, 4, 3, 1));
  Tensor x = random_matrix(5, 3, 1);  // needs 4 rows (num_cols)
  Tensor out = Tensor::empty(DType::kF32, Shape::mat(5, 3));
  EXPECT_THROW(spmm_copy_u(g.csr(), x, out), Error);
  Tensor x_ok = random_matrix(4, 3, 1);
  Tensor wrong_out = Tensor::empty(DType::kF32, Shape::mat(5, 4));
  EXPECT_THROW(spmm_copy_u(g.csr(), x_ok, wrong_out), Error);
  Tensor e = random_matrix(g.num_edges(), 2, 1);  // 2 heads do not divide width 3
  EXPECT_THROW(spmm_u_mul_e(g.csr(), x_ok, e, out), Error);
}

}  // namespace
}  // namespace tango::kernels
