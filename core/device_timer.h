// DeviceTimer: how long a span of work took where it ran. On the CPU that is the host's wall clock
// between start() and stop(). On a CUDA device the host only queues kernels, so the host's clock
// would measure their launch; there the span is two CUDA events recorded on the device's stream
// (core/cuda/stream.h), and seconds() is the stream's time between them: the queued work itself, plus
// any gap in which the stream waited for the host. seconds() waits for the stop event (a sync on that
// point of the stream only), so read it where the caller synchronises anyway.
#pragma once

#include "core/device.h"
#include "core/timer.h"

namespace tango {

class DeviceTimer {
 public:
  DeviceTimer() = default;
  // Starts on `device`.
  explicit DeviceTimer(Device device) { start(device); }
  ~DeviceTimer();
  DeviceTimer(DeviceTimer&& other) noexcept;
  DeviceTimer& operator=(DeviceTimer&& other) noexcept;
  DeviceTimer(const DeviceTimer&) = delete;
  DeviceTimer& operator=(const DeviceTimer&) = delete;

  // (Re)starts on `device`; the events of a CUDA device are made once and reused.
  void start(Device device);
  // Ends the span (on CUDA: records the stop event; no wait). Idempotent until the next start().
  void stop();
  // The span's length; stops first if still running. 0 for a timer never started.
  double seconds();
  double millis() { return seconds() * 1e3; }

 private:
  void release();

  Device device_ = Device::cpu();
  bool started_ = false;
  bool running_ = false;
  Timer host_;
  double host_seconds_ = 0;
  void* begin_ = nullptr;  // cudaEvent_t on device_ (CUDA builds only)
  void* end_ = nullptr;
};

}  // namespace tango
