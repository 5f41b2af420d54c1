#include "core/device_timer.h"

#include <utility>

#ifdef TANGO_HAVE_CUDA
#include "core/check_cuda.h"
#include "core/cuda/stream.h"
#endif

namespace tango {

DeviceTimer::~DeviceTimer() {
  release();
}

DeviceTimer::DeviceTimer(DeviceTimer&& other) noexcept {
  *this = std::move(other);
}

DeviceTimer& DeviceTimer::operator=(DeviceTimer&& other) noexcept {
  if (this == &other) return *this;
  release();
  device_ = other.device_;
  started_ = other.started_;
  running_ = other.running_;
  host_ = other.host_;
  host_seconds_ = other.host_seconds_;
  begin_ = std::exchange(other.begin_, nullptr);
  end_ = std::exchange(other.end_, nullptr);
  return *this;
}

void DeviceTimer::release() {
#ifdef TANGO_HAVE_CUDA
  if (begin_ != nullptr) cudaEventDestroy(static_cast<cudaEvent_t>(begin_));
  if (end_ != nullptr) cudaEventDestroy(static_cast<cudaEvent_t>(end_));
#endif
  begin_ = end_ = nullptr;
}

void DeviceTimer::start(Device device) {
#ifdef TANGO_HAVE_CUDA
  if (device.is_cuda()) {
    if (begin_ == nullptr || device != device_) {
      release();
      TANGO_CUDA_CHECK(cudaSetDevice(device.ordinal));
      cudaEvent_t begin, end;
      TANGO_CUDA_CHECK(cudaEventCreate(&begin));
      TANGO_CUDA_CHECK(cudaEventCreate(&end));
      begin_ = begin;
      end_ = end;
    }
    TANGO_CUDA_CHECK(cudaEventRecord(static_cast<cudaEvent_t>(begin_), cuda_stream(device)));
  }
#endif
  device_ = device;
  started_ = running_ = true;
  host_.reset();
}

void DeviceTimer::stop() {
  if (!running_) return;
  running_ = false;
#ifdef TANGO_HAVE_CUDA
  if (device_.is_cuda()) {
    TANGO_CUDA_CHECK(cudaEventRecord(static_cast<cudaEvent_t>(end_), cuda_stream(device_)));
    return;
  }
#endif
  host_seconds_ = host_.seconds();
}

double DeviceTimer::seconds() {
  if (!started_) return 0.0;
  stop();
#ifdef TANGO_HAVE_CUDA
  if (device_.is_cuda()) {
    TANGO_CUDA_CHECK(cudaEventSynchronize(static_cast<cudaEvent_t>(end_)));
    float ms = 0.0f;
    TANGO_CUDA_CHECK(
        cudaEventElapsedTime(&ms, static_cast<cudaEvent_t>(begin_), static_cast<cudaEvent_t>(end_)));
    return ms * 1e-3;
  }
#endif
  return host_seconds_;
}

}  // namespace tango
