// Time to generate a synthetic dataset (average degree 20, 128 features) at 250k and 1M nodes, against a
// baseline in the same run: build_symmetric_csr alone on as many uniformly random edges, the part every
// reader shares and the generator cannot avoid. Run one iteration per size (generation takes seconds):
//   build/bench/synthetic_bench
// and read the ratio generate / csr_baseline for the same node count; peak memory via /usr/bin/time -v.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <vector>

#include "io/counter_rng.h"
#include "io/csr_builder.h"
#include "io/synthetic.h"

namespace tango {
namespace {

constexpr double kAvgDegree = 20;
constexpr int64_t kFeatures = 128;

void BM_GenerateSynthetic(benchmark::State& state) {
  io::SyntheticSpec spec;
  spec.nodes = state.range(0);
  spec.avg_degree = kAvgDegree;
  spec.features = kFeatures;
  int64_t edges = 0;
  for (auto _ : state) {
    io::Dataset dataset = io::generate_synthetic(spec);
    edges = dataset.graph.num_edges();
    benchmark::DoNotOptimize(dataset.features.raw_data());
  }
  state.counters["directed_edges"] = static_cast<double>(edges);
  state.counters["edges_per_s"] = benchmark::Counter(static_cast<double>(edges), benchmark::Counter::kIsRate);
  state.SetBytesProcessed(state.iterations() * spec.nodes * kFeatures * static_cast<int64_t>(sizeof(float)));
}

void BM_CsrBaseline(benchmark::State& state) {
  const int64_t nodes = state.range(0);
  const int64_t undirected = static_cast<int64_t>(static_cast<double>(nodes) * kAvgDegree / 2);
  std::vector<int64_t> src(undirected), dst(undirected);
  for (int64_t e = 0; e < undirected; ++e) {
    io::CounterRng rng(1, 0, e);
    src[e] = static_cast<int64_t>(rng.below(nodes));
    dst[e] = static_cast<int64_t>(rng.below(nodes));
  }
  int64_t edges = 0;
  for (auto _ : state) {
    io::Graph graph = io::build_symmetric_csr(nodes, src, dst);
    edges = graph.num_edges();
  }
  state.counters["directed_edges"] = static_cast<double>(edges);
  state.counters["edges_per_s"] = benchmark::Counter(static_cast<double>(edges), benchmark::Counter::kIsRate);
}

BENCHMARK(BM_CsrBaseline)
    ->Arg(250'000)
    ->Arg(1'000'000)
    ->Iterations(1)
    ->Unit(benchmark::kSecond)
    ->UseRealTime();
BENCHMARK(BM_GenerateSynthetic)
    ->Arg(250'000)
    ->Arg(1'000'000)
    ->Iterations(1)
    ->Unit(benchmark::kSecond)
    ->UseRealTime();

}  // namespace
}  // namespace tango

BENCHMARK_MAIN();
