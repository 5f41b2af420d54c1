#include "trainer/ops.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "kernels/elementwise.h"
#include "kernels/gemm.h"
#include "kernels/quant_math.h"
#include "kernels/quantize.h"

namespace tango::trainer {

kernels::QTensor quantize_int8(const Tensor& x) {
  kernels::QuantizeOptions options;  // int8, per tensor, nearest
  kernels::QTensor q = kernels::make_qtensor(x.rows(), x.cols(), options, x.device());
  kernels::quantize(x, q, options);
  return q;
}

void gemm(const Tensor& a, bool transpose_a, const Tensor& b, bool transpose_b, Tensor& c) {
  kernels::GemmOptions options;
  options.transpose_a = transpose_a;
  options.transpose_b = transpose_b;
  kernels::gemm(a, b, c, options);
}

void qgemm(const kernels::QTensor& a, bool transpose_a, const kernels::QTensor& b, bool transpose_b,
           Tensor& c) {
  kernels::QGemmOptions options;
  options.transpose_a = transpose_a;
  options.transpose_b = transpose_b;
  kernels::qgemm(a, b, c, options);
}

void add_bias(Tensor& y, const Tensor& bias) {
  kernels::bias_add(y, bias);
}

void bias_grad(const Tensor& dy, Tensor& grad_bias) {
  kernels::column_sum(dy, grad_bias);
}

void add_into(Tensor& y, const Tensor& x) {
  TANGO_CHECK(y.numel() == x.numel(), "add_into: {} += {}", y.str(), x.str());
  float* out = y.data<float>();
  const float* in = x.data<float>();
  const int64_t n = y.numel();
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) out[i] += in[i];
}

void activate(const Tensor& x, Tensor& y, kernels::Activation kind, float alpha) {
  kernels::activation_forward(x, y, {kind, alpha});
}

void activate_backward(const Tensor& x, Tensor& dy, kernels::Activation kind, float alpha) {
  kernels::activation_backward(x, dy, dy, {kind, alpha});
}

void dropout(const Tensor& x, Tensor& y, Tensor& mask, float p, uint64_t seed, uint64_t stream,
             const Tensor& global_ids) {
  TANGO_CHECK(global_ids.numel() >= x.rows(), "dropout needs a global id for each of {} rows, got {}",
              x.rows(), global_ids.numel());
  const int64_t rows = x.rows(), cols = x.cols();
  const int64_t pairs_per_row = (cols + 1) / 2;
  const float keep_scale = 1.0f / (1.0f - p);
  const float* in = x.data<float>();
  const int64_t* ids = global_ids.data<int64_t>();
  float* out = y.data<float>();
  uint8_t* keep = mask.data<uint8_t>();
  // One 64-bit draw per pair of columns: hash(key, global_id * pairs + pair), split into two 24-bit
  // uniforms (the same function as kernels::hash_uniform, with the key hoisted out of the loop).
  const uint64_t key = kernels::stream_key(seed, stream);
  constexpr float kUnit = 1.0f / 16777216.0f;
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < rows; ++r) {
    const uint64_t base = static_cast<uint64_t>(ids[r]) * static_cast<uint64_t>(pairs_per_row);
    for (int64_t pair = 0; pair < pairs_per_row; ++pair) {
      const uint64_t bits = kernels::mix64(key + base + static_cast<uint64_t>(pair));
      const uint32_t draws[2] = {static_cast<uint32_t>(bits >> 40),
                                 static_cast<uint32_t>((bits >> 8) & 0xFFFFFFu)};
      for (int64_t j = 2 * pair; j < std::min(cols, 2 * pair + 2); ++j) {
        const bool kept = static_cast<float>(draws[j - 2 * pair]) * kUnit >= p;
        keep[r * cols + j] = kept ? 1 : 0;
        out[r * cols + j] = kept ? in[r * cols + j] * keep_scale : 0.0f;
      }
    }
  }
}

void dropout_backward(const Tensor& dy, const Tensor& mask, float p, Tensor& dx) {
  const float keep_scale = 1.0f / (1.0f - p);
  const float* g = dy.data<float>();
  const uint8_t* keep = mask.data<uint8_t>();
  float* out = dx.data<float>();
  const int64_t n = dy.numel();
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) out[i] = keep[i] ? g[i] * keep_scale : 0.0f;
}

