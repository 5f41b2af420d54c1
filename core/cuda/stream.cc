#include "core/cuda/stream.h"

#include <mutex>
#include <vector>

#include "core/check_cuda.h"

namespace tango {

cudaStream_t cuda_stream(Device device) {
  TANGO_CHECK(device.is_cuda(), "cuda_stream of {}", device.str());
  static std::mutex mutex;
  // Never destroyed: tensors freed during static destruction may still queue work on it, and
  // destroying a stream after the CUDA runtime shut down fails.
  static std::vector<cudaStream_t> streams;
  std::lock_guard lock(mutex);
  if (streams.size() <= static_cast<size_t>(device.ordinal)) streams.resize(device.ordinal + 1, nullptr);
  cudaStream_t& stream = streams[device.ordinal];
  if (stream == nullptr) {
    TANGO_CUDA_CHECK(cudaSetDevice(device.ordinal));
    TANGO_CUDA_CHECK(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
  }
  return stream;
}

}  // namespace tango
