// Per-device CUDA state the kernels share: the device's stream (core/cuda/stream.h) and the cuBLAS,
// cuBLASLt and cuSPARSE handles bound to it, plus a growable workspace. Created lazily, one per device
// ordinal, per process. Only compiled with the CUDA backend.
#pragma once

#include <cublasLt.h>
#include <cublas_v2.h>
#include <cuda_runtime_api.h>
#include <cusparse.h>

#include <cstddef>

#include "core/tensor.h"

namespace tango::kernels::cuda {

class CudaContext {
 public:
  // The context of `device` (a CUDA device); makes it the current device.
  static CudaContext& get(Device device);

  cudaStream_t stream() const { return stream_; }
  cublasHandle_t cublas() const { return cublas_; }
  cublasLtHandle_t cublas_lt() const { return cublas_lt_; }
  cusparseHandle_t cusparse() const { return cusparse_; }
  // A device buffer of at least `bytes`, reused across calls on this stream.
  void* workspace(size_t bytes);
  void synchronize() const;

  CudaContext(const CudaContext&) = delete;
  CudaContext& operator=(const CudaContext&) = delete;

 private:
  explicit CudaContext(int ordinal);
  int ordinal_;
  cudaStream_t stream_ = nullptr;
  cublasHandle_t cublas_ = nullptr;
  cublasLtHandle_t cublas_lt_ = nullptr;
  cusparseHandle_t cusparse_ = nullptr;
  Tensor workspace_;
};

}  // namespace tango::kernels::cuda
