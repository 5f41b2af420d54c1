// A part with no edge to another part (here: a component of its own) has no halo rows, while the other
// parts exchange every layer. Its layers still take part in every exchange (empty ones), so that the
// adaptive bit policy's decisions (an allreduce inside a halo wait) see every rank; the row-range paths
// (overlap, GAT) meet empty halo and boundary ranges. Runs as 3 ranks, GCN, SAGE and GAT, fixed and
// adaptive halo bits, overlap on and off. (Adaptive bits used to be refused for such a partition.)
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "comm/communicator.h"
#include "io/csr_builder.h"
#include "partition/part_builder.h"
#include "trainer/part_loader.h"
#include "trainer/train.h"

namespace tango::trainer {
namespace {

// Nodes [0, 60) form a random connected-ish component split between parts 0 and 1 (alternating owners:
// many cut edges); nodes [60, 80) form a ring owned by part 2 alone.
io::Dataset two_components() {
  std::mt19937 rng(5);
  std::vector<int64_t> src, dst;
  std::uniform_int_distribution<int64_t> node(0, 59);
  for (int e = 0; e < 240; ++e) {
    const int64_t u = node(rng), v = node(rng);
    if (u == v) continue;
    src.push_back(u);
    dst.push_back(v);
  }
  for (int64_t v = 60; v < 80; ++v) {
    src.push_back(v);
    dst.push_back(v + 1 < 80 ? v + 1 : 60);
  }
  io::Dataset d;
  d.name = "two-components";
  d.graph = io::build_symmetric_csr(80, src, dst, &d.cleanup);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> x(80 * 12);
  for (float& v : x) v = normal(rng);
  d.features = Tensor::from(x, 80, 12);
  std::vector<int32_t> labels(80);
  for (auto& y : labels) y = static_cast<int32_t>(rng() % 3);
  d.labels = Tensor::from(labels);
  d.num_classes = 3;
  std::vector<uint8_t> all(80, 1);
  d.train_mask = Tensor::from(all);
  d.valid_mask = Tensor::from(all);
  d.test_mask = Tensor::from(all);
  return d;
}

TEST(IsolatedPart, TrainsBesidePartsThatExchange) {
  comm::Communicator comm(MPI_COMM_WORLD);
  ASSERT_EQ(comm.size(), 3);
  const io::Dataset dataset = two_components();
  std::vector<int32_t> owner(80);
  for (int64_t v = 0; v < 80; ++v) owner[v] = v < 60 ? static_cast<int32_t>(v % 2) : 2;
  const partition::PartLayout layout = partition::plan_layout(dataset.graph, owner, 3);
  const DistGraph graph =
      dist_graph_from_part(partition::build_part(dataset, layout, comm.rank(), true), dataset.name);
  // Not vacuous: rank 2 has no halo and no boundary row; ranks 0 and 1 exchange.
  if (comm.rank() == 2) {
    ASSERT_EQ(graph.num_halo, 0);
    ASSERT_EQ(graph.num_inner, graph.num_owned);
  } else {
    ASSERT_GT(graph.num_halo, 0);
  }
  for (ModelKind model : {ModelKind::kGCN, ModelKind::kSAGE, ModelKind::kGAT}) {
    for (const char* bits : {"fwd=4,bwd=8", "adaptive"}) {
      for (bool overlap : {true, false}) {
        SCOPED_TRACE(::testing::Message() << model_name(model) << ", halo bits " << bits
                                          << (overlap ? ", overlap" : ", no overlap"));
        TrainConfig config;
        config.model = model;
        config.layers = 3;
        config.hidden = 8;
        config.heads = 2;
        config.epochs = 4;
        config.quiet = true;
        config.halo_bits_spec = bits;
        config.halo_bits = parse_halo_bits(bits, config.layers, &config.halo_adaptive);
        config.overlap = overlap;
        const TrainResult result = train(config, graph, comm);
        ASSERT_EQ(result.losses.size(), 4u);
        for (double loss : result.losses) EXPECT_TRUE(std::isfinite(loss)) << loss;
        // The loss is global: every rank reports the same one.
        double extremes[2] = {result.losses.back(), -result.losses.back()};
        comm.allreduce(std::span<double>(extremes, 2), comm::ReduceOp::kMax);
        EXPECT_EQ(extremes[0], -extremes[1]);
        EXPECT_GT(result.bytes_sent, 0);  // all ranks' bytes: ranks 0 and 1 exchanged
      }
    }
  }
}

}  // namespace
}  // namespace tango::trainer
