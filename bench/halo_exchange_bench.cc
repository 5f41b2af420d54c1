// Halo exchange throughput per codec on the host path (MPI), and how much of it overlap hides.
//
// Run under mpiexec (every rank runs the same fixed iterations; rank 0 reports):
//   mpiexec -n 4 --oversubscribe build/bench/halo_exchange_bench
// Plan: a synthetic graph of TANGO_BENCH_NODES nodes (default 400000) with mostly local edges, split
// into contiguous blocks (a few percent boundary rows, like a METIS partition). Per codec and hidden
// width: time of one forward exchange (max over ranks), effective GB/s (fp32-equivalent bytes
// delivered per second, all ranks), wire GB/s, wire bytes vs fp32 (scales included), bytes per row.
// BM_Codec: the fused CPU encode and decode passes alone on rank 0's outgoing rows (no MPI), in GB/s of
// fp32 rows in / out per second of the thread's CPU time (steadier than wall time on a loaded box);
// fp32 is the gather-copy baseline (memcpy per row).
// BM_Overlap: post + a fake inner-row compute (about as long as the exchange) + wait, against the
// same two run back to back: hidden = (T_exchange + T_compute - T_overlapped) / T_exchange.
// BM_AllreduceProgress: does a non-blocking allreduce (comm::AsyncAllreduce, the trainer's weight
// gradients) advance while the rank computes? Start it, compute 30 ms (test() every 0.5 ms, or never),
// then time wait(); against a blocking allreduce of the same floats. Open MPI has no progress thread:
// without MPI calls the wait is as long as a blocking call (nothing moved); with test() it is ~0.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <map>
#include <memory>
#include <vector>

#include "comm/async_allreduce.h"
#include "comm/cpu/message_codec.h"
#include "comm/halo_exchange.h"
#include "comm/mpi_session.h"
#include "core/log.h"
#include "core/timer.h"
#include "tests/comm/test_plans.h"

