// Check macros for the CUDA runtime, cuBLAS(Lt), cuSPARSE and NCCL. Only CUDA-enabled code
// includes this header. Each failure becomes a tango::Error naming the call and the library's text.
#pragma once

#include <cublasLt.h>
#include <cublas_v2.h>
#include <cuda_runtime_api.h>
#include <cusparse.h>
#include <nccl.h>

#include "core/error.h"

#define TANGO_CUDA_CHECK(call)                                                              \
  do {                                                                                      \
    cudaError_t tango_cuda_rc_ = (call);                                                    \
    if (tango_cuda_rc_ != cudaSuccess) [[unlikely]]                                         \
      TANGO_FAIL("CUDA call {} failed: {} ({})", #call, cudaGetErrorString(tango_cuda_rc_), \
                 cudaGetErrorName(tango_cuda_rc_));                                         \
  } while (0)

#define TANGO_CUBLAS_CHECK(call)                                                               \
  do {                                                                                         \
    cublasStatus_t tango_cublas_rc_ = (call);                                                  \
    if (tango_cublas_rc_ != CUBLAS_STATUS_SUCCESS) [[unlikely]]                                \
      TANGO_FAIL("cuBLAS call {} failed: {}", #call, cublasGetStatusString(tango_cublas_rc_)); \
  } while (0)

#define TANGO_CUSPARSE_CHECK(call)                                                                  \
  do {                                                                                              \
    cusparseStatus_t tango_cusparse_rc_ = (call);                                                   \
    if (tango_cusparse_rc_ != CUSPARSE_STATUS_SUCCESS) [[unlikely]]                                 \
      TANGO_FAIL("cuSPARSE call {} failed: {}", #call, cusparseGetErrorString(tango_cusparse_rc_)); \
  } while (0)

#define TANGO_NCCL_CHECK(call)                                                          \
  do {                                                                                  \
    ncclResult_t tango_nccl_rc_ = (call);                                               \
    if (tango_nccl_rc_ != ncclSuccess && tango_nccl_rc_ != ncclInProgress) [[unlikely]] \
      TANGO_FAIL("NCCL call {} failed: {}", #call, ncclGetErrorString(tango_nccl_rc_)); \
  } while (0)
