// Dispatch for log-softmax + NLL: checks shapes, label/mask dtypes and devices, then the backend.
#include "kernels/softmax_nll.h"

#include "kernels/cpu/softmax_nll.h"
#include "kernels/tensor_checks.h"
#ifdef TANGO_HAVE_CUDA
#include "kernels/cuda/softmax_nll.h"
#endif

namespace tango::kernels {
namespace {

void check_labels_and_mask(const Tensor& probs, const Tensor& labels, const Tensor& mask, const char* what) {
  check_f32(probs, what);
  TANGO_CHECK(probs.ndim() == 2 && probs.cols() > 0, "{}: expected f32 [rows, classes > 0], got {}", what,
              probs.str());
  check_dtype(labels, DType::kI32, "softmax_nll labels");
  TANGO_CHECK(labels.numel() == probs.rows() && labels.device() == probs.device(),
              "{}: labels {} do not match {}", what, labels.str(), probs.str());
  if (mask.defined()) {
    check_dtype(mask, DType::kU8, "softmax_nll mask");
    TANGO_CHECK(mask.numel() == probs.rows() && mask.device() == probs.device(),
                "{}: mask {} does not match {}", what, mask.str(), probs.str());
  }
}

const uint8_t* mask_data(const Tensor& mask) {
  return mask.defined() ? mask.data<uint8_t>() : nullptr;
}

}  // namespace

void softmax_nll_forward(const Tensor& logits, const Tensor& labels, const Tensor& mask, Tensor& log_probs,
                         Tensor& stats) {
  check_labels_and_mask(logits, labels, mask, "softmax_nll_forward");
  check_f32(log_probs, "softmax_nll log_probs");
  check_f32(stats, "softmax_nll stats");
  TANGO_CHECK(log_probs.shape() == logits.shape() && log_probs.device() == logits.device(),
              "softmax_nll_forward: log_probs {} for logits {}", log_probs.str(), logits.str());
  TANGO_CHECK(stats.numel() == kNumSoftmaxNllStats && stats.device() == logits.device(),
              "softmax_nll_forward: stats {} must be f32[{}] on {}", stats.str(), int{kNumSoftmaxNllStats},
              logits.device().str());
  if (logits.device().is_cpu())
    return cpu::softmax_nll_forward(logits.data<float>(), labels.data<int32_t>(), mask_data(mask),
                                    logits.rows(), logits.cols(), log_probs.data<float>(),
                                    stats.data<float>());
#ifdef TANGO_HAVE_CUDA
  cuda::softmax_nll_forward(logits.data<float>(), labels.data<int32_t>(), mask_data(mask), logits.rows(),
                            logits.cols(), log_probs.data<float>(), stats.data<float>(), logits.device());
#else
  fail_no_cuda("softmax_nll_forward", logits);
#endif
}

void softmax_nll_backward(const Tensor& log_probs, const Tensor& labels, const Tensor& mask,
                          const Tensor& count, Tensor& dlogits) {
  check_labels_and_mask(log_probs, labels, mask, "softmax_nll_backward");
  check_f32(count, "softmax_nll count");
  check_f32(dlogits, "softmax_nll dlogits");
  TANGO_CHECK(count.numel() == 1 && count.device() == log_probs.device(),
              "softmax_nll_backward: count {} must be f32[1] on {}", count.str(), log_probs.device().str());
  TANGO_CHECK(dlogits.shape() == log_probs.shape() && dlogits.device() == log_probs.device(),
              "softmax_nll_backward: dlogits {} for {}", dlogits.str(), log_probs.str());
  if (log_probs.device().is_cpu())
    return cpu::softmax_nll_backward(log_probs.data<float>(), labels.data<int32_t>(), mask_data(mask),
                                     log_probs.rows(), log_probs.cols(), count.data<float>(),
                                     dlogits.data<float>());
#ifdef TANGO_HAVE_CUDA
  cuda::softmax_nll_backward(log_probs.data<float>(), labels.data<int32_t>(), mask_data(mask),
                             log_probs.rows(), log_probs.cols(), count.data<float>(), dlogits.data<float>(),
                             log_probs.device());
#else
  fail_no_cuda("softmax_nll_backward", log_probs);
#endif
}

}  // namespace tango::kernels
