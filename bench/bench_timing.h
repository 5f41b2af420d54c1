// CPU-time counters for the sparse kernel benchmarks (bench_ratios.h prints the wall-time table): runs a body
// in the benchmark loop, records the baseline's time under its case name and reports each contender's
// speed-up in wall time (vs_base) and process CPU time (vs_base_cpu, robust on a machine shared with other
// jobs), plus GB/s.
#pragma once

#include <benchmark/benchmark.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <string>
#include <utility>

namespace tango::bench {

inline double process_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

// key -> (wall seconds, cpu seconds) of the baseline.
inline std::map<std::string, std::pair<double, double>>& baseline_seconds() {
  static std::map<std::string, std::pair<double, double>> times;
  return times;
}

// Times `body` (which must wait for any GPU work it queues); `bytes` is the traffic one call moves (for a
// GB/s counter).
template <class Body>
void timed_loop(benchmark::State& state, const std::string& key, bool is_baseline, double bytes,
                Body&& body) {
  body();  // warm-up: first touch of output pages, ISA dispatch, CUDA context
  const auto start = std::chrono::steady_clock::now();
  const double cpu_start = process_cpu_seconds();
  int64_t iterations = 0;
  for (auto _ : state) {
    body();
    ++iterations;
  }
  const double n = static_cast<double>(std::max<int64_t>(1, iterations));
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / n;
  const double cpu = (process_cpu_seconds() - cpu_start) / n;
  if (is_baseline) baseline_seconds()[key] = {wall, cpu};
  state.counters["GBps"] = bytes / wall / 1e9;
  state.counters["cpu_ms"] = cpu * 1e3;
  auto base = baseline_seconds().find(key);
  if (!is_baseline && base != baseline_seconds().end()) {
    state.counters["vs_base"] = base->second.first / wall;
    state.counters["vs_base_cpu"] = base->second.second / cpu;
  }
}

}  // namespace tango::bench
