// GradientReducer: per-layer buckets of one flat gradient buffer, summed over the ranks. Overlapped
// (each bucket started as its layer reports, last layer first) and sequential (all started in
// finish()) give the same bits; both equal the rank-order sum (exactly at 2 ranks, where a float sum
// does not depend on the order, within float rounding at 3); a layer without parameters and one rank
// are no-ops; layers must report last to first. Runs as 3 ranks; each K uses the first K ranks.
#include "trainer/gradient_reducer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "comm/communicator.h"

namespace tango::trainer {
namespace {

// Four layers: two parameters, none, one, one large. Values differ per rank, element and layer, with
// magnitudes far apart so a different summation order shows in the last bits.
struct Layers {
  std::vector<Parameter> storage;
  std::vector<std::vector<Parameter*>> layers;
  Layers() {
    storage.push_back(make_parameter("l0.w", Shape::mat(5, 7)));
    storage.push_back(make_parameter("l0.b", Shape::vec(7)));
    storage.push_back(make_parameter("l2.w", Shape::mat(33, 3)));
    storage.push_back(make_parameter("l3.w", Shape::mat(4096, 17)));
    layers = {{&storage[0], &storage[1]}, {}, {&storage[2]}, {&storage[3]}};
  }
  void fill(int rank, int epoch) {
    for (size_t i = 0; i < storage.size(); ++i) {
      float* g = storage[i].grad.data<float>();
      for (int64_t j = 0; j < storage[i].grad.numel(); ++j) {
        const double scale = std::pow(10.0, static_cast<double>((j + rank * 3 + epoch) % 9) - 4.0);
        g[j] = static_cast<float>(scale * std::sin(1.0 + static_cast<double>(j) * 0.37 + rank * 1.3 + i));
      }
    }
  }
  std::vector<float> all() const {
    std::vector<float> out;
    for (const Parameter& p : storage) {
      const std::vector<float> v = p.grad.to_vector<float>();
      out.insert(out.end(), v.begin(), v.end());
    }
    return out;
  }
};

// Reduces with one reducer over `epochs` epochs; returns the last epoch's sums and the reducer's count
// of early starts.
std::pair<std::vector<float>, int64_t> reduce(comm::Communicator& comm, bool overlap, int epochs) {
  Layers layers;
  GradientReducer reducer(comm, layers.layers, Device::cpu(), overlap);
  for (int epoch = 0; epoch < epochs; ++epoch) {
    layers.fill(comm.rank(), epoch);
    for (int l = reducer.num_layers() - 1; l >= 0; --l) reducer.layer_done(l);
    reducer.finish();
  }
  return {layers.all(), reducer.started_early()};
}

// Runs `body` on a communicator of the first k world ranks.
template <class Body>
void on_k_ranks(int k, Body body) {
  int world_rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &world_rank);
  MPI_Comm group = MPI_COMM_NULL;
  MPI_Comm_split(MPI_COMM_WORLD, world_rank < k ? 0 : MPI_UNDEFINED, world_rank, &group);
  if (group == MPI_COMM_NULL) return;
  {
    comm::Communicator comm(group);
    body(comm);
  }
  MPI_Comm_free(&group);
}

TEST(GradientReducer, OverlappedEqualsSequentialBitForBitAndTheRankOrderSum) {
  int world_size = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &world_size);
  for (int k = 2; k <= world_size; ++k) {
    on_k_ranks(k, [&](comm::Communicator& comm) {
      SCOPED_TRACE(::testing::Message() << "K = " << k);
      const auto [overlapped, early] = reduce(comm, true, 2);
      const auto [sequential, none_early] = reduce(comm, false, 2);
      EXPECT_EQ(early, 2 * 3);  // 3 non-empty buckets per epoch, each started by layer_done
      EXPECT_EQ(none_early, 0);
      ASSERT_EQ(overlapped.size(), sequential.size());
      EXPECT_EQ(std::memcmp(overlapped.data(), sequential.data(), overlapped.size() * sizeof(float)), 0);

      // Every rank's inputs of the last epoch, summed in rank order.
      std::vector<float> reference;
      for (int r = 0; r < comm.size(); ++r) {
        Layers layers;
        layers.fill(r, 1);
        const std::vector<float> mine = layers.all();
        if (reference.empty()) reference.assign(mine.size(), 0.0f);
        for (size_t i = 0; i < mine.size(); ++i) reference[i] += mine[i];
      }
      int64_t differing = 0;
      for (size_t i = 0; i < reference.size(); ++i) {
        if (k == 2) {
          EXPECT_EQ(overlapped[i], reference[i]) << "element " << i;
        } else {
          EXPECT_NEAR(overlapped[i], reference[i], 1e-6f * std::fabs(reference[i]) + 1e-30f)
              << "element " << i;
        }
        differing += overlapped[i] != reference[i] ? 1 : 0;
      }
      if (comm.rank() == 0)
        std::printf("K = %d: %lld of %zu sums differ from the rank-order float sum in some bit\n", k,
                    static_cast<long long>(differing), reference.size());
    });
  }
}

// What one flat allreduce (the pre-bucket trainer) gives on this MPI: printed, not asserted, since
// it is up to the MPI library whether the summation order depends on the message length.
TEST(GradientReducer, ReportsWhetherBucketsMatchOneFlatAllreduce) {
  int world_size = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &world_size);
  on_k_ranks(world_size, [&](comm::Communicator& comm) {
    const std::vector<float> buckets = reduce(comm, true, 1).first;
    Layers layers;
    layers.fill(comm.rank(), 0);
    std::vector<float> flat = layers.all();
    comm.allreduce(std::span<float>(flat), comm::ReduceOp::kSum);
    int64_t differing = 0;
    for (size_t i = 0; i < flat.size(); ++i) differing += flat[i] != buckets[i] ? 1 : 0;
    if (comm.rank() == 0)
      std::printf("K = %d: per-layer buckets vs one flat allreduce: %lld of %zu sums differ\n", comm.size(),
                  static_cast<long long>(differing), flat.size());
    SUCCEED();
  });
}

TEST(GradientReducer, OneRankLeavesTheGradientsAndGradsAreViewsOfTheFlatBuffer) {
  on_k_ranks(1, [&](comm::Communicator& comm) {
    Layers layers;
    GradientReducer reducer(comm, layers.layers, Device::cpu(), true);
    layers.fill(0, 0);
    const std::vector<float> before = layers.all();
    // Every gradient is a view: the flat buffer holds them all (no padding on the host).
    ASSERT_EQ(reducer.flat().numel(), static_cast<int64_t>(before.size()));
    EXPECT_EQ(reducer.flat().to_vector<float>(), before);
    for (int l = reducer.num_layers() - 1; l >= 0; --l) reducer.layer_done(l);
    reducer.finish();
    EXPECT_EQ(layers.all(), before);
    EXPECT_EQ(reducer.started_early(), 0);  // nothing to sum with one rank
  });
}

TEST(GradientReducer, LayersMustReportLastToFirst) {
  on_k_ranks(1, [&](comm::Communicator& comm) {
    Layers layers;
    GradientReducer reducer(comm, layers.layers, Device::cpu(), true);
    EXPECT_THROW(reducer.layer_done(0), Error);
    reducer.layer_done(3);
    EXPECT_THROW(reducer.layer_done(1), Error);
  });
}

}  // namespace
}  // namespace tango::trainer
