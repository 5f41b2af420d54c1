// Quantized training (--precision int8: INT8 GEMM and SpMM forward and backward, FP32 elsewhere) reaches
// within 1 percentage point of fp32 on cora in a short run (test accuracy at the best validation
// epoch), on one rank and, with int4 forward / int8 backward halos, on the ranks of this job.
#include <gtest/gtest.h>

#include <cstdio>

#include "comm/communicator.h"
#include "io/ogb_reader.h"
#include "tests/common/test_data.h"
#include "trainer/part_loader.h"
#include "trainer/train.h"

namespace tango::trainer {
namespace {

TEST(Int8Training, CoraWithinOnePointOfFp32) {
  TANGO_REQUIRE_DATASET(dir, "cora");
  comm::Communicator comm;
  io::Dataset cora = io::read_ogb_dir(dir);
  DistGraph graph = comm.size() == 1 ? dist_graph_from_dataset(cora)
                                     : partition_in_memory(cora, comm.size(), comm.rank(), 1);
  normalize_input_rows(graph);
  TrainConfig config;
  config.hidden = 16;
  config.epochs = 60;
  config.quiet = true;
  config.halo_bits.assign(2, HaloBits{});
  const TrainResult fp32 = train(config, graph, comm);
  config.precision = Precision::kINT8;
  if (comm.size() > 1) config.halo_bits.assign(2, HaloBits{4, 8});
  const TrainResult int8 = train(config, graph, comm);
  if (comm.rank() == 0) {
    std::printf("cora, %d rank(s), 60 epochs: fp32 test %.4f, int8 test %.4f%s\n", comm.size(), fp32.test_acc,
                int8.test_acc, comm.size() > 1 ? " (int4 fwd / int8 bwd halos)" : "");
  }
  EXPECT_GT(fp32.test_acc, 0.75);
  EXPECT_NEAR(int8.test_acc, fp32.test_acc, 0.01);
  if (comm.size() > 1) {
    EXPECT_LT(int8.bytes_sent, fp32.bytes_sent / 3);
  }
}

}  // namespace
}  // namespace tango::trainer
