#include "comm/cuda/cuda_status.h"

#include "core/error.h"

namespace tango::comm::cuda {

void throw_if_cuda_error(cudaError_t status, const char* what) {
  if (status != cudaSuccess)
    TANGO_FAIL("CUDA call {} failed: {} ({})", what, cudaGetErrorString(status), cudaGetErrorName(status));
}

}  // namespace tango::comm::cuda
