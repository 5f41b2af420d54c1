// Adam / AdamW step over one parameter tensor in FP32 (master weights and moments stay FP32, as in
// Tango). The per-element update is kernels/optim_math.h, shared by both backends.
#pragma once

#include <cstdint>

#include "core/tensor.h"

namespace tango::kernels {

struct AdamOptions {
  float lr = 1e-3f;
  float beta1 = 0.9f;
  float beta2 = 0.999f;
  float eps = 1e-8f;
  float weight_decay = 0.0f;
  bool decoupled_weight_decay = false;  // true: AdamW
};

// One step (step >= 1 counts from the first update) on param, m, v (all f32, same size and device).
void adam_step(Tensor& param, const Tensor& grad, Tensor& m, Tensor& v, const AdamOptions& options,
               int64_t step);

}  // namespace tango::kernels
