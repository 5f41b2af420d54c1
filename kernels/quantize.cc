// Dispatch for the quantization primitives: checks shapes, dtypes and devices, then calls the CPU or
// the CUDA backend.
#include "kernels/quantize.h"

#include "kernels/cpu/quantize.h"
#include "kernels/quant_math.h"
#include "kernels/tensor_checks.h"
#ifdef TANGO_HAVE_CUDA
#include "kernels/cuda/quantize.h"
#endif

namespace tango::kernels {

int format_qmax(QuantFormat format) {
  switch (format) {
    case QuantFormat::kInt8: return kQmaxInt8;
    case QuantFormat::kUint8: return kQmaxUint8;
    case QuantFormat::kInt4: return kQmaxInt4;
    case QuantFormat::kInt2: return kQmaxInt2;
  }
  TANGO_FAIL("unknown QuantFormat {}", static_cast<int>(format));
}

int format_bits(QuantFormat format) {
  switch (format) {
    case QuantFormat::kInt8:
    case QuantFormat::kUint8: return 8;
    case QuantFormat::kInt4: return 4;
    case QuantFormat::kInt2: return 2;
  }
  TANGO_FAIL("unknown QuantFormat {}", static_cast<int>(format));
}

DType format_dtype(QuantFormat format) {
  return format == QuantFormat::kInt8 ? DType::kI8 : DType::kU8;
}

Shape quantized_values_shape(int64_t rows, int64_t cols, QuantFormat format) {
  return Shape::mat(rows, packed_row_bytes(cols, format_bits(format)));
}

QTensor make_qtensor(int64_t rows, int64_t cols, const QuantizeOptions& options, Device device) {
  int64_t num_scales = options.granularity == ScaleGranularity::kPerRow ? rows : 1;
  return QTensor{
      Tensor::empty(format_dtype(options.format), quantized_values_shape(rows, cols, options.format), device),
      Tensor::empty(DType::kF32, Shape::vec(num_scales), device)};
}

namespace {

// Checks q's values and scales against an f32 input of `view`'s shape under `options`.
void check_qtensor(const QTensor& q, const MatrixView& view, const QuantizeOptions& options, Device device,
                   const char* what) {
  Shape want = quantized_values_shape(view.rows, view.cols, options.format);
  TANGO_CHECK(q.values.defined() && q.values.dtype() == format_dtype(options.format) &&
                  q.values.numel() == want.numel() && q.values.device() == device,
              "{}: values are {}, expected {}{} on {}", what,
              q.values.defined() ? q.values.str() : "undefined", dtype_name(format_dtype(options.format)),
              want.str(), device.str());
  int64_t num_scales = options.granularity == ScaleGranularity::kPerRow ? view.rows : 1;
  TANGO_CHECK(q.scales.defined() && q.scales.dtype() == DType::kF32 && q.scales.numel() == num_scales &&
                  q.scales.device() == device,
              "{}: scales are {}, expected f32[{}] on {}", what,
              q.scales.defined() ? q.scales.str() : "undefined", num_scales, device.str());
}

}  // namespace

void amax(const Tensor& x, Tensor& out) {
  check_f32(x, "amax input");
  check_f32(out, "amax output");
  check_same_device(x, out, "amax");
  TANGO_CHECK(out.numel() == 1, "amax output must hold 1 value, got {}", out.str());
  if (x.device().is_cpu()) {
    out.data<float>()[0] = cpu::amax(x.data<float>(), x.numel());
    return;
  }
#ifdef TANGO_HAVE_CUDA
  cuda::amax(x.data<float>(), x.numel(), out.data<float>(), x.device());
#else
  fail_no_cuda("amax", x);
#endif
}

void amax_rows(const Tensor& x, Tensor& out) {
  check_f32(x, "amax_rows input");
  check_f32(out, "amax_rows output");
  check_same_device(x, out, "amax_rows");
  MatrixView v = matrix_view(x);
  TANGO_CHECK(out.numel() == v.rows, "amax_rows output must hold {} values, got {}", v.rows, out.str());
  if (x.device().is_cpu()) {
    cpu::amax_rows(x.data<float>(), v.rows, v.cols, out.data<float>());
    return;
  }
#ifdef TANGO_HAVE_CUDA
  cuda::amax_rows(x.data<float>(), v.rows, v.cols, out.data<float>(), x.device());
#else
  fail_no_cuda("amax_rows", x);
#endif
}

void quantize(const Tensor& x, QTensor& out, const QuantizeOptions& options) {
  check_f32(x, "quantize input");
  MatrixView v = matrix_view(x);
  bool per_row = options.granularity == ScaleGranularity::kPerRow;
  // The amax lands in the scales buffer and is turned into scales in place by quantize_from_amax.
  check_qtensor(out, v, options, x.device(), "quantize output");
  if (per_row)
    amax_rows(x, out.scales);
  else
    amax(x, out.scales);
  quantize_from_amax(x, out.scales, out, options);
}

void quantize_from_amax(const Tensor& x, const Tensor& amax, QTensor& out, const QuantizeOptions& options) {
  check_f32(x, "quantize input");
  check_f32(amax, "quantize amax");
  MatrixView v = matrix_view(x);
  check_qtensor(out, v, options, x.device(), "quantize output");
  check_same_device(x, amax, "quantize amax");
  int64_t num_scales = options.granularity == ScaleGranularity::kPerRow ? v.rows : 1;
  TANGO_CHECK(amax.numel() == num_scales, "quantize: amax is {}, expected f32[{}]", amax.str(), num_scales);
  if (x.device().is_cpu()) {
    cpu::quantize_from_amax(x.data<float>(), v.rows, v.cols, amax.data<float>(), options,
                            out.values.raw_data(), out.scales.data<float>());
    return;
  }
#ifdef TANGO_HAVE_CUDA
  cuda::quantize_from_amax(x.data<float>(), v.rows, v.cols, amax.data<float>(), options,
                           out.values.raw_data(), out.scales.data<float>(), x.device());
#else
  fail_no_cuda("quantize", x);
#endif
}

void dequantize(const QTensor& q, Tensor& out, const QuantizeOptions& options) {
  check_f32(out, "dequantize output");
  MatrixView v = matrix_view(out);
  check_qtensor(q, v, options, out.device(), "dequantize input");
  if (out.device().is_cpu()) {
    cpu::dequantize(q.values.raw_data(), q.scales.data<float>(), v.rows, v.cols, options, out.data<float>());
    return;
  }
#ifdef TANGO_HAVE_CUDA
  cuda::dequantize(q.values.raw_data(), q.scales.data<float>(), v.rows, v.cols, options, out.data<float>(),
                   out.device());
#else
  fail_no_cuda("dequantize", out);
#endif
}

void cast_to_bf16(const Tensor& x, Tensor& out) {
  check_f32(x, "cast_to_bf16 input");
  check_same_device(x, out, "cast_to_bf16");
  TANGO_CHECK(out.dtype() == DType::kBF16 && out.numel() == x.numel(), "cast_to_bf16: output {} for input {}",
              out.str(), x.str());
  auto* dst = reinterpret_cast<uint16_t*>(out.data<bf16>());
  if (x.device().is_cpu()) {
    cpu::cast_to_bf16(x.data<float>(), x.numel(), dst);
    return;
  }
#ifdef TANGO_HAVE_CUDA
  cuda::cast_to_bf16(x.data<float>(), x.numel(), dst, x.device());
#else
  fail_no_cuda("cast_to_bf16", x);
#endif
}

void cast_from_bf16(const Tensor& x, Tensor& out) {
  check_f32(out, "cast_from_bf16 output");
  check_same_device(x, out, "cast_from_bf16");
  TANGO_CHECK(x.dtype() == DType::kBF16 && out.numel() == x.numel(), "cast_from_bf16: input {} for output {}",
              x.str(), out.str());
  auto* src = reinterpret_cast<const uint16_t*>(x.data<bf16>());
  if (x.device().is_cpu()) {
    cpu::cast_from_bf16(src, x.numel(), out.data<float>());
    return;
  }
#ifdef TANGO_HAVE_CUDA
  cuda::cast_from_bf16(src, x.numel(), out.data<float>(), x.device());
#else
  fail_no_cuda("cast_from_bf16", x);
#endif
}

}  // namespace tango::kernels
