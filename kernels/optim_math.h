// The Adam / AdamW update of one parameter, shared by the CPU and CUDA backends (TANGO_HD).
//   g' = g + wd * p                       (Adam: L2 folded into the gradient)
//   m  = b1 m + (1 - b1) g' ;  v = b2 v + (1 - b2) g'^2
//   p  = p - lr * wd * p                  (AdamW: decoupled decay, applied before the step)
//   p  = p - lr * (m / c1) / (sqrt(v / c2) + eps),   c1 = 1 - b1^t, c2 = 1 - b2^t
// Same formulas and order as torch.optim.Adam / AdamW.
#pragma once

#include <cmath>

#include "kernels/hd.h"

namespace tango::kernels {

struct AdamCoefficients {
  float lr, beta1, beta2, eps, weight_decay;
  float bias_correction1, bias_correction2;  // 1 - beta^t for the current step t >= 1
  bool decoupled_weight_decay;               // AdamW
};

TANGO_HD inline void adam_update(float& param, float grad, float& m, float& v, const AdamCoefficients& c) {
  if (!c.decoupled_weight_decay) grad += c.weight_decay * param;
  m = c.beta1 * m + (1.0f - c.beta1) * grad;
  v = c.beta2 * v + (1.0f - c.beta2) * grad * grad;
  if (c.decoupled_weight_decay) param -= c.lr * c.weight_decay * param;
  const float m_hat = m / c.bias_correction1;
  const float v_hat = v / c.bias_correction2;
  param -= c.lr * m_hat / (sqrtf(v_hat) + c.eps);
}

}  // namespace tango::kernels
