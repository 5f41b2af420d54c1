// Ratio reporting for the kernel benchmarks: benchmarks are named "<case>/<variant>", and after the
// run every variant's time is printed as a speedup against its case's baseline variant from the same
// run ("sgemm" for GEMMs, and so on). Also waits for a GPU where one is used, so times are real.
#pragma once

#include <benchmark/benchmark.h>

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

// Console output plus, at the end, "case: variant time  speedup vs baseline".
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  // baseline_for(case) names the variant every other variant of that case is compared with.
  explicit RatioReporter(std::map<std::string, std::string> baseline_by_case_prefix)
      : baselines_(std::move(baseline_by_case_prefix)) {}

  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& run : runs) {
      if (run.run_type != Run::RT_Iteration || run.error_occurred) continue;
      std::string name = run.benchmark_name();
      auto slash = name.rfind('/');
      // Google Benchmark appends "/min_time:0.500/real_time" etc.: strip trailing attributes.
      while (slash != std::string::npos && (name.substr(slash + 1).find("real_time") == 0 ||
                                            name.substr(slash + 1).find(':') != std::string::npos)) {
        name = name.substr(0, slash);
        slash = name.rfind('/');
      }
      if (slash == std::string::npos) continue;
      times_[name.substr(0, slash)].push_back({name.substr(slash + 1), run.GetAdjustedRealTime()});
    }
    ConsoleReporter::ReportRuns(runs);
  }

  void Finalize() override {
    ConsoleReporter::Finalize();
    std::printf("\n%-32s %-22s %12s %10s\n", "case", "variant", "time (ms)", "speedup");
    for (const auto& [case_name, variants] : times_) {
      std::string baseline;
      for (const auto& [prefix, variant] : baselines_)
        if (case_name.rfind(prefix, 0) == 0) baseline = variant;
      double base = 0;
      for (const auto& v : variants)
        if (v.first == baseline) base = v.second;
      for (const auto& v : variants) {
        if (base > 0)
          std::printf("%-32s %-22s %12.3f %9.2fx\n", case_name.c_str(), v.first.c_str(), v.second,
                      base / v.second);
        else
          std::printf("%-32s %-22s %12.3f %10s\n", case_name.c_str(), v.first.c_str(), v.second, "-");
      }
    }
  }

 private:
  std::map<std::string, std::string> baselines_;
  std::map<std::string, std::vector<std::pair<std::string, double>>> times_;
};

}  // namespace tango::bench
