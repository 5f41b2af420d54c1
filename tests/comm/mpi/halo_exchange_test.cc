// HaloExchange on real ranks: fp32 exact in both directions, the error bounds of int8/int4/int2,
// unbiased stochastic rounding, bytes on the wire, and the corner cases (peers with nothing to
// exchange, a rank with no boundary, one rank, inconsistent plans).
#include "comm/halo_exchange.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "comm/bit_policy.h"
#include "tests/comm/mpi/mpi_test_main.h"
#include "tests/comm/test_plans.h"

namespace tango::comm {
namespace {

using tango::testing::build_rank_view;
using tango::testing::GlobalGraph;
using tango::testing::RankView;
using tango::testing::world;

// A feature value that differs per node and column, with both signs; rows of nodes divisible by 3
// are non-negative (like ReLU outputs) so both code ranges are exercised.
float feature(int64_t global, int64_t col) {
  float v = std::sin(0.37f * static_cast<float>(global) + 1.3f * static_cast<float>(col)) *
            (1.0f + static_cast<float>(global % 5));
  return global % 3 == 0 ? std::fabs(v) : v;
}

// Owned rows hold their features; halo rows hold NaN so a row the exchange forgot is caught.
Tensor feature_table(const RankView& view, int64_t cols) {
  Tensor table = Tensor::empty(DType::kF32, Shape::mat(view.plan.num_rows(), cols));
  float* x = table.data<float>();
  for (int64_t r = 0; r < view.plan.num_rows(); ++r)
    for (int64_t c = 0; c < cols; ++c)
      x[r * cols + c] = r < view.plan.num_owned ? feature(view.global_ids[r], c) : std::nanf("");
  return table;
}

RankView my_view(const GlobalGraph& g, const std::vector<int>& owners) {
  return build_rank_view(g, owners, world().rank(), world().size());
}

void expect_exact_forward(const GlobalGraph& g, const std::vector<int>& owners, int64_t cols) {
  RankView view = my_view(g, owners);
  check_plan_consistent(view.plan, world());
  HaloExchange exchange(world(), view.plan);
  Tensor table = feature_table(view, cols);
  exchange.exchange(Direction::kForward, table, Codec::fp32());
  const float* x = table.data<float>();
  for (int64_t r = 0; r < view.plan.num_rows(); ++r)
    for (int64_t c = 0; c < cols; ++c)
      ASSERT_EQ(x[r * cols + c], feature(view.global_ids[r], c)) << "row " << r << " col " << c;
  EXPECT_EQ(exchange.last().bytes_sent, view.plan.total_send_rows() * cols * 4);
}

TEST(HaloExchange, Fp32ForwardIsExactOnAPathGraph) {
  expect_exact_forward(tango::testing::path_graph(50), tango::testing::block_owners(50, world().size()), 7);
}

TEST(HaloExchange, Fp32ForwardIsExactOnARandomGraphSplitByIdModP) {
  GlobalGraph g = tango::testing::local_random_graph(300, 3, 40, 60, 11);
  expect_exact_forward(g, tango::testing::modulo_owners(300, world().size()), 33);
}

TEST(HaloExchange, PathGraphPeersWithNothingToExchange) {
  GlobalGraph g = tango::testing::path_graph(40);
  RankView view = my_view(g, tango::testing::block_owners(40, world().size()));
  int r = world().rank();
  for (int p = 0; p < world().size(); ++p) {
    bool neighbour = p == r - 1 || p == r + 1;
    EXPECT_EQ(view.plan.send_count(p), neighbour ? 1 : 0) << "peer " << p;
    EXPECT_EQ(view.plan.recv_count(p), neighbour ? 1 : 0) << "peer " << p;
  }
  expect_exact_forward(g, tango::testing::block_owners(40, world().size()), 3);
}

// Backward: halo rows carry gradient contributions that must be summed into their owners' rows.
float contribution(int64_t global, int64_t col, int from_rank) {
  return static_cast<float>((from_rank + 1) * (global % 7 + col % 3 + 1));  // small integers: exact sums
}

TEST(HaloExchange, Fp32BackwardSumsHaloGradientsIntoOwners) {
  const int64_t n = 200, cols = 5;
  GlobalGraph g = tango::testing::local_random_graph(n, 2, 30, 50, 5);
  auto owners = tango::testing::modulo_owners(n, world().size());
  RankView view = my_view(g, owners);
  Tensor grad = Tensor::empty(DType::kF32, Shape::mat(view.plan.num_rows(), cols));
  float* d = grad.data<float>();
  for (int64_t r = 0; r < view.plan.num_rows(); ++r)
    for (int64_t c = 0; c < cols; ++c)
      d[r * cols + c] =
          r < view.plan.num_owned ? 1000.0f : contribution(view.global_ids[r], c, world().rank());
  HaloExchange exchange(world(), view.plan);
  exchange.exchange(Direction::kBackward, grad, Codec::fp32());
  // Expected: 1000 + the contributions of every other rank that holds the row as a halo row.
  std::vector<double> expected(static_cast<size_t>(n * cols), 1000.0);
  for (int other = 0; other < world().size(); ++other) {
    if (other == world().rank()) continue;
    RankView theirs = build_rank_view(g, owners, other, world().size());
    for (int64_t h = theirs.plan.num_owned; h < theirs.plan.num_rows(); ++h)
      for (int64_t c = 0; c < cols; ++c)
        expected[theirs.global_ids[h] * cols + c] += contribution(theirs.global_ids[h], c, other);
  }
  for (int64_t r = 0; r < view.plan.num_owned; ++r)
    for (int64_t c = 0; c < cols; ++c)
      ASSERT_EQ(d[r * cols + c], expected[view.global_ids[r] * cols + c]) << "row " << r << " col " << c;
}

// The decode error of an intB row is at most half a step (nearest) or one step (stochastic); the step
// is amax / qmax (qmax = 2^(B-1) - 1 for signed rows, 2^B - 1 for non-negative rows) rounded up to
// bf16 (at most one bf16 ulp: relative 2^-7).
double row_step(int64_t global, int64_t cols, int bits) {
  double amax = 0, lo = 0;
  for (int64_t c = 0; c < cols; ++c) {
    amax = std::max(amax, std::fabs(static_cast<double>(feature(global, c))));
    lo = std::min(lo, static_cast<double>(feature(global, c)));
  }
  double qmax = lo >= 0 ? (1 << bits) - 1 : (1 << (bits - 1)) - 1;
  return amax / qmax * (1 + 1.0 / 128);
}

TEST(HaloExchange, IntegerCodecsStayWithinTheirErrorBounds) {
  const int64_t cols = 19;  // not a multiple of 4: the last byte of each int2/int4 row is partial
  GlobalGraph g = tango::testing::local_random_graph(240, 3, 30, 40, 3);
  RankView view = my_view(g, tango::testing::modulo_owners(240, world().size()));
  for (int bits : {8, 4, 2}) {
    for (Rounding rounding : {Rounding::kNearest, Rounding::kStochastic}) {
      Codec codec = Codec::integer(bits, ScaleGranularity::kPerRow, rounding);
      HaloExchange exchange(world(), view.plan, 42);
      Tensor table = feature_table(view, cols);
      exchange.exchange(Direction::kForward, table, codec);
      const float* x = table.data<float>();
      double squared_error = 0;
      double factor = rounding == Rounding::kNearest ? 0.5 : 1.0;
      for (int64_t r = view.plan.num_owned; r < view.plan.num_rows(); ++r) {
        int64_t global = view.global_ids[r];
        double bound = factor * row_step(global, cols, bits) * (1 + 1e-6);
        for (int64_t c = 0; c < cols; ++c) {
          double err = std::fabs(static_cast<double>(x[r * cols + c]) - feature(global, c));
          ASSERT_LE(err, bound) << codec.name() << " row " << global << " col " << c;
          squared_error += err * err;
        }
      }
      // What the receivers measured equals what the senders reported (the same elements).
      double received = world().allreduce(squared_error, ReduceOp::kSum);
      double reported = world().allreduce(exchange.last().quantization.squared_error, ReduceOp::kSum);
      EXPECT_NEAR(received, reported, 1e-6 * reported + 1e-12) << codec.name();
      if (view.plan.num_halo() > 0) {
        EXPECT_GT(squared_error, 0) << codec.name();
      }
    }
  }
}

TEST(HaloExchange, PerTensorScaleIsAgreedByAllRanks) {
  const int64_t cols = 16;
  GlobalGraph g = tango::testing::local_random_graph(180, 3, 30, 40, 8);
  auto owners = tango::testing::modulo_owners(180, world().size());
  RankView view = my_view(g, owners);
  HaloExchange exchange(world(), view.plan);
  Tensor table = feature_table(view, cols);
  exchange.exchange(Direction::kForward, table, Codec::parse("int8:tensor:nearest"));
  // Every rank used the same scale: the global amax of all send rows / 127.
  double amax = 0;
  for (int other = 0; other < world().size(); ++other) {
    RankView theirs = build_rank_view(g, owners, other, world().size());
    for (int64_t row : theirs.plan.send_rows)
      for (int64_t c = 0; c < cols; ++c)
        amax = std::max(amax, std::fabs(double(feature(theirs.global_ids[row], c))));
  }
  auto scales = world().allgather(exchange.tensor_scale());
  for (float s : scales) EXPECT_EQ(s, scales[0]);
  EXPECT_NEAR(scales[0], amax / 127, 1e-6 * amax);
  const float* x = table.data<float>();
  for (int64_t r = view.plan.num_owned; r < view.plan.num_rows(); ++r)
    for (int64_t c = 0; c < cols; ++c)
      ASSERT_LE(std::fabs(x[r * cols + c] - feature(view.global_ids[r], c)), 0.5 * scales[0] * (1 + 1e-5));
  // The wire carries codes only: no per-row scales.
  EXPECT_EQ(exchange.last().bytes_sent, view.plan.total_send_rows() * cols);
}

TEST(HaloExchange, StochasticRoundingIsUnbiasedAndReproducible) {
  const int64_t cols = 8;
  const int calls = 400;
  GlobalGraph g = tango::testing::path_graph(12 * world().size());
  RankView view = my_view(g, tango::testing::block_owners(12 * world().size(), world().size()));
  HaloExchange exchange(world(), view.plan, 7);
  Codec codec = Codec::integer(2);  // the coarsest grid has the largest rounding variance
  std::vector<double> sum(static_cast<size_t>(view.plan.num_halo() * cols), 0.0);
  Tensor table = feature_table(view, cols);
  std::vector<float> first_call;
  for (int call = 0; call < calls; ++call) {
    exchange.exchange(Direction::kForward, table, codec);
    const float* x = table.data<float>() + view.plan.num_owned * cols;
    if (call == 0) first_call.assign(x, x + sum.size());
    for (size_t i = 0; i < sum.size(); ++i) sum[i] += x[i];
  }
  // Each draw errs by at most one step with mean 0 and variance <= step^2 / 4: the mean of `calls`
  // draws lies within 6 sigma = 3 step / sqrt(calls) of the true value.
  for (int64_t h = 0; h < view.plan.num_halo(); ++h) {
    int64_t global = view.global_ids[view.plan.num_owned + h];
    double bound = 3 * row_step(global, cols, 2) / std::sqrt(double(calls));
    for (int64_t c = 0; c < cols; ++c)
      EXPECT_NEAR(sum[h * cols + c] / calls, feature(global, c), bound) << "node " << global << " col " << c;
  }
  // Same seed, same draws: a fresh exchange object reproduces the first call bit for bit.
  HaloExchange again(world(), view.plan, 7);
  Tensor table2 = feature_table(view, cols);
  again.exchange(Direction::kForward, table2, codec);
  const float* y = table2.data<float>() + view.plan.num_owned * cols;
  for (size_t i = 0; i < first_call.size(); ++i) ASSERT_EQ(y[i], first_call[i]) << i;
}

TEST(HaloExchange, WireBytesAtHidden64WithScalesIncluded) {
  const int64_t n = 20000, cols = 64;
  // Contiguous blocks of a graph with mostly local edges: a few percent of the rows are boundary.
  GlobalGraph g = tango::testing::local_random_graph(n, 4, 60, 300, 21);
  RankView view = my_view(g, tango::testing::block_owners(n, world().size()));
  double boundary = world().allreduce(double(view.plan.num_owned - view.plan.num_inner), ReduceOp::kSum) / n;
  EXPECT_GT(boundary, 0.005);
  EXPECT_LT(boundary, 0.10);
  HaloExchange exchange(world(), view.plan);
  Tensor table = feature_table(view, cols);
  struct Case {
    const char* codec;
    double max_ratio;
    double bytes_per_row;
  };
  for (Case c : {Case{"int8", 0.27, 64 + 2}, Case{"int4", 0.14, 32 + 2}, Case{"int2", 0.08, 16 + 2},
                 Case{"bf16", 0.5, 128}}) {
    exchange.reset_stats();
    exchange.exchange(Direction::kForward, table, Codec::parse(c.codec));
    exchange.exchange(Direction::kBackward, table, Codec::parse(c.codec));
    int64_t bytes[2] = {
        exchange.stats(Direction::kForward).bytes_sent + exchange.stats(Direction::kBackward).bytes_sent,
        exchange.stats(Direction::kForward).fp32_bytes + exchange.stats(Direction::kBackward).fp32_bytes};
    world().allreduce(std::span<int64_t>(bytes, 2), ReduceOp::kSum);
    double ratio = double(bytes[0]) / double(bytes[1]);
    EXPECT_LE(ratio, c.max_ratio) << c.codec;
    EXPECT_NEAR(ratio, c.bytes_per_row / 256.0, 1e-12) << c.codec;
  }
}

TEST(HaloExchange, RankWithNoBoundaryNodes) {
  // A path inside each block, and links between blocks except into and out of the last one.
  const int parts = world().size();
  const int64_t n = 10 * parts;
  GlobalGraph g{n, std::vector<std::vector<int64_t>>(static_cast<size_t>(n))};
  for (int64_t v = 0; v + 1 < n; ++v)
    if ((v + 1) / 10 != parts - 1 || v / 10 == parts - 1) g.add_edge(v, v + 1);
  g.finish();
  auto owners = tango::testing::block_owners(n, parts);
  RankView view = my_view(g, owners);
  if (world().rank() == parts - 1) {
    EXPECT_EQ(view.plan.num_halo(), 0);
    EXPECT_EQ(view.plan.total_send_rows(), 0);
    EXPECT_EQ(view.plan.num_inner, view.plan.num_owned);
  }
  for (const char* codec : {"fp32", "int4"}) {
    HaloExchange exchange(world(), view.plan);
    Tensor table = feature_table(view, 6);
    exchange.exchange(Direction::kForward, table, Codec::parse(codec));
    exchange.exchange(Direction::kBackward, table, Codec::parse(codec));
    if (world().rank() == parts - 1) {
      EXPECT_EQ(exchange.stats(Direction::kForward).bytes_sent, 0);
    }
  }
}

TEST(HaloExchange, OneRankExchangesNothing) {
  Communicator self(MPI_COMM_SELF);
  HaloPlan plan = HaloPlan::no_exchange(1, 9);
  HaloExchange exchange(self, plan);
  Tensor table = Tensor::from(std::vector<float>(9 * 4, 2.5f), 9, 4);
  exchange.exchange(Direction::kForward, table, Codec::integer(2));
  exchange.exchange(Direction::kBackward, table, Codec::fp32());
  for (float v : table.to_vector<float>()) EXPECT_EQ(v, 2.5f);
  EXPECT_EQ(exchange.stats(Direction::kForward).bytes_sent, 0);
  EXPECT_EQ(exchange.stats(Direction::kBackward).calls, 1);
}

TEST(HaloExchange, OverlapWindowBetweenPostAndWait) {
  const int64_t cols = 32;
  GlobalGraph g = tango::testing::local_random_graph(400, 3, 30, 80, 4);
  auto owners = tango::testing::block_owners(400, world().size());
  RankView view = my_view(g, owners);
  HaloExchange exchange(world(), view.plan);
  Tensor table = feature_table(view, cols);
  exchange.post(Direction::kForward, table, Codec::fp32());
  EXPECT_TRUE(exchange.in_flight());
  EXPECT_THROW(exchange.post(Direction::kForward, table, Codec::fp32()), Error);
  // "Inner rows" computed while the messages fly: they need no halo.
  double inner_sum = 0;
  const float* x = table.data<float>();
  for (int64_t r = 0; r < view.plan.num_inner; ++r) {
    for (int64_t c = 0; c < cols; ++c) inner_sum += x[r * cols + c];
    if (r % 16 == 0) exchange.test();
  }
  exchange.wait();
  EXPECT_FALSE(exchange.in_flight());
  EXPECT_TRUE(std::isfinite(inner_sum));
  EXPECT_GT(exchange.last().overlap_s, 0.0);
  for (int64_t r = view.plan.num_owned; r < view.plan.num_rows(); ++r)
    for (int64_t c = 0; c < cols; ++c) ASSERT_EQ(x[r * cols + c], feature(view.global_ids[r], c));
}

TEST(HaloExchange, CodecsReadF32TablesOnly) {
  GlobalGraph g = tango::testing::local_random_graph(260, 3, 30, 50, 13);
  RankView view = my_view(g, tango::testing::modulo_owners(260, world().size()));
  Tensor codes = Tensor::zeros(DType::kI8, Shape::mat(view.plan.num_rows(), 21));
  HaloExchange exchange(world(), view.plan);
  EXPECT_THROW(exchange.post(Direction::kForward, codes, Codec::integer(8)), Error);
  EXPECT_FALSE(exchange.in_flight());
}

TEST(HaloPlan, InconsistentPlansAreDetected) {
  GlobalGraph g = tango::testing::path_graph(30 * world().size());
  RankView view = my_view(g, tango::testing::block_owners(30 * world().size(), world().size()));
  HaloPlan plan = view.plan;
  if (world().rank() == 0) {
    // Rank 0 claims to send one more row to rank 1 than rank 1 expects.
    plan.send_rows.insert(plan.send_rows.begin() + plan.send_offsets[2], 0);
    for (size_t p = 2; p < plan.send_offsets.size(); ++p) ++plan.send_offsets[p];
  }
  if (world().rank() == 1)
    EXPECT_THROW(check_plan_consistent(plan, world()), Error);
  else
    EXPECT_NO_THROW(check_plan_consistent(plan, world()));
}

TEST(HaloPlan, BadArraysAreInputErrors) {
  int r = world().rank(), n = world().size();
  std::vector<int64_t> zeros(static_cast<size_t>(n) + 1, 0);
  EXPECT_THROW(HaloPlan::from_arrays(r, n, 5, 6, zeros, {}, zeros), Error);  // inner > owned
  EXPECT_THROW(HaloPlan::from_arrays(r, n, 5, 5, {0}, {}, zeros), Error);    // offsets too short
  std::vector<int64_t> one_row(zeros);
  for (int p = (r + 1) % n + 1; p <= n; ++p) one_row[p] = 1;
  if (n > 1) {
    EXPECT_THROW(HaloPlan::from_arrays(r, n, 5, 0, one_row, {7}, zeros), Error);  // row 7 not owned
    EXPECT_NO_THROW(HaloPlan::from_arrays(r, n, 5, 0, one_row, {4}, zeros));
  }
}

TEST(BitPolicy, AdaptiveWidthsAgreeAcrossRanksAndRespectTheCap) {
  const int64_t cols = 64;
  GlobalGraph g = tango::testing::local_random_graph(600, 3, 40, 100, 9);
  RankView view = my_view(g, tango::testing::modulo_owners(600, world().size()));
  HaloExchange exchange(world(), view.plan, 3);
  for (double cap : {0.001, 0.05, 0.2, 3.0}) {
    BitPolicyOptions options;
    options.adaptive = true;
    options.max_relative_error = cap;
    options.decide_every = 2;
    BitPolicy policy({{8, 8}}, options);
    double global_error = 0;
    for (int call = 0; call < 5; ++call) {
      Tensor table = feature_table(view, cols);
      exchange.exchange(Direction::kForward, table, policy.codec(0, Direction::kForward));
      const ExchangeStats& last = exchange.last();
      double sums[2] = {last.quantization.squared_error, last.quantization.squared_signal};
      world().allreduce(std::span<double>(sums, 2), ReduceOp::kSum);
      global_error = std::sqrt(sums[0] / sums[1]);
      policy.observe(0, Direction::kForward, last, world());
      auto all = world().allgather(policy.bits(0, Direction::kForward));
      for (int b : all) ASSERT_EQ(b, all[0]) << "ranks disagree on the width, cap " << cap;
    }
    int chosen = policy.bits(0, Direction::kForward);
    // The last exchange ran at the chosen width: its measured error respects the cap (model slack 35%).
    EXPECT_LE(global_error, cap * 1.35) << "cap " << cap << " chose " << chosen;
    int lowest = cap == 3.0 ? 2 : cap == 0.001 ? 16 : 2;
    int highest = cap == 3.0 ? 2 : cap == 0.001 ? 32 : 8;
    EXPECT_GE(chosen, lowest) << "cap " << cap;
    EXPECT_LE(chosen, highest) << "cap " << cap;
  }
}

}  // namespace
}  // namespace tango::comm
