// Time to load a real dataset: the OGB raw CSV.gz reader (what a first run pays) and the HDF5 reader
// (what a converted .h5 costs). bench/read_dataset.py runs this and pandas.read_csv on the same files
// in the same run and prints the ratio. Data: $TANGO_DATA_DIR/<name>, else ../shared/datasets beside
// the source tree.
#include <benchmark/benchmark.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "io/hdf5_dataset.h"
#include "io/ogb_reader.h"

namespace {

// CPU seconds of every thread of this process so far (wall time alone misleads on a busy machine).
double process_cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + 1e-6 * static_cast<double>(t.tv_usec);
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

std::string dataset_dir(const std::string& name) {
  std::filesystem::path base;
  if (const char* env = std::getenv("TANGO_DATA_DIR"); env && *env)
    base = env;
  else
    base = std::filesystem::path(__FILE__).parent_path() / ".." / ".." / "shared" / "datasets";
  return (base / name).lexically_normal().string();
}

void read_ogb(benchmark::State& state, const std::string& name) {
  const std::string dir = dataset_dir(name);
  if (!std::filesystem::is_directory(dir)) return state.SkipWithError(("no dataset at " + dir).c_str());
  int64_t edges = 0;
  const double cpu_start = process_cpu_seconds();
  for (auto _ : state) {
    tango::io::Dataset dataset = tango::io::read_ogb_dir(dir);
    edges = dataset.graph.num_edges();
    benchmark::DoNotOptimize(dataset.features.raw_data());
  }
  state.counters["directed_edges"] = static_cast<double>(edges);
  state.counters["process_cpu_ms"] =
      1e3 * (process_cpu_seconds() - cpu_start) / static_cast<double>(state.iterations());
}

void read_hdf5(benchmark::State& state, const std::string& name) {
  const std::string dir = dataset_dir(name);
  if (!std::filesystem::is_directory(dir)) return state.SkipWithError(("no dataset at " + dir).c_str());
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("tango-bench-" + name + "-" + std::to_string(::getpid()) + ".h5"))
                               .string();
  tango::io::write_hdf5_dataset(tango::io::read_ogb_dir(dir), path);
  for (auto _ : state) {
    tango::io::Dataset dataset = tango::io::read_hdf5_dataset(path);
    benchmark::DoNotOptimize(dataset.features.raw_data());
  }
  std::filesystem::remove(path);
}

BENCHMARK_CAPTURE(read_ogb, cora, std::string("cora"))->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(read_ogb, facebook, std::string("facebook"))->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(read_hdf5, facebook, std::string("facebook"))->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
