// Dispatch for the keyed dropouts: checks shapes, dtypes and devices, then the CPU or CUDA backend.
#include "kernels/keyed_dropout.h"

#include <algorithm>

#include "kernels/cpu/keyed_dropout.h"
#include "kernels/quant_math.h"
#include "kernels/tensor_checks.h"
#ifdef TANGO_HAVE_CUDA
#include "kernels/cuda/keyed_dropout.h"
#endif

namespace tango::kernels {
namespace {

void check_p(float p, const char* what) {
  TANGO_CHECK_INPUT(p >= 0.0f && p < 1.0f, "{}: dropout probability {} is outside [0, 1)", what, p);
}

// The row dropouts' operands: f32 `x` [rows, cols] and what they write beside it, `out_u8` (a mask or
// codes, x's size), keyed by i64 `global_ids` (one per row), all on x's device. Returns x's matrix view.
MatrixView check_row_dropout(const Tensor& x, const Tensor& out_u8, const Tensor& global_ids, float p,
                             const char* what) {
  check_p(p, what);
  check_f32(x, what);
  check_dtype(out_u8, DType::kU8, what);
  check_dtype(global_ids, DType::kI64, what);
  check_same_device(x, out_u8, what);
  check_same_device(x, global_ids, what);
  const MatrixView v = matrix_view(x);
  TANGO_CHECK(out_u8.numel() == x.numel(), "{}: {} with {}", what, x.str(), out_u8.str());
  TANGO_CHECK(global_ids.numel() >= v.rows, "{} needs a global id for each of {} rows, got {}", what, v.rows,
              global_ids.numel());
  return v;
}

}  // namespace

void keyed_dropout(const Tensor& x, Tensor& y, Tensor& mask, const Tensor& global_ids,
                   const KeyedDropoutOptions& options) {
  const MatrixView v = check_row_dropout(x, mask, global_ids, options.p, "keyed_dropout");
  check_f32(y, "keyed_dropout output");
  check_same_device(x, y, "keyed_dropout");
  TANGO_CHECK(y.numel() == x.numel(), "keyed_dropout: {} -> {}", x.str(), y.str());
  const uint64_t key = stream_key(options.seed, options.stream);
  if (x.device().is_cpu())
    return cpu::keyed_dropout(x.data<float>(), v.rows, v.cols, global_ids.data<int64_t>(), options.p, key,
                              y.data<float>(), mask.data<uint8_t>());
#ifdef TANGO_HAVE_CUDA
  cuda::keyed_dropout(x.data<float>(), v.rows, v.cols, global_ids.data<int64_t>(), options.p, key,
                      y.data<float>(), mask.data<uint8_t>(), x.device());
#else
  fail_no_cuda("keyed_dropout", x);
#endif
}

void keyed_edge_dropout(const CsrIndex& csr, const Tensor& global_ids, int64_t num_global_nodes,
                        Tensor& values, Tensor& mask, const KeyedDropoutOptions& options, int64_t first_row) {
  check_p(options.p, "keyed_edge_dropout");
  check_f32(values, "keyed_edge_dropout values");
  check_dtype(mask, DType::kU8, "keyed_edge_dropout mask");
  check_dtype(global_ids, DType::kI64, "keyed_edge_dropout global ids");
  check_same_device(values, mask, "keyed_edge_dropout");
  check_same_device(values, global_ids, "keyed_edge_dropout");
  check_same_device(values, csr.indptr, "keyed_edge_dropout");
  TANGO_CHECK(values.ndim() == 2 && values.rows() == csr.num_entries() && mask.numel() == values.numel(),
              "keyed_edge_dropout: values {} and mask {} for a CSR of {} entries", values.str(), mask.str(),
              csr.num_entries());
  TANGO_CHECK(first_row >= 0 && global_ids.numel() >= std::max(first_row + csr.num_rows, csr.num_cols),
              "keyed_edge_dropout needs a global id for each of {} nodes, got {}",
              std::max(first_row + csr.num_rows, csr.num_cols), global_ids.numel());
  const int64_t* row_ids = global_ids.data<int64_t>() + first_row;
  const uint64_t key = stream_key(options.seed, options.stream);
  if (values.device().is_cpu())
    return cpu::keyed_edge_dropout(csr.indptr.data<int64_t>(), csr.indices.data<int32_t>(), csr.num_rows,
                                   row_ids, global_ids.data<int64_t>(), num_global_nodes, values.cols(),
                                   options.p, key, values.data<float>(), mask.data<uint8_t>());
#ifdef TANGO_HAVE_CUDA
  cuda::keyed_edge_dropout(csr.indptr.data<int64_t>(), csr.indices.data<int32_t>(), csr.num_rows, row_ids,
                           global_ids.data<int64_t>(), num_global_nodes, values.cols(), options.p, key,
                           values.data<float>(), mask.data<uint8_t>(), values.device());
#else
  fail_no_cuda("keyed_edge_dropout", values);
#endif
}

void masked_dropout_backward(const Tensor& dy, const Tensor& mask, float p, Tensor& dx) {
  check_p(p, "masked_dropout_backward");
  check_f32(dy, "masked_dropout_backward dy");
  check_f32(dx, "masked_dropout_backward dx");
  check_dtype(mask, DType::kU8, "masked_dropout_backward mask");
  check_same_device(dy, dx, "masked_dropout_backward");
  check_same_device(dy, mask, "masked_dropout_backward");
  TANGO_CHECK(dx.numel() == dy.numel() && mask.numel() == dy.numel(),
              "masked_dropout_backward: {} -> {} with mask {}", dy.str(), dx.str(), mask.str());
  if (dy.device().is_cpu())
    return cpu::masked_dropout_backward(dy.data<float>(), mask.data<uint8_t>(), dy.numel(), p,
                                        dx.data<float>());
#ifdef TANGO_HAVE_CUDA
  cuda::masked_dropout_backward(dy.data<float>(), mask.data<uint8_t>(), dy.numel(), p, dx.data<float>(),
                                dy.device());
#else
  fail_no_cuda("masked_dropout_backward", dy);
#endif
}

void activation_dropout_codes(Tensor& y, Tensor& codes, const Tensor& global_ids,
                              const ActivationOptions& activation, const KeyedDropoutOptions& options) {
  const MatrixView v = check_row_dropout(y, codes, global_ids, options.p, "activation_dropout_codes");
  TANGO_CHECK(activation.kind == Activation::kRelu || activation.kind == Activation::kIdentity ||
                  (activation.alpha >= 0.0f && activation.alpha <= 1.0f),
              "activation_dropout_codes: alpha {} puts the derivative outside [0, 1]", activation.alpha);
  const uint64_t key = stream_key(options.seed, options.stream);
  if (y.device().is_cpu())
    return cpu::activation_dropout_codes(y.data<float>(), v.rows, v.cols, global_ids.data<int64_t>(),
                                         options.p, key, activation, codes.data<uint8_t>());
#ifdef TANGO_HAVE_CUDA
  cuda::activation_dropout_codes(y.data<float>(), v.rows, v.cols, global_ids.data<int64_t>(), options.p, key,
                                 activation, codes.data<uint8_t>(), y.device());
#else
  fail_no_cuda("activation_dropout_codes", y);
#endif
}

}  // namespace tango::kernels
