// Dispatch for GAT's per-head reductions: checks shapes, dtypes and devices, then the backend.
#include "kernels/head_ops.h"

#include "kernels/cpu/head_ops.h"
#include "kernels/tensor_checks.h"
#ifdef TANGO_HAVE_CUDA
#include "kernels/cuda/head_ops.h"
#endif

namespace tango::kernels {
namespace {

void check_z(const Tensor& z, int64_t rows, const Tensor& a, const char* what) {
  check_f32(z, what);
  check_f32(a, what);
  check_same_device(z, a, what);
  TANGO_CHECK(a.ndim() == 2 && z.ndim() == 2 && z.cols() == a.numel() && z.rows() >= rows && rows >= 0,
              "{}: table {} ({} rows used) does not fit attention vectors {}", what, z.str(), rows, a.str());
}

}  // namespace

void head_scores(const Tensor& z, int64_t rows, const Tensor& a, Tensor& out) {
  check_z(z, rows, a, "head_scores");
  check_f32(out, "head_scores output");
  check_same_device(z, out, "head_scores");
  const int64_t heads = a.rows(), width = a.cols();
  TANGO_CHECK(out.ndim() == 2 && out.cols() == heads && out.rows() >= rows,
              "head_scores: output {} for {} x {}", out.str(), rows, heads);
  if (z.device().is_cpu())
    return cpu::head_scores(z.data<float>(), rows, a.data<float>(), heads, width, out.data<float>());
#ifdef TANGO_HAVE_CUDA
  cuda::head_scores(z.data<float>(), rows, a.data<float>(), heads, width, out.data<float>(), z.device());
#else
  fail_no_cuda("head_scores", z);
#endif
}

void head_scores_backward(const Tensor& z, const Tensor& ds, int64_t rows, const Tensor& a, Tensor& dz,
                          Tensor& da) {
  check_z(z, rows, a, "head_scores_backward");
  check_f32(ds, "head_scores_backward ds");
  check_same_device(z, ds, "head_scores_backward");
  TANGO_CHECK(dz.defined() || da.defined(), "head_scores_backward: neither dz nor da asked for");
  if (dz.defined()) {
    check_f32(dz, "head_scores_backward dz");
    check_same_device(z, dz, "head_scores_backward");
  }
  if (da.defined()) {
    check_f32(da, "head_scores_backward da");
    check_same_device(z, da, "head_scores_backward");
  }
  const int64_t heads = a.rows(), width = a.cols();
  TANGO_CHECK(ds.ndim() == 2 && ds.cols() == heads && ds.rows() >= rows &&
                  (!dz.defined() || (dz.cols() == z.cols() && dz.rows() >= rows)) &&
                  (!da.defined() || da.numel() == a.numel()),
              "head_scores_backward: ds {}, dz {}, da {} for z {} and a {}", ds.str(), dz.str(), da.str(),
              z.str(), a.str());
  float* dz_data = dz.defined() ? dz.data<float>() : nullptr;
  float* da_data = da.defined() ? da.data<float>() : nullptr;
  if (z.device().is_cpu())
    return cpu::head_scores_backward(z.data<float>(), ds.data<float>(), rows, a.data<float>(), heads, width,
                                     dz_data, da_data);
#ifdef TANGO_HAVE_CUDA
  // The double sums of da need heads * width doubles of scratch (an i64 tensor of that many slots).
  Tensor scratch =
      da.defined() ? Tensor::empty(DType::kI64, Shape::vec(heads * width), z.device()) : Tensor();
  cuda::head_scores_backward(
      z.data<float>(), ds.data<float>(), rows, a.data<float>(), heads, width, dz_data, da_data,
      da.defined() ? reinterpret_cast<double*>(scratch.data<int64_t>()) : nullptr, z.device());
#else
  fail_no_cuda("head_scores_backward", z);
#endif
}

void head_mean(const Tensor& x, int64_t heads, Tensor& out) {
  check_f32(x, "head_mean input");
  check_f32(out, "head_mean output");
  check_same_device(x, out, "head_mean");
  TANGO_CHECK(heads >= 1 && x.ndim() == 2 && out.ndim() == 2 && x.rows() == out.rows() &&
                  x.cols() == heads * out.cols(),
              "head_mean: {} heads of {} into {}", heads, x.str(), out.str());
  if (x.device().is_cpu())
    return cpu::head_mean(x.data<float>(), x.rows(), heads, out.cols(), out.data<float>());
#ifdef TANGO_HAVE_CUDA
  cuda::head_mean(x.data<float>(), x.rows(), heads, out.cols(), out.data<float>(), x.device());
#else
  fail_no_cuda("head_mean", x);
#endif
}

void head_mean_backward(const Tensor& dy, int64_t heads, Tensor& dx) {
  check_f32(dy, "head_mean_backward dy");
  check_f32(dx, "head_mean_backward dx");
  check_same_device(dy, dx, "head_mean_backward");
  TANGO_CHECK(heads >= 1 && dy.ndim() == 2 && dx.ndim() == 2 && dy.rows() == dx.rows() &&
                  dx.cols() == heads * dy.cols(),
              "head_mean_backward: {} heads of {} into {}", heads, dy.str(), dx.str());
  if (dy.device().is_cpu())
    return cpu::head_mean_backward(dy.data<float>(), dy.rows(), heads, dy.cols(), dx.data<float>());
#ifdef TANGO_HAVE_CUDA
  cuda::head_mean_backward(dy.data<float>(), dy.rows(), heads, dy.cols(), dx.data<float>(), dy.device());
#else
  fail_no_cuda("head_mean_backward", dy);
#endif
}

}  // namespace tango::kernels
