// Error checks and per-device handles for .cu files, without fmt: nvcc cannot compile fmt's consteval
// format strings, so .cu files include this instead of core/check_cuda.h / core/tensor.h. The
// functions are defined in cuda_check.cc (host compiler), which turns failures into tango::Error.
#pragma once

#include <cuda_runtime_api.h>

#include "core/device.h"

namespace tango::kernels::cuda {

[[noreturn]] void fail_cuda_call(const char* call, cudaError_t code, const char* file, int line);
// The stream of `device`'s CudaContext (made current) and its SM count, for launches.
cudaStream_t stream_for(Device device);
int sm_count(Device device);

}  // namespace tango::kernels::cuda

#define TANGO_CU_CHECK(call)                                                           \
  do {                                                                                 \
    cudaError_t tango_cu_rc_ = (call);                                                 \
    if (tango_cu_rc_ != cudaSuccess) [[unlikely]]                                      \
      ::tango::kernels::cuda::fail_cuda_call(#call, tango_cu_rc_, __FILE__, __LINE__); \
  } while (0)
