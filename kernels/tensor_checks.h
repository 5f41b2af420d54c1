// Argument checks shared by the primitives' dispatch files: dtype, device, and the 2-D view of a tensor
// (a 1-D tensor [n] is one row of n columns); the sparse primitives' shape checks against a graph's
// dimensions (namespace detail). Every failure names the tensor and what was seen.
#pragma once

#include <string>
#include <string_view>

#include "core/error.h"
#include "core/tensor.h"
#include "kernels/qtensor.h"

namespace tango::kernels {

struct MatrixView {
  int64_t rows = 0;
  int64_t cols = 0;
};

inline MatrixView matrix_view(const Tensor& t) {
  return t.ndim() == 2 ? MatrixView{t.rows(), t.cols()} : MatrixView{1, t.numel()};
}

inline void check_dtype(const Tensor& t, DType dtype, const char* what) {
  TANGO_CHECK(t.defined() && t.dtype() == dtype, "{} must be a {} tensor, got {}", what, dtype_name(dtype),
              t.defined() ? t.str() : "an undefined tensor");
}

inline void check_f32(const Tensor& t, const char* what) {
  check_dtype(t, DType::kF32, what);
}

inline void check_same_device(const Tensor& a, const Tensor& b, const char* what) {
  TANGO_CHECK(a.device() == b.device(), "{}: tensors on different devices ({} and {})", what, a.str(),
              b.str());
}

[[noreturn]] inline void fail_no_cuda(const char* what, const Tensor& t) {
  TANGO_FAIL_INPUT("{}: {} is on a GPU but this build has no CUDA backend; rebuild with TANGO_ENABLE_CUDA=ON",
                   what, t.str());
}
[[noreturn]] inline void fail_no_cuda(const char* what, Device device) {
  TANGO_FAIL("{} on {}: this build has no CUDA backend (reconfigure with CUDA)", what, device.str());
}

namespace detail {

// `t` is an f32 matrix [rows, cols] on `device` (cols < 0: any width); `what` names it.
inline void check_f32(const Tensor& t, std::string_view what, int64_t rows, int64_t cols, Device device) {
  TANGO_CHECK(t.defined() && t.dtype() == DType::kF32 && t.rows() == rows && (cols < 0 || t.cols() == cols) &&
                  t.device() == device,
              "{} must be f32 [{}, {}] on {}, got {}", what, rows, cols < 0 ? "*" : std::to_string(cols),
              device.str(), t.str());
}

// An optional f32 vector [n] on `device` (undefined passes).
inline void check_optional_vector(const Tensor& t, std::string_view what, int64_t n, Device device) {
  if (!t.defined()) return;
  TANGO_CHECK(t.dtype() == DType::kF32 && t.numel() == n && t.device() == device,
              "{} must be f32 [{}] on {}, got {}", what, n, device.str(), t.str());
}

// An INT8 operand [rows, cols] on `device` whose scales are [1] or [rows].
inline void check_quantized(const QTensor& q, std::string_view what, int64_t rows, int64_t cols,
                            Device device) {
  TANGO_CHECK(q.values.defined() && q.values.dtype() == DType::kI8 && q.values.rows() == rows &&
                  q.values.cols() == cols && q.values.device() == device,
              "{} values must be i8 [{}, {}] on {}, got {}", what, rows, cols, device.str(), q.values.str());
  TANGO_CHECK(q.scales.defined() && q.scales.dtype() == DType::kF32 && q.scales.device() == device &&
                  (q.scales.numel() == 1 || q.scales.numel() == rows),
              "{} scales must be f32 [1] or [{}] on {}, got {}", what, rows, device.str(), q.scales.str());
}

// Quantized edge values and edge gradients take one scale per tensor; `what` says which.
inline void check_per_tensor_scale(const QTensor& q, std::string_view what) {
  TANGO_CHECK(q.scales.numel() == 1, "{} take one scale per tensor, got {}", what, q.scales.str());
}

}  // namespace detail

}  // namespace tango::kernels
