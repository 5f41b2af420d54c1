// Argument checks shared by the dense primitives' dispatch files: dtype, device, and the 2-D view of a
// tensor (a 1-D tensor [n] is one row of n columns). Every failure names the tensor and what was seen.
#pragma once

#include "core/tensor.h"

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

}  // namespace tango::kernels
