// Dispatch for the Adam / AdamW step: checks, bias corrections on the host (the step count is a host
// integer, so nothing syncs), then the CPU or CUDA backend.
#include "kernels/adam.h"

#include <cmath>

#include "kernels/cpu/adam.h"
#include "kernels/tensor_checks.h"
#ifdef TANGO_HAVE_CUDA
#include "kernels/cuda/adam.h"
#endif

namespace tango::kernels {

void adam_step(Tensor& param, const Tensor& grad, Tensor& m, Tensor& v, const AdamOptions& options,
               int64_t step) {
  for (const Tensor* t : {&grad, static_cast<const Tensor*>(&m), static_cast<const Tensor*>(&v)}) {
    check_f32(*t, "adam_step tensor");
    TANGO_CHECK(t->numel() == param.numel() && t->device() == param.device(),
                "adam_step: {} does not match the parameter {}", t->str(), param.str());
  }
  check_f32(param, "adam_step parameter");
  TANGO_CHECK_INPUT(step >= 1, "adam_step: step {} must count from 1", step);
  AdamCoefficients c{options.lr,
                     options.beta1,
                     options.beta2,
                     options.eps,
                     options.weight_decay,
                     static_cast<float>(1.0 - std::pow(double{options.beta1}, static_cast<double>(step))),
                     static_cast<float>(1.0 - std::pow(double{options.beta2}, static_cast<double>(step))),
                     options.decoupled_weight_decay};
  if (param.device().is_cpu())
    return cpu::adam_step(param.data<float>(), grad.data<float>(), m.data<float>(), v.data<float>(),
                          param.numel(), c);
#ifdef TANGO_HAVE_CUDA
  cuda::adam_step(param.data<float>(), grad.data<float>(), m.data<float>(), v.data<float>(), param.numel(), c,
                  param.device());
#else
  fail_no_cuda("adam_step", param);
#endif
}

}  // namespace tango::kernels
