// Dispatch for the masked loss and accuracy: checks, then the CPU or CUDA backend. The CPU backend's
// results are written into the scalars slot here (host memory); the CUDA backend writes it on the device.
#include "kernels/masked_nll.h"

#include <bit>

#include "kernels/cpu/masked_nll.h"
#include "kernels/tensor_checks.h"
#ifdef TANGO_HAVE_CUDA
#include "kernels/cuda/masked_nll.h"
#endif

namespace tango::kernels {
namespace {

void check_inputs(const Tensor& logits, const Tensor& labels, const Tensor& mask, const Tensor& scalars,
                  int slot, const char* what) {
  check_f32(logits, what);
  TANGO_CHECK(logits.ndim() == 2 && logits.cols() > 0, "{}: expected f32 [rows, classes > 0], got {}", what,
              logits.str());
  check_dtype(labels, DType::kI32, "masked loss labels");
  check_dtype(mask, DType::kU8, "masked loss mask");
  check_dtype(scalars, DType::kI64, "masked loss scalars");
  check_same_device(logits, labels, what);
  check_same_device(logits, mask, what);
  check_same_device(logits, scalars, what);
  TANGO_CHECK(labels.numel() >= logits.rows() && mask.numel() >= logits.rows(),
              "{}: labels {} and mask {} do not cover {}", what, labels.str(), mask.str(), logits.str());
  TANGO_CHECK(slot >= 0 && slot < scalars.numel(), "{}: slot {} outside scalars {}", what, slot,
              scalars.str());
}

}  // namespace

double scalar_as_double(int64_t bits) {
  return std::bit_cast<double>(bits);
}

void masked_nll(const Tensor& logits, const Tensor& labels, const Tensor& mask, double normalizer,
                Tensor& grad, Tensor& scalars, int slot) {
  check_inputs(logits, labels, mask, scalars, slot, "masked_nll");
  check_f32(grad, "masked_nll grad");
  check_same_device(logits, grad, "masked_nll");
  TANGO_CHECK(grad.shape() == logits.shape(), "masked_nll: grad {} for logits {}", grad.str(), logits.str());
  if (logits.device().is_cpu()) {
    const double total = cpu::masked_nll(logits.data<float>(), labels.data<int32_t>(), mask.data<uint8_t>(),
                                         logits.rows(), logits.cols(), normalizer, grad.data<float>());
    scalars.data<int64_t>()[slot] = std::bit_cast<int64_t>(total);
    return;
  }
#ifdef TANGO_HAVE_CUDA
  cuda::masked_nll(logits.data<float>(), labels.data<int32_t>(), mask.data<uint8_t>(), logits.rows(),
                   logits.cols(), normalizer, grad.data<float>(),
                   reinterpret_cast<double*>(scalars.data<int64_t>() + slot), logits.device());
#else
  fail_no_cuda("masked_nll", logits);
#endif
}

void masked_correct(const Tensor& logits, const Tensor& labels, const Tensor& mask, Tensor& scalars,
                    int slot) {
  check_inputs(logits, labels, mask, scalars, slot, "masked_correct");
  if (logits.device().is_cpu()) {
    scalars.data<int64_t>()[slot] = cpu::masked_correct(logits.data<float>(), labels.data<int32_t>(),
                                                        mask.data<uint8_t>(), logits.rows(), logits.cols());
    return;
  }
#ifdef TANGO_HAVE_CUDA
  cuda::masked_correct(logits.data<float>(), labels.data<int32_t>(), mask.data<uint8_t>(), logits.rows(),
                       logits.cols(), scalars.data<int64_t>() + slot, logits.device());
#else
  fail_no_cuda("masked_correct", logits);
#endif
}

}  // namespace tango::kernels
