#include "kernels/cuda/cuda_context.h"

#include <memory>
#include <mutex>
#include <vector>

#include "core/check_cuda.h"
#include "core/cuda/stream.h"

namespace tango::kernels::cuda {

CudaContext& CudaContext::get(Device device) {
  TANGO_CHECK(device.is_cuda(), "CudaContext for {}", device.str());
  static std::mutex mutex;
  static std::vector<std::unique_ptr<CudaContext>> contexts;
  std::lock_guard lock(mutex);
  if (contexts.size() <= static_cast<size_t>(device.ordinal)) contexts.resize(device.ordinal + 1);
  auto& slot = contexts[device.ordinal];
  if (!slot) slot.reset(new CudaContext(device.ordinal));
  TANGO_CUDA_CHECK(cudaSetDevice(device.ordinal));
  return *slot;
}

CudaContext::CudaContext(int ordinal) : ordinal_(ordinal) {
  TANGO_CUDA_CHECK(cudaSetDevice(ordinal));
  // Core's stream, so that Tensor copies and the allocator's block reuse are ordered with the kernels.
  stream_ = cuda_stream(Device::cuda(ordinal));
  TANGO_CUBLAS_CHECK(cublasCreate(&cublas_));
  TANGO_CUBLAS_CHECK(cublasSetStream(cublas_, stream_));
  // FP32 GEMMs stay FP32 unless a caller asks for TF32 explicitly.
  TANGO_CUBLAS_CHECK(cublasSetMathMode(cublas_, CUBLAS_DEFAULT_MATH));
  TANGO_CUBLAS_CHECK(cublasLtCreate(&cublas_lt_));
  TANGO_CUSPARSE_CHECK(cusparseCreate(&cusparse_));
  TANGO_CUSPARSE_CHECK(cusparseSetStream(cusparse_, stream_));
}

void* CudaContext::workspace(size_t bytes) {
  if (!workspace_.defined() || workspace_.nbytes() < bytes)
    workspace_ = Tensor::empty(DType::kU8, Shape::vec(static_cast<int64_t>(bytes)), Device::cuda(ordinal_));
  return workspace_.raw_data();
}

void CudaContext::synchronize() const {
  TANGO_CUDA_CHECK(cudaStreamSynchronize(stream_));
}

}  // namespace tango::kernels::cuda
