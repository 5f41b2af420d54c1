// The one CUDA stream per device that all of Tango's device work is ordered on: kernels, cuBLAS and
// cuSPARSE (kernels/cuda/cuda_context.h binds its handles to it), Tensor copies and fills, and the
// caching allocator's reuse of freed blocks (core/allocator.h). It lives in core so that Tensor can
// order its copies on it without knowing about kernels. Non-blocking: the legacy default stream does
// not wait for it, nor it for the legacy stream. Only compiled with the CUDA backend.
#pragma once

#include <cuda_runtime_api.h>

#include "core/device.h"

namespace tango {

// The stream of `device` (a CUDA device), created on first use and kept for the life of the process.
cudaStream_t cuda_stream(Device device);

}  // namespace tango
