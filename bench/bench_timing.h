// Timing for the kernel benchmarks: runs a body in the benchmark loop, records the FP32 baseline's time
// under a key and reports each contender's speed-up against it (wall and process-CPU time), plus GB/s.
#pragma once

#include <benchmark/benchmark.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <string>
#include <utility>

#include "core/device.h"
#ifdef TANGO_HAVE_CUDA
#include <cuda_runtime_api.h>
#endif

namespace tango::bench {

inline double process_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

// Waits until the device has finished the queued work (a no-op for the CPU).
inline void sync_device(Device device) {
#ifdef TANGO_HAVE_CUDA
  if (device.is_cuda()) cudaDeviceSynchronize();
#else
  (void)device;
#endif
}

// key -> (wall seconds, cpu seconds) of the baseline.
inline std::map<std::string, std::pair<double, double>>& baseline_seconds() {
  static std::map<std::string, std::pair<double, double>> times;
  return times;
}

// Times `body` (on `device`: GPU work is waited for before the clock stops); `bytes` is the traffic one call
// moves (for a GB/s counter).
template <class Body>
void timed_loop(benchmark::State& state, const std::string& key, bool is_baseline, double bytes, Body&& body,
                Device device = Device::cpu()) {
  body();  // warm-up: first touch of output pages, ISA dispatch, CUDA context
  sync_device(device);
  const auto start = std::chrono::steady_clock::now();
  const double cpu_start = process_cpu_seconds();
  int64_t iterations = 0;
  for (auto _ : state) {
    body();
    ++iterations;
  }
  sync_device(device);
  const double n = static_cast<double>(std::max<int64_t>(1, iterations));
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / n;
  const double cpu = (process_cpu_seconds() - cpu_start) / n;
  if (is_baseline) baseline_seconds()[key] = {wall, cpu};
  state.counters["GBps"] = bytes / wall / 1e9;
  state.counters["cpu_ms"] = cpu * 1e3;
  auto base = baseline_seconds().find(key);
  if (!is_baseline && base != baseline_seconds().end()) {
    state.counters["vs_fp32"] = base->second.first / wall;
    state.counters["vs_fp32_cpu"] = base->second.second / cpu;
  }
}

}  // namespace tango::bench
