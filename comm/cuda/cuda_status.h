// Turns a CUDA status into a tango::Error from .cu files. nvcc cannot compile fmt's consteval
// format-string checks, so .cu files call this (compiled by the host compiler) instead of
// TANGO_CUDA_CHECK.
#pragma once

#include <cuda_runtime_api.h>

namespace tango::comm::cuda {

void throw_if_cuda_error(cudaError_t status, const char* what);

}  // namespace tango::comm::cuda
