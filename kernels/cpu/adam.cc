#include "kernels/cpu/adam.h"

namespace tango::kernels::cpu {

void adam_step(float* param, const float* grad, float* m, float* v, int64_t n, const AdamCoefficients& c) {
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) adam_update(param[i], grad[i], m[i], v[i], c);
}

}  // namespace tango::kernels::cpu