namespace {

using namespace tango;
using namespace tango::comm;

Communicator* world = nullptr;
const char* const kCodecs[] = {"fp32", "bf16", "int8", "int4", "int2"};

struct Setup {
  testing::RankView view;
  std::unique_ptr<HaloExchange> exchange;
  Tensor table;
};

Setup& setup(int64_t hidden) {
  static std::map<int64_t, Setup> cache;
  static testing::RankView view = [] {
    const char* env = std::getenv("TANGO_BENCH_NODES");
    int64_t n = env ? std::atoll(env) : 400000;
    testing::GlobalGraph g = testing::local_random_graph(n, 4, 200, n / 40, 1);
    return testing::build_rank_view(g, testing::block_owners(n, world->size()), world->rank(), world->size());
  }();
  auto it = cache.find(hidden);
  if (it != cache.end()) return it->second;
  Setup& s = cache[hidden];
  s.view = view;
  s.exchange = std::make_unique<HaloExchange>(*world, view.plan, 1);
  s.table = Tensor::empty(DType::kF32, Shape::mat(view.plan.num_rows(), hidden));
  float* x = s.table.data<float>();
  for (int64_t i = 0; i < s.table.numel(); ++i)
    x[i] = std::sin(0.001f * static_cast<float>(i)) * (i % 3 ? 1.0f : 0.2f);
  return s;
}

double thread_cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

double max_over_ranks(double seconds) {
  return world->allreduce(seconds, ReduceOp::kMax);
}

double timed_exchange(Setup& s, const Codec& codec) {
  world->barrier();
  Timer timer;
  s.exchange->exchange(Direction::kForward, s.table, codec);
  return max_over_ranks(timer.seconds());
}

// A stand-in for the inner rows' SpMM/GEMM: multiply-adds over `rows` inner rows (cycling), driving
// MPI progress every 1024 rows when asked.
double fake_inner_compute(Setup& s, int64_t rows, bool drive_progress) {
  const int64_t cols = s.table.cols(), inner = std::max<int64_t>(s.view.plan.num_inner, 1);
  const float* x = s.table.data<float>();
  double acc = 0;
  for (int64_t i = 0; i < rows; ++i) {
    const float* row = x + (i % inner) * cols;
    for (int64_t c = 0; c < cols; ++c) acc += row[c] * 1.0001;
    if (drive_progress && i % 1024 == 0) s.exchange->test();
  }
  return acc;
}

void report(benchmark::State& state, Setup& s, const Codec& codec, double seconds_per_exchange) {
  int64_t sums[3] = {s.exchange->last().bytes_sent, s.exchange->last().fp32_bytes,
                     s.exchange->last().rows_sent};
  world->allreduce(std::span<int64_t>(sums, 3), ReduceOp::kSum);
  state.counters["bytes_ratio"] = static_cast<double>(sums[0]) / static_cast<double>(sums[1]);
  state.counters["bytes_per_row"] = static_cast<double>(sums[0]) / static_cast<double>(sums[2]);
  state.counters["rows_sent_all_ranks"] = static_cast<double>(sums[2]);
  state.counters["effective_GBps"] = static_cast<double>(sums[1]) / seconds_per_exchange / 1e9;
  state.counters["wire_GBps"] = static_cast<double>(sums[0]) / seconds_per_exchange / 1e9;
  state.counters["rel_error"] = s.exchange->last().relative_error();
  // Where rank 0's time went in the last exchange.
  state.counters["encode_ms"] = s.exchange->last().encode_s * 1e3;
  state.counters["wait_ms"] = s.exchange->last().wait_s * 1e3;
  state.counters["decode_ms"] = s.exchange->last().decode_s * 1e3;
  state.SetLabel(codec.name());
}

void BM_HaloForward(benchmark::State& state) {
  Codec codec = Codec::parse(kCodecs[state.range(0)]);
  Setup& s = setup(state.range(1));
  for (int i = 0; i < 2; ++i) timed_exchange(s, codec);  // warm-up: buffers, MPI connections
  double total = 0;
  for (auto _ : state) {
    double t = timed_exchange(s, codec);
    total += t;
    state.SetIterationTime(t);
  }
  report(state, s, codec, total / static_cast<double>(state.iterations()));
}
BENCHMARK(BM_HaloForward)
    ->ArgsProduct({{0, 1, 2, 3, 4}, {64, 256}})
    ->ArgNames({"codec", "hidden"})
    ->Iterations(20)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

void BM_Codec(benchmark::State& state) {
  Codec codec = Codec::parse(kCodecs[state.range(0)]);
  Setup& s = setup(state.range(1));
  const HaloPlan& plan = s.view.plan;
  const int64_t cols = s.table.cols(), rows = plan.total_send_rows();
  std::vector<uint8_t> wire(static_cast<size_t>(std::max<int64_t>(codec.message_bytes(rows, cols), 1)));
  Tensor out = Tensor::empty(DType::kF32, Shape::mat(std::max<int64_t>(rows, 1), cols));
  const RowMap map{plan.send_rows.data(), 0};
  EncodeStats stats;
  double encode_s = 0, decode_s = 0;
  for (auto _ : state) {
    const double t0 = thread_cpu_seconds();
    cpu::encode_rows(codec, s.table.data<float>(), cols, map, rows, EncodeParams{1, 2, 1.0f}, wire.data(),
                     &stats);
    const double t1 = thread_cpu_seconds();
    cpu::decode_rows(codec, wire.data(), rows, cols, 1.0f, out.data<float>(), RowMap{}, false);
    const double t2 = thread_cpu_seconds();
    encode_s += t1 - t0;
    decode_s += t2 - t1;
    state.SetIterationTime(t2 - t0);
  }
  const double bytes = static_cast<double>(rows * cols * 4) * static_cast<double>(state.iterations());
  state.counters["encode_GBps"] = bytes / encode_s / 1e9;
  state.counters["decode_GBps"] = bytes / decode_s / 1e9;
  state.counters["rows"] = static_cast<double>(rows);
  state.SetLabel(codec.name());
}
BENCHMARK(BM_Codec)
    ->ArgsProduct({{0, 1, 2, 3, 4}, {64, 256}})
    ->ArgNames({"codec", "hidden"})
    ->Iterations(50)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

void BM_Overlap(benchmark::State& state) {
  Codec codec = Codec::parse(kCodecs[state.range(0)]);
  Setup& s = setup(256);
  for (int i = 0; i < 2; ++i) timed_exchange(s, codec);
  // Size the fake compute to about one exchange (same amount on every rank).
  double t_exchange = 0;
  for (int i = 0; i < 5; ++i) t_exchange += timed_exchange(s, codec) / 5;
  const int64_t probe_rows = 16384;
  world->barrier();
  Timer probe;
  benchmark::DoNotOptimize(fake_inner_compute(s, probe_rows, false));
  double seconds_per_row = max_over_ranks(probe.seconds()) / probe_rows;
  int64_t work = std::max<int64_t>(1024, std::llround(t_exchange / seconds_per_row));
  work = world->allreduce<int64_t>(work, ReduceOp::kMax);
  double serial = 0, overlapped = 0, compute = 0;
  for (auto _ : state) {
    world->barrier();
    Timer c;
    benchmark::DoNotOptimize(fake_inner_compute(s, work, false));
    double t_compute = max_over_ranks(c.seconds());
    double t_alone = timed_exchange(s, codec);
    world->barrier();
    Timer both;
    s.exchange->post(Direction::kForward, s.table, codec);
    benchmark::DoNotOptimize(fake_inner_compute(s, work, true));
    s.exchange->wait();
    double t_both = max_over_ranks(both.seconds());
    compute += t_compute;
    serial += t_alone;
    overlapped += t_both;
    state.SetIterationTime(t_both);
  }
  double n = static_cast<double>(state.iterations());
  state.counters["exchange_ms"] = serial / n * 1e3;
  state.counters["compute_ms"] = compute / n * 1e3;
  state.counters["overlapped_ms"] = overlapped / n * 1e3;
  state.counters["serial_ms"] = (serial + compute) / n * 1e3;
  state.counters["hidden_fraction"] = std::clamp((serial + compute - overlapped) / serial, 0.0, 1.0);
  state.SetLabel(codec.name());
}
BENCHMARK(BM_Overlap)
    ->DenseRange(0, 4)
    ->ArgName("codec")
    ->Iterations(10)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

void BM_AllreduceProgress(benchmark::State& state) {
  const int64_t floats = state.range(0);
  const bool drive_progress = state.range(1) != 0;
  Tensor buffer = Tensor::zeros(DType::kF32, Shape::vec(floats));
  double blocking = 0, wait = 0;
  for (auto _ : state) {
    world->barrier();
    Timer alone;
    world->allreduce(buffer, ReduceOp::kSum);
    blocking += max_over_ranks(alone.seconds());
    world->barrier();
    comm::AsyncAllreduce reduction(*world, buffer, ReduceOp::kSum);
    Timer compute, since_test;
    double acc = 0;
    while (compute.seconds() < 0.03) {
      for (int i = 0; i < 1000; ++i) acc += i * 1e-9;
      if (drive_progress && since_test.seconds() > 5e-4) {
        reduction.test();
        since_test.reset();
      }
    }
    benchmark::DoNotOptimize(acc);
    Timer waited;
    reduction.wait();
    const double t_wait = max_over_ranks(waited.seconds());
    wait += t_wait;
    state.SetIterationTime(t_wait);
  }
  const double n = static_cast<double>(state.iterations());
  state.counters["blocking_ms"] = blocking / n * 1e3;
  state.counters["wait_after_compute_ms"] = wait / n * 1e3;
  state.counters["hidden_fraction"] = std::clamp(1.0 - wait / blocking, 0.0, 1.0);
  state.SetLabel(drive_progress ? "test() every 0.5 ms" : "no MPI call while computing");
}
BENCHMARK(BM_AllreduceProgress)
    ->ArgsProduct({{65536, 1048576}, {0, 1}})
    ->ArgNames({"floats", "test"})
    ->Iterations(10)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

class SilentReporter : public benchmark::BenchmarkReporter {
 public:
  bool ReportContext(const Context&) override { return true; }
  void ReportRuns(const std::vector<Run>&) override {}
};

}  // namespace

int main(int argc, char** argv) {
  tango::comm::MpiSession mpi(&argc, &argv);
  tango::comm::Communicator comm;
  world = &comm;
  tango::init_logging(comm.rank());
  benchmark::Initialize(&argc, argv);
  if (comm.rank() == 0) {
    auto& plan = setup(64).view.plan;
    std::printf("halo exchange bench: %d ranks; rank 0 owns %lld rows (%lld boundary), %lld halo rows\n",
                comm.size(), static_cast<long long>(plan.num_owned),
                static_cast<long long>(plan.num_owned - plan.num_inner),
                static_cast<long long>(plan.num_halo()));
    benchmark::RunSpecifiedBenchmarks();
  } else {
    setup(64);
    SilentReporter silent;
    benchmark::RunSpecifiedBenchmarks(&silent);
  }
  benchmark::Shutdown();
  return 0;
}
