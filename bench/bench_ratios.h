// Ratios against a baseline measured in the same run, for every kernel benchmark. Benchmarks are named
// "<case>/<variant>"; timed_loop() times a variant's body (waiting for any GPU work it queues) and records
// its process CPU time per call (counter cpu_ms); after the run RatioReporter prints every variant's wall
// time and its speedup over the case's baseline variant ("sgemm" for GEMMs, and so on) in wall time and in
// process CPU time (medians with --benchmark_repetitions). The CPU-time ratio stays meaningful on a machine
// shared with other jobs.
#pragma once

#include <benchmark/benchmark.h>
#include <time.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "core/device.h"
#ifdef TANGO_HAVE_CUDA
#include "kernels/cuda/cuda_context.h"
#endif

namespace tango::bench {

// Blocks until `device`'s kernels are done (no-op on the CPU).
inline void wait_for(Device device) {
#ifdef TANGO_HAVE_CUDA
  if (device.is_cuda()) kernels::cuda::CudaContext::get(device).synchronize();
#else
  (void)device;
#endif
}

inline double process_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

// Runs `body` once to warm up (first touch of outputs, ISA dispatch, library kernel choice, CUDA context),
// then in the benchmark loop; `body` must wait for the GPU work it queues. Sets the cpu_ms counter and
// returns the wall seconds per call.
template <class Body>
double timed_loop(benchmark::State& state, Body&& body) {
  body();
  const auto start = std::chrono::steady_clock::now();
  const double cpu_start = process_cpu_seconds();
  int64_t iterations = 0;
  for (auto _ : state) {
    body();
    ++iterations;
  }
  const double n = static_cast<double>(iterations > 0 ? iterations : 1);
  state.counters["cpu_ms"] = (process_cpu_seconds() - cpu_start) / n * 1e3;
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / n;
}

// Console output plus, at the end, "case  variant  time  speedup (wall)  speedup (cpu)".
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  // Maps a case-name prefix to the variant every other variant of such a case is compared with (the
  // longest matching prefix wins).
  explicit RatioReporter(std::map<std::string, std::string> baseline_by_case_prefix)
      : baselines_(std::move(baseline_by_case_prefix)) {}

  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& run : runs) {
      // With --benchmark_repetitions the table uses each variant's median (one row), else every run.
      const bool median = run.run_type == Run::RT_Aggregate && run.aggregate_name == "median";
      if ((run.run_type != Run::RT_Iteration && !median) || run.error_occurred) continue;
      std::string name = run.benchmark_name();
      auto slash = name.rfind('/');
      // Google Benchmark appends "/min_time:0.500/real_time" etc.: strip trailing attributes.
      while (slash != std::string::npos && (name.substr(slash + 1).find("real_time") == 0 ||
                                            name.substr(slash + 1).find(':') != std::string::npos)) {
        name = name.substr(0, slash);
        slash = name.rfind('/');
      }
      if (slash == std::string::npos) continue;
      auto cpu = run.counters.find("cpu_ms");
      (median ? medians_ : times_)[name.substr(0, slash)].push_back(
          {name.substr(slash + 1), run.GetAdjustedRealTime(),
           cpu != run.counters.end() ? cpu->second.value : 0});
    }
    ConsoleReporter::ReportRuns(runs);
  }

  void Finalize() override {
    ConsoleReporter::Finalize();
    std::printf("\n%-32s %-24s %12s %15s %14s\n", "case", "variant", "time (ms)", "speedup (wall)",
                "speedup (cpu)");
    for (const auto& [case_name, runs] : times_) {
      const auto median = medians_.find(case_name);
      const std::vector<Timing>& variants = median != medians_.end() ? median->second : runs;
      std::string baseline;
      size_t matched = 0;
      for (const auto& [prefix, variant] : baselines_)
        if (case_name.rfind(prefix, 0) == 0 && prefix.size() >= matched) {
          baseline = variant;
          matched = prefix.size();
        }
      const Timing* base = nullptr;
      for (const auto& v : variants)
        if (v.variant == baseline) base = &v;  // with repetitions: the last one
      for (const auto& v : variants) {
        std::printf("%-32s %-24s %12.3f", case_name.c_str(), v.variant.c_str(), v.wall);
        if (base != nullptr && v.wall > 0)
          std::printf(" %14.2fx", base->wall / v.wall);
        else
          std::printf(" %15s", "-");
        if (base != nullptr && base->cpu_ms > 0 && v.cpu_ms > 0)
          std::printf(" %13.2fx\n", base->cpu_ms / v.cpu_ms);
        else
          std::printf(" %14s\n", "-");
      }
    }
  }

 private:
  struct Timing {
    std::string variant;
    double wall = 0;    // the run's adjusted real time (benchmark's unit)
    double cpu_ms = 0;  // 0 when the benchmark did not use timed_loop
  };
  std::map<std::string, std::string> baselines_;
  std::map<std::string, std::vector<Timing>> times_, medians_;
};

}  // namespace tango::bench