void edge_dropout(const kernels::CsrIndex& csr, const Tensor& global_ids, int64_t num_global_nodes,
                  Tensor& values, Tensor& mask, float p, uint64_t seed, uint64_t stream) {
  const int64_t heads = values.cols();
  const int64_t* indptr = csr.indptr.data<int64_t>();
  const int32_t* indices = csr.indices.data<int32_t>();
  const int64_t* ids = global_ids.data<int64_t>();
  float* v = values.data<float>();
  uint8_t* keep = mask.data<uint8_t>();
  const float keep_scale = 1.0f / (1.0f - p);
  const uint64_t key = kernels::stream_key(seed, stream);
#pragma omp parallel for schedule(dynamic, 64)
  for (int64_t r = 0; r < csr.num_rows; ++r) {
    for (int64_t e = indptr[r]; e < indptr[r + 1]; ++e) {
      const uint64_t edge = static_cast<uint64_t>(ids[r]) * static_cast<uint64_t>(num_global_nodes) +
                            static_cast<uint64_t>(ids[indices[e]]);
      for (int64_t h = 0; h < heads; ++h) {
        const bool kept = kernels::keyed_uniform(key, edge * static_cast<uint64_t>(heads) + h) >= p;
        keep[e * heads + h] = kept ? 1 : 0;
        v[e * heads + h] = kept ? v[e * heads + h] * keep_scale : 0.0f;
      }
    }
  }
}

double log_softmax_nll(const Tensor& logits, const Tensor& labels, const Tensor& mask, double normalizer,
                       Tensor& grad) {
  const int64_t rows = logits.rows(), cols = logits.cols();
  const float* z = logits.data<float>();
  const int32_t* y = labels.data<int32_t>();
  const uint8_t* m = mask.data<uint8_t>();
  float* g = grad.data<float>();
  double total = 0.0;
  for (int64_t r = 0; r < rows; ++r) {
    float* grow = g + r * cols;
    if (!m[r]) {
      std::fill(grow, grow + cols, 0.0f);
      continue;
    }
    const float* zr = z + r * cols;
    const double zmax = *std::max_element(zr, zr + cols);
    double sum = 0.0;
    for (int64_t j = 0; j < cols; ++j) sum += std::exp(zr[j] - zmax);
    const double log_sum = zmax + std::log(sum);
    total += log_sum - zr[y[r]];
    for (int64_t j = 0; j < cols; ++j) {
      const double p = std::exp(zr[j] - log_sum);
      grow[j] = static_cast<float>((p - (j == y[r] ? 1.0 : 0.0)) / normalizer);
    }
  }
  return total;
}

int64_t count_correct(const Tensor& logits, const Tensor& labels, const Tensor& mask) {
  const int64_t rows = logits.rows(), cols = logits.cols();
  const float* z = logits.data<float>();
  const int32_t* y = labels.data<int32_t>();
  const uint8_t* m = mask.data<uint8_t>();
  int64_t correct = 0;
  for (int64_t r = 0; r < rows; ++r) {
    if (!m[r]) continue;
    const float* zr = z + r * cols;
    correct += (std::max_element(zr, zr + cols) - zr) == y[r] ? 1 : 0;
  }
  return correct;
}

double relative_error(const Tensor& approx, const Tensor& exact) {
  const float* a = approx.data<float>();
  const float* b = exact.data<float>();
  double diff = 0.0, norm = 0.0;
  for (int64_t i = 0; i < exact.numel(); ++i) {
    diff += (static_cast<double>(a[i]) - b[i]) * (static_cast<double>(a[i]) - b[i]);
    norm += static_cast<double>(b[i]) * b[i];
  }
  return norm > 0.0 ? std::sqrt(diff / norm) : 0.0;
}

void copy_rows(const Tensor& in, int64_t rows, Tensor& out) {
  TANGO_CHECK(in.cols() == out.cols() && in.rows() >= rows && out.rows() >= rows,
              "copy_rows: {} rows from {} into {}", rows, in.str(), out.str());
  Tensor dst = out.slice_rows(0, rows);
  dst.copy_from(in.slice_rows(0, rows));
}

}  // namespace tango::trainer
