// Dispatch for gemm / qgemm: checks shapes, dtypes, scales and devices, then calls the CPU or CUDA
// backend.
#include "kernels/gemm.h"

#include <algorithm>

#include "kernels/cpu/gemm.h"
#include "kernels/cpu/int8_gemm_exact.h"
#include "kernels/quant_math.h"
#include "kernels/tensor_checks.h"
#ifdef TANGO_HAVE_CUDA
#include "kernels/cuda/gemm.h"
#endif

namespace tango::kernels {
namespace {

// Shape of op(a) . op(b) from the stored 2-D shapes; fails naming both when the inner sizes differ.
cpu::GemmShape product_shape(const Tensor& a, const Tensor& b, bool transpose_a, bool transpose_b,
                             const char* what) {
  TANGO_CHECK(a.ndim() == 2 && b.ndim() == 2, "{}: operands must be 2-D, got {} and {}", what, a.str(),
              b.str());
  int64_t m = transpose_a ? a.cols() : a.rows(), k = transpose_a ? a.rows() : a.cols();
  int64_t kb = transpose_b ? b.cols() : b.rows(), n = transpose_b ? b.rows() : b.cols();
  TANGO_CHECK(k == kb, "{}: inner sizes differ: op(a) is {}x{} ({}{}), op(b) is {}x{} ({}{})", what, m, k,
              a.str(), transpose_a ? " transposed" : "", kb, n, b.str(), transpose_b ? " transposed" : "");
  return {m, n, k, transpose_a, transpose_b};
}

void check_output(const Tensor& out, const Tensor& bias, const cpu::GemmShape& s, Device device,
                  const char* what) {
  check_f32(out, what);
  TANGO_CHECK(out.ndim() == 2 && out.rows() == s.m && out.cols() == s.n && out.device() == device,
              "{}: output is {}, expected f32[{}, {}] on {}", what, out.str(), s.m, s.n, device.str());
  if (bias.defined()) {
    check_f32(bias, "gemm bias");
    TANGO_CHECK(bias.numel() == s.n && bias.device() == device, "{}: bias is {}, expected f32[{}] on {}",
                what, bias.str(), s.n, device.str());
  }
}

}  // namespace

void gemm(const Tensor& a, const Tensor& b, Tensor& out, const GemmOptions& options, const Tensor& bias) {
  check_f32(a, "gemm a");
  check_f32(b, "gemm b");
  check_same_device(a, b, "gemm");
  cpu::GemmShape s = product_shape(a, b, options.transpose_a, options.transpose_b, "gemm");
  check_output(out, bias, s, a.device(), "gemm output");
  const float* bias_ptr = bias.defined() ? bias.data<float>() : nullptr;
  if (a.device().is_cpu()) {
    cpu::sgemm(s, a.data<float>(), b.data<float>(), bias_ptr, out.data<float>());
    return;
  }
#ifdef TANGO_HAVE_CUDA
  cuda::sgemm(s, a.data<float>(), b.data<float>(), bias_ptr, options.allow_tf32, out.data<float>(),
              a.device());
#else
  fail_no_cuda("gemm", a);
#endif
}

void qgemm(const QTensor& qa, const QTensor& qb, Tensor& out, const QGemmOptions& options, const Tensor& bias,
           Tensor* out_amax) {
  const Device device = qa.values.device();
  TANGO_CHECK(qa.values.defined() && (qa.values.dtype() == DType::kI8 || qa.values.dtype() == DType::kU8),
              "qgemm a must hold i8 or u8 codes, got {}",
              qa.values.defined() ? qa.values.str() : "undefined");
  check_dtype(qb.values, DType::kI8, "qgemm b codes");
  check_same_device(qa.values, qb.values, "qgemm");
  cpu::GemmShape s = product_shape(qa.values, qb.values, options.transpose_a, options.transpose_b, "qgemm");
  check_output(out, bias, s, device, "qgemm output");
  check_f32(qa.scales, "qgemm a scales");
  check_f32(qb.scales, "qgemm b scales");
  const bool a_per_row = qa.scales.numel() != 1;
  TANGO_CHECK(!a_per_row || (qa.scales.numel() == s.m && !options.transpose_a),
              "qgemm: a's scales are {}: expected one scale, or one per row of a non-transposed a ({} rows)",
              qa.scales.str(), s.m);
  const int64_t block = options.b_scale_block_rows;
  if (block == 0) {
    TANGO_CHECK(qb.scales.numel() == 1, "qgemm: b needs one scale per tensor, got {}", qb.scales.str());
  } else {
    TANGO_CHECK(
        block > 0 && block <= kMaxInt32ReductionLength && !options.transpose_b && !a_per_row &&
            qb.scales.numel() == std::max<int64_t>(1, (s.k + block - 1) / block),
        "qgemm: b's scales {} per block of {} of its {} rows need b not transposed, blocks of 1 to {} "
        "rows, one scale per block and one scale for a (a's: {})",
        qb.scales.str(), block, s.k, kMaxInt32ReductionLength, qa.scales.str());
  }
  TANGO_CHECK(qa.scales.device() == device && qb.scales.device() == device,
              "qgemm: scales {} and {} not on {}", qa.scales.str(), qb.scales.str(), device.str());
  if (out_amax) {
    check_f32(*out_amax, "qgemm out_amax");
    TANGO_CHECK(out_amax->numel() == 1 && out_amax->device() == device,
                "qgemm: out_amax is {}, expected f32[1] on {}", out_amax->str(), device.str());
  }
  const bool a_unsigned = qa.values.dtype() == DType::kU8;
  const float* bias_ptr = bias.defined() ? bias.data<float>() : nullptr;
  if (device.is_cpu()) {
    float m = cpu::qgemm(s, qa.values.raw_data(), a_unsigned, qb.values.data<int8_t>(),
                         qa.scales.data<float>(), a_per_row, qb.scales.data<float>(), block, bias_ptr,
                         options.cpu_int8_path, out.data<float>());
    if (out_amax) out_amax->data<float>()[0] = m;
    return;
  }
#ifdef TANGO_HAVE_CUDA
  TANGO_CHECK_INPUT(!a_unsigned,
                    "qgemm on {}: INT8 tensor cores take signed codes; quantize a as kInt8 on the GPU",
                    device.str());
  cuda::qgemm(s, qa.values.data<int8_t>(), qb.values.data<int8_t>(), qa.scales.data<float>(), a_per_row,
              qb.scales.data<float>(), block, bias_ptr, out.data<float>(),
              out_amax ? out_amax->data<float>() : nullptr, device);
#else
  fail_no_cuda("qgemm", qa.values);
#endif
}

CpuInt8Gemm cpu_int8_gemm() {
  return cpu::onednn_int8_is_exact() ? CpuInt8Gemm::kNative : CpuInt8Gemm::kExactFp32;
}

const char* cpu_int8_gemm_name(CpuInt8Gemm kind) {
  return kind == CpuInt8Gemm::kNative ? "native" : "exact-fp32";
}

}  // namespace tango::kernels
