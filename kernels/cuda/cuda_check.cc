#include "kernels/cuda/cuda_check.cuh"

#include <mutex>
#include <vector>

#include "core/check_cuda.h"
#include "kernels/cuda/cuda_context.h"

namespace tango::kernels::cuda {

void fail_cuda_call(const char* call, cudaError_t code, const char* file, int line) {
  detail::fail(
      ErrorKind::kRuntime, file, line,
      fmt::format("CUDA call {} failed: {} ({})", call, cudaGetErrorString(code), cudaGetErrorName(code)));
}

cudaStream_t stream_for(Device device) {
  return CudaContext::get(device).stream();
}

int sm_count(Device device) {
  static std::mutex mutex;
  static std::vector<int> counts;
  std::lock_guard lock(mutex);
  if (counts.size() <= static_cast<size_t>(device.ordinal)) counts.resize(device.ordinal + 1, 0);
  int& count = counts[device.ordinal];
  if (count == 0)
    TANGO_CUDA_CHECK(cudaDeviceGetAttribute(&count, cudaDevAttrMultiProcessorCount, device.ordinal));
  return count;
}

}  // namespace tango::kernels::cuda
