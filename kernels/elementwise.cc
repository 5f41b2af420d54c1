// Dispatch for the FP32 small ops: checks, then the CPU or CUDA backend.
#include "kernels/elementwise.h"

#include "kernels/cpu/elementwise.h"
#include "kernels/tensor_checks.h"
#ifdef TANGO_HAVE_CUDA
#include "kernels/cuda/elementwise.h"
#endif

namespace tango::kernels {
namespace {

void check_same_f32(const Tensor& a, const Tensor& b, const char* what) {
  check_f32(a, what);
  check_f32(b, what);
  check_same_device(a, b, what);
  TANGO_CHECK(a.numel() == b.numel(), "{}: {} and {} differ in size", what, a.str(), b.str());
}

}  // namespace

void bias_add(Tensor& y, const Tensor& bias) {
  check_f32(y, "bias_add output");
  check_f32(bias, "bias_add bias");
  check_same_device(y, bias, "bias_add");
  MatrixView v = matrix_view(y);
  TANGO_CHECK(bias.numel() == v.cols, "bias_add: bias is {}, expected f32[{}] for {}", bias.str(), v.cols,
              y.str());
  if (y.device().is_cpu()) return cpu::bias_add(y.data<float>(), v.rows, v.cols, bias.data<float>());
#ifdef TANGO_HAVE_CUDA
  cuda::bias_add(y.data<float>(), v.rows, v.cols, bias.data<float>(), y.device());
#else
  fail_no_cuda("bias_add", y);
#endif
}

void column_sum(const Tensor& x, Tensor& out) {
  check_f32(x, "column_sum input");
  check_f32(out, "column_sum output");
  check_same_device(x, out, "column_sum");
  MatrixView v = matrix_view(x);
  TANGO_CHECK(out.numel() == v.cols, "column_sum: output is {}, expected f32[{}] for {}", out.str(), v.cols,
              x.str());
  if (x.device().is_cpu()) return cpu::column_sum(x.data<float>(), v.rows, v.cols, out.data<float>());
#ifdef TANGO_HAVE_CUDA
  cuda::column_sum(x.data<float>(), v.rows, v.cols, out.data<float>(), x.device());
#else
  fail_no_cuda("column_sum", x);
#endif
}

void add_inplace(Tensor& y, const Tensor& x) {
  check_same_f32(y, x, "add_inplace");
  if (y.device().is_cpu()) return cpu::add_inplace(y.data<float>(), x.data<float>(), y.numel());
#ifdef TANGO_HAVE_CUDA
  cuda::add_inplace(y.data<float>(), x.data<float>(), y.numel(), y.device());
#else
  fail_no_cuda("add_inplace", y);
#endif
}

void activation_forward(const Tensor& x, Tensor& y, const ActivationOptions& options) {
  check_same_f32(x, y, "activation_forward");
  if (x.device().is_cpu())
    return cpu::activation_forward(x.data<float>(), x.numel(), options, y.data<float>());
#ifdef TANGO_HAVE_CUDA
  cuda::activation_forward(x.data<float>(), x.numel(), options, y.data<float>(), x.device());
#else
  fail_no_cuda("activation_forward", x);
#endif
}

void activation_backward(const Tensor& x, const Tensor& dy, Tensor& dx, const ActivationOptions& options) {
  check_same_f32(x, dy, "activation_backward");
  check_same_f32(dy, dx, "activation_backward");
  if (x.device().is_cpu())
    return cpu::activation_backward(x.data<float>(), dy.data<float>(), x.numel(), options, dx.data<float>());
#ifdef TANGO_HAVE_CUDA
  cuda::activation_backward(x.data<float>(), dy.data<float>(), x.numel(), options, dx.data<float>(),
                            x.device());
#else
  fail_no_cuda("activation_backward", x);
#endif
}

void activation_derivative_codes(const Tensor& x, const Tensor& keep_mask, const ActivationOptions& options,
                                 Tensor& codes) {
  check_f32(x, "activation_derivative_codes input");
  check_dtype(codes, DType::kU8, "activation_derivative_codes codes");
  check_same_device(x, codes, "activation_derivative_codes");
  TANGO_CHECK(codes.numel() == x.numel(), "activation_derivative_codes: codes {} for input {}", codes.str(),
              x.str());
  TANGO_CHECK(options.kind == Activation::kRelu || options.kind == Activation::kIdentity ||
                  (options.alpha >= 0.0f && options.alpha <= 1.0f),
              "activation_derivative_codes: alpha {} puts the derivative outside [0, 1]", options.alpha);
  const uint8_t* keep = nullptr;
  if (keep_mask.defined()) {
    check_dtype(keep_mask, DType::kU8, "activation_derivative_codes keep mask");
    check_same_device(x, keep_mask, "activation_derivative_codes");
    TANGO_CHECK(keep_mask.numel() == x.numel(), "activation_derivative_codes: keep mask {} for input {}",
                keep_mask.str(), x.str());
    keep = keep_mask.data<uint8_t>();
  }
  if (x.device().is_cpu())
    return cpu::activation_derivative_codes(x.data<float>(), keep, x.numel(), options, codes.data<uint8_t>());
#ifdef TANGO_HAVE_CUDA
  cuda::activation_derivative_codes(x.data<float>(), keep, x.numel(), options, codes.data<uint8_t>(),
                                    x.device());
#else
  fail_no_cuda("activation_derivative_codes", x);
#endif
}

void coded_activation_backward(const Tensor& codes, const Tensor& dy, float keep_scale, Tensor& dx) {
  check_dtype(codes, DType::kU8, "coded_activation_backward codes");
  check_same_device(codes, dy, "coded_activation_backward");
  check_same_f32(dy, dx, "coded_activation_backward");
  TANGO_CHECK(codes.numel() == dy.numel(), "coded_activation_backward: codes {} for gradient {}", codes.str(),
              dy.str());
  if (dy.device().is_cpu())
    return cpu::coded_activation_backward(codes.data<uint8_t>(), dy.data<float>(), dy.numel(), keep_scale,
                                          dx.data<float>());
#ifdef TANGO_HAVE_CUDA
  cuda::coded_activation_backward(codes.data<uint8_t>(), dy.data<float>(), dy.numel(), keep_scale,
                                  dx.data<float>(), dy.device());
#else
  fail_no_cuda("coded_activation_backward", dy);
#endif
}

}  // namespace tango::kernels
