// Shared by the sparse kernel tests: random CSR graphs with the awkward cases (empty rows, a hub row,
// columns nobody references, non-square shapes), edge values graded by row, a plain per-tensor / per-row INT8
// quantizer written here as the reference, and finite-difference helpers with a rounding-derived tolerance
// (random tensors and the GPU guard: test_util.h).
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <random>
#include <vector>

#include "core/tensor.h"
#include "kernels/qtensor.h"
#include "kernels/sparse_graph.h"
#include "tests/kernels/test_util.h"

namespace tango::kernels::testing {

// Host CSR arrays the reference loops walk (rows = destinations, cols = sources, entry p = edge p).
struct HostCsr {
  int64_t rows = 0, cols = 0;
  std::vector<int64_t> indptr;
  std::vector<int32_t> indices;
  int64_t nnz() const { return static_cast<int64_t>(indices.size()); }
};

// A random CSR: row r has a random degree in [0, max_degree] (every 5th row empty, row 1 a hub with
// all columns when hub is set); the last `isolated_cols` columns are never referenced.
inline HostCsr random_csr(int64_t rows, int64_t cols, int max_degree, uint64_t seed, bool hub = true,
                          int64_t isolated_cols = 2) {
  std::mt19937_64 rng(seed);
  HostCsr g;
  g.rows = rows;
  g.cols = cols;
  g.indptr.push_back(0);
  const int64_t usable = std::max<int64_t>(1, cols - isolated_cols);
  for (int64_t r = 0; r < rows; ++r) {
    std::vector<int32_t> row;
    if (hub && r == 1) {
      for (int64_t c = 0; c < usable; ++c) row.push_back(static_cast<int32_t>(c));
    } else if (r % 5 != 4) {
      const int degree = static_cast<int>(rng() % (max_degree + 1));
      for (int k = 0; k < degree; ++k) row.push_back(static_cast<int32_t>(rng() % usable));
      std::sort(row.begin(), row.end());
      row.erase(std::unique(row.begin(), row.end()), row.end());
    }
    g.indices.insert(g.indices.end(), row.begin(), row.end());
    g.indptr.push_back(static_cast<int64_t>(g.indices.size()));
  }
  return g;
}

// Edge values whose magnitude depends on the destination row (1e-3 .. 1 by row), so a scale taken from
// the wrong row gives results off by orders of magnitude.
inline Tensor row_graded_edges(const HostCsr& h, int64_t heads, uint64_t seed) {
  std::vector<float> v = random_values(h.nnz() * heads, seed, 0.0f, 1.0f);
  for (int64_t r = 0; r < h.rows; ++r)
    for (int64_t p = h.indptr[r]; p < h.indptr[r + 1]; ++p)
      for (int64_t k = 0; k < heads; ++k)
        v[p * heads + k] *= std::pow(10.0f, static_cast<float>(r % 4) - 3.0f);
  return Tensor::from(v, h.nnz(), heads);
}

inline SparseGraph to_sparse_graph(const HostCsr& g) {
  return SparseGraph::from_csr(g.rows, g.cols, Tensor::from(g.indptr), Tensor::from(g.indices));
}

// Symmetric INT8 with scale amax/127 (one per tensor, or one per row); a zero tensor/row gets scale 1.
inline QTensor quantize_reference(const Tensor& x, bool per_row) {
  const int64_t rows = x.rows(), cols = x.cols();
  const float* in = x.data<float>();
  QTensor q{Tensor::empty(DType::kI8, x.shape()), Tensor::empty(DType::kF32, Shape::vec(per_row ? rows : 1))};
  int8_t* values = q.values.data<int8_t>();
  float* scales = q.scales.data<float>();
  auto scale_of = [](float amax) { return amax > 0.0f ? amax / 127.0f : 1.0f; };
  float amax = 0.0f;
  for (int64_t i = 0; i < rows * cols; ++i) amax = std::max(amax, std::fabs(in[i]));
  for (int64_t r = 0; r < rows; ++r) {
    float row_amax = 0.0f;
    for (int64_t j = 0; j < cols; ++j) row_amax = std::max(row_amax, std::fabs(in[r * cols + j]));
    const float s = scale_of(per_row ? row_amax : amax);
    if (per_row || r == 0) scales[per_row ? r : 0] = s;
    for (int64_t j = 0; j < cols; ++j)
      values[r * cols + j] =
          static_cast<int8_t>(std::clamp(std::nearbyint(in[r * cols + j] / s), -127.0f, 127.0f));
  }
  return q;
}

inline Tensor dequantize_reference(const QTensor& q) {
  Tensor out = Tensor::empty(DType::kF32, q.values.shape());
  const int64_t cols = q.values.cols();
  for (int64_t i = 0; i < q.values.numel(); ++i) {
    const float s = q.scales.numel() == 1 ? q.scales.data<float>()[0] : q.scales.data<float>()[i / cols];
    out.data<float>()[i] = s * static_cast<float>(q.values.data<int8_t>()[i]);
  }
  return out;
}

// For the CUDA-vs-CPU tests: a CPU copy of |t| (the bound of a sum's rounding error is taken from the
// same op run on absolute values), and a quantized tensor moved to the GPU (kGpu: test_util.h).
inline Tensor abs_of(const Tensor& t) {
  Tensor out = t.to(Device::cpu());
  for (int64_t i = 0; i < out.numel(); ++i) out.data<float>()[i] = std::fabs(out.data<float>()[i]);
  return out;
}

inline QTensor to_gpu(const QTensor& q) {
  return {q.values.to(kGpu), q.scales.to(kGpu)};
}

inline float max_abs(const Tensor& t) {
  float m = 0.0f;
  for (float v : t.to_vector<float>()) m = std::max(m, std::fabs(v));
  return m;
}

// Expects |got - want| <= tol[i] element-wise (tol given per element) and reports the first failures.
inline void expect_close(const std::vector<float>& got, const std::vector<float>& want,
                         const std::vector<float>& tol, const char* what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  int failures = 0;
  for (size_t i = 0; i < got.size() && failures < 5; ++i) {
    if (!(std::fabs(got[i] - want[i]) <= tol[i])) {
      ADD_FAILURE() << what << "[" << i << "]: got " << got[i] << ", want " << want[i] << " (tol " << tol[i]
                    << ")";
      ++failures;
    }
  }
}

// FP32 rounding slack of a sum of `terms` products: terms * 2^-23 * sum|term| (a loose Higham bound).
inline float rounding_tol(float abs_sum, int64_t terms) {
  return 4.0f * static_cast<float>(terms + 1) * 1.2e-7f * abs_sum + 1e-6f;
}

// CUDA vs CPU: |gpu - cpu| <= 2 * rounding bound of a sum whose |terms| add up to abs_sum, with `terms`
// terms (summation orders differ between warp reductions and the CPU loops).
inline void expect_gpu_matches(const Tensor& gpu, const Tensor& cpu, const Tensor& abs_sum, int64_t terms,
                               const char* what) {
  const auto a = abs_sum.to_vector<float>();
  std::vector<float> tol(a.size());
  for (size_t i = 0; i < a.size(); ++i) tol[i] = 2 * rounding_tol(a[i], terms);
  expect_close(gpu.to_vector<float>(), cpu.to_vector<float>(), tol, what);
}

// Central finite difference of L(x) = sum_i G_i f(x)_i at coordinate i of `x`, with step h. `forward`
// recomputes f into a tensor; the loss is accumulated in double.
template <class Forward>
double finite_difference(Tensor& x, int64_t i, float h, const std::vector<float>& weights,
                         Forward&& forward) {
  float* p = static_cast<float*>(x.raw_data());
  const float saved = p[i];
  auto loss = [&]() {
    std::vector<float> y = forward();
    double sum = 0.0;
    for (size_t k = 0; k < y.size(); ++k) sum += static_cast<double>(weights[k]) * y[k];
    return sum;
  };
  p[i] = saved + h;
  const double up = loss();
  p[i] = saved - h;
  const double down = loss();
  p[i] = saved;
  return (up - down) / (2.0 * h);
}

// The forward ops are linear in each operand, so a large step has no truncation error; what is left is
// FP32 rounding of the outputs that the perturbed input touches (at most `touched` of them, each within
// `out_tol`), divided by the step (kLinearStep for linear ops; nonlinear ops pass a small step).
constexpr float kLinearStep = 0.25f;

inline void expect_gradient_matches_fd(Tensor& input, const Tensor& analytic,
                                       const std::vector<float>& weights, int64_t touched, float out_tol,
                                       float step, const std::function<std::vector<float>()>& forward,
                                       const char* what) {
  const auto grad = analytic.to_vector<float>();
  float max_w = 0.0f;
  for (float w : weights) max_w = std::max(max_w, std::fabs(w));
  std::vector<float> fd(grad.size()), tol(grad.size());
  for (int64_t i = 0; i < input.numel(); ++i) {
    fd[i] = static_cast<float>(finite_difference(input, i, step, weights, forward));
    tol[i] = static_cast<float>(touched) * max_w * out_tol / step + 1e-4f * std::fabs(grad[i]) + 1e-5f;
  }
  expect_close(grad, fd, tol, what);
}

inline int64_t max_degree(const CsrIndex& adj) {
  auto indptr = adj.indptr.to_vector<int64_t>();
  int64_t m = 0;
  for (size_t r = 0; r + 1 < indptr.size(); ++r) m = std::max(m, indptr[r + 1] - indptr[r]);
  return m;
}

}  // namespace tango::kernels::testing
