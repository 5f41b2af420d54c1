#include "kernels/cpu_threads.h"

#include <cblas.h>
#include <omp.h>

#include "core/env.h"
#include "core/error.h"

namespace tango::kernels {

int configure_cpu_threads() {
  const int64_t requested = env_int("TANGO_NUM_THREADS");
  TANGO_CHECK_INPUT(
      requested >= 0 && requested <= 65536,
      "TANGO_NUM_THREADS={} is not a thread count: give 0 (OpenMP's default) or a positive number",
      requested);
  if (requested > 0) omp_set_num_threads(static_cast<int>(requested));
  const int threads = omp_get_max_threads();
  openblas_set_num_threads(threads);
  return threads;
}

}  // namespace tango::kernels
