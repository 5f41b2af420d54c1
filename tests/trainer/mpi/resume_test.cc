// Checkpoint + --resume continue bit-identically: 10 epochs straight equal 5 epochs, a resume, and 5
// more, in the exact bits of every weight and every epoch's loss, on 2 ranks with dropout on (its
// masks are keyed by the epoch, so nothing but the checkpoint carries state). Also: resuming under
// another configuration is an input error.
#include <gtest/gtest.h>

#include <cstring>

#include "comm/communicator.h"
#include "core/error.h"
#include "tests/common/test_data.h"
#include "tests/trainer/trainer_test_graphs.h"
#include "trainer/part_loader.h"
#include "trainer/train.h"

namespace tango::trainer {
namespace {

class Resume : public ::testing::Test {
 protected:
  void SetUp() override {
    Dataset dataset = testing::random_dataset(300, 8, 12, 4, 23);
    graph_ = comm_.size() == 1 ? dist_graph_from_dataset(dataset)
                               : partition_in_memory(dataset, comm_.size(), comm_.rank(), 1);
    config_.hidden = 16;
    config_.dropout = 0.5;
    config_.quiet = true;
    config_.halo_bits.assign(2, HaloBits{});
  }

  // Every rank writes into its own copy of the same folder name: rank 0 creates it, all share it.
  std::string shared_dir(const std::string& name) {
    std::string path = (dir_.path() / name).string();
    std::vector<char> buffer(path.begin(), path.end());
    buffer.resize(4096, '\0');
    comm_.broadcast_bytes(buffer.data(), buffer.size(), 0);
    return std::string(buffer.data());
  }

  comm::Communicator comm_;
  DistGraph graph_;
  TrainConfig config_;
  tango::testing::TempDir dir_;
};

bool same_bits(const Tensor& a, const Tensor& b) {
  return a.numel() == b.numel() && std::memcmp(a.raw_data(), b.raw_data(), a.nbytes()) == 0;
}

TEST_F(Resume, TenEpochsEqualFivePlusResumePlusFiveBitForBit) {
  TrainConfig straight = config_;
  straight.epochs = 10;
  straight.checkpoint_dir = shared_dir("straight");
  const TrainResult full = train(straight, graph_, comm_);

  TrainConfig first = config_;
  first.epochs = 5;
  first.checkpoint_dir = shared_dir("split");
  const TrainResult head = train(first, graph_, comm_);
  TrainConfig second = first;
  second.epochs = 10;
  second.resume = true;
  const TrainResult tail = train(second, graph_, comm_);

  ASSERT_EQ(head.losses.size(), 5u);
  ASSERT_EQ(tail.losses.size(), 5u);
  for (size_t e = 0; e < 10; ++e) {
    const double resumed = e < 5 ? head.losses[e] : tail.losses[e - 5];
    EXPECT_EQ(std::memcmp(&resumed, &full.losses[e], sizeof(double)), 0)
        << "epoch " << e + 1 << ": " << resumed << " vs " << full.losses[e];
  }
  ASSERT_EQ(full.weights.size(), tail.weights.size());
  for (const auto& [name, weight] : full.weights) {
    EXPECT_TRUE(same_bits(weight, tail.weights.at(name))) << name;
  }
  EXPECT_EQ(tail.epochs, 10);
  EXPECT_EQ(tail.best_epoch, full.best_epoch);
  EXPECT_EQ(tail.test_acc, full.test_acc);
  EXPECT_EQ(tail.best_valid_acc, full.best_valid_acc);
}

TEST_F(Resume, ResumingUnderAnotherConfigurationIsAnInputError) {
  TrainConfig first = config_;
  first.epochs = 2;
  first.checkpoint_dir = shared_dir("changed");
  train(first, graph_, comm_);
  TrainConfig changed = first;
  changed.epochs = 4;
  changed.resume = true;
  changed.lr = 0.05;
  try {
    train(changed, graph_, comm_);
    FAIL() << "resumed under another configuration";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput) << e.what();
  }
}

}  // namespace
}  // namespace tango::trainer
