// Training on CUDA computes what training on the CPU computes: the same graph, weights and keyed dropout
// masks on both devices, so the per-epoch losses differ only by float reassociation (fp32: cuBLAS and the
// CUDA SpMM/reductions sum in another order) or, under int8, by the codes such differences flip.
// Skipped without a GPU; run on one (or one per rank) by tests/gpu/run.sh. Also: --device cuda without a
// GPU is an input error on every rank (that test runs where there is no GPU).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "comm/communicator.h"
#include "core/device.h"
#include "core/error.h"
#include "tests/trainer/trainer_test_graphs.h"
#include "trainer/part_loader.h"
#include "trainer/train.h"

namespace tango::trainer {
namespace {

constexpr int kEpochs = 20;

// Relative tolerance of an fp32 loss. Reassociating a sum of n terms moves it by at most (n - 1) u of the
// sum of magnitudes (u = 2^-24). The longest reduction here has at most 64 terms (32 features, hidden 16,
// degrees well under 64); each epoch runs 4 such passes in sequence (2 layers forward and backward), and
// Adam carries the difference from epoch to epoch, so after e epochs: e * 4 * 64 * u.
double fp32_tolerance(int epoch) {
  return (epoch + 1) * 4.0 * 64.0 * std::ldexp(1.0, -24);
}

// INT8: a difference of one rounding in the FP32 input of a quantizer moves a code by at most one step,
// 1/127 of the tensor's amax; a few such flips per tensor move the loss by a small multiple of that
// step. We allow two steps, relative.
constexpr double kInt8Tolerance = 2.0 / 127.0;

DistGraph test_graph(comm::Communicator& comm) {
  io::Dataset dataset = testing::random_dataset(3000, 8, 32, 5, 17);
  return comm.size() == 1 ? dist_graph_from_dataset(dataset)
                          : partition_in_memory(dataset, comm.size(), comm.rank(), 1);
}

TrainConfig base_config(ModelKind model, Precision precision) {
  TrainConfig config;
  config.model = model;
  config.precision = precision;
  config.hidden = 16;
  config.heads = 4;
  config.epochs = kEpochs;
  config.dropout = 0.5;  // keyed by global id: the same masks on both devices
  config.attn_dropout = model == ModelKind::kGAT ? 0.3 : 0.0;
  config.eval_every = 5;
  config.quiet = true;
  config.halo_bits.assign(2, HaloBits{});
  return config;
}

class TrainOnCuda : public ::testing::TestWithParam<std::tuple<ModelKind, Precision>> {};

TEST_P(TrainOnCuda, LossesMatchTheCpu) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device: " << describe_devices();
  comm::Communicator comm;
  const auto [model, precision] = GetParam();
  DistGraph graph = test_graph(comm);
  TrainConfig config = base_config(model, precision);
  config.device = "cpu";
  const TrainResult cpu = train(config, graph, comm);
  config.device = "cuda";
  const TrainResult gpu = train(config, graph, comm);
  ASSERT_EQ(cpu.device, "cpu");
  ASSERT_EQ(gpu.device.rfind("cuda:", 0), 0u) << gpu.device;
  EXPECT_EQ(gpu.summary["device"], gpu.device);
  ASSERT_EQ(cpu.losses.size(), static_cast<size_t>(kEpochs));
  ASSERT_EQ(gpu.losses.size(), static_cast<size_t>(kEpochs));
  double worst = 0.0;
  for (int e = 0; e < kEpochs; ++e) {
    const double relative = std::fabs(gpu.losses[e] - cpu.losses[e]) / std::fabs(cpu.losses[e]);
    worst = std::max(worst, relative);
    const double tolerance = precision == Precision::kINT8 ? kInt8Tolerance : fp32_tolerance(e);
    EXPECT_LE(relative, tolerance) << "epoch " << e + 1 << ": cpu " << cpu.losses[e] << " cuda "
                                   << gpu.losses[e];
  }
  EXPECT_LT(cpu.losses.back(), cpu.losses.front());  // it trained
  if (comm.rank() == 0)
    std::printf("%s %s: max relative loss difference cuda vs cpu over %d epochs: %.3g\n", model_name(model),
                precision == Precision::kINT8 ? "int8" : "fp32", kEpochs, worst);
  // The weights come back to the host for the caller.
  for (const auto& [name, weight] : gpu.weights) EXPECT_TRUE(weight.device().is_cpu()) << name;
}

INSTANTIATE_TEST_SUITE_P(Models, TrainOnCuda,
                         ::testing::Combine(::testing::Values(ModelKind::kGCN, ModelKind::kSAGE,
                                                              ModelKind::kGAT),
                                            ::testing::Values(Precision::kFP32, Precision::kINT8)));

TEST(DeviceChoice, RequestedGpuMissingIsAnInputErrorOnEveryRank) {
  if (cuda_device_count() > 0) GTEST_SKIP() << "a GPU is visible here; this checks the error without one";
  comm::Communicator comm;
  DistGraph graph = test_graph(comm);
  TrainConfig config = base_config(ModelKind::kGCN, Precision::kFP32);
  config.epochs = 1;
  config.device = "cuda";
  try {
    train(config, graph, comm);
    FAIL() << "--device cuda trained without a GPU";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput);
    EXPECT_EQ(e.exit_code(), 2);
    const std::string what = e.what();
    EXPECT_NE(what.find("--device cuda"), std::string::npos) << what;
    EXPECT_NE(what.find("--device cpu"), std::string::npos) << what;
  }
  // auto falls back to the CPU on every rank.
  config.device = "auto";
  const TrainResult result = train(config, graph, comm);
  EXPECT_EQ(result.device, "cpu");
  EXPECT_EQ(result.summary["device"], "cpu");
  EXPECT_EQ(result.summary["config"]["resolved_device"], "cpu");
  EXPECT_EQ(result.summary["config"]["device"], "auto");
}

}  // namespace
}  // namespace tango::trainer
