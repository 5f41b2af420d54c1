// GradientReducer: the weight-gradient allreduce, one bucket per layer, overlapped with backward.
//
// Every parameter's gradient is a view into one flat f32 buffer in which each layer's gradients form
// one contiguous slice (its bucket). Backward runs from the last layer to the first; with overlap,
// layer l's bucket starts its allreduce (comm::AsyncAllreduce: MPI_Iallreduce on host tensors, NCCL
// on a side stream for CUDA ones) as soon as layer l's backward has returned, and it runs while the
// layers below compute; finish() waits for every bucket before the optimizer step. Without overlap,
// finish() starts the same buckets in the same order and waits. Both modes make the same calls on the
// same slices, so the sums have the same bits. (One flat call and per-layer calls need not: an MPI
// library may pick its algorithm, and so each element's summation order, from the message length.
// Open MPI 4.1 here gave the same bits both ways at 3 ranks: tests/trainer/mpi/gradient_reducer_test.cc.)
//
// Progress on the MPI path: Open MPI has no progress thread by default, so a non-blocking collective
// advances only inside MPI calls (bench BM_AllreduceProgress: an Iallreduce left alone during 30 ms of
// compute had made no progress; one tested every 0.5 ms was done, at 2 ranks). layer_done() and progress(),
// which the layers call between their kernels, test every bucket in flight; the halo exchanges of the layers
// below (their waits poll MPI_Testsome) drive the same progress engine.
#pragma once

#include <memory>
#include <utility>
#include <vector>

#include "comm/async_allreduce.h"
#include "comm/communicator.h"
#include "trainer/layers/layer.h"

namespace tango::trainer {

class GradientReducer {
 public:
  // layers[l]: layer l's parameters. Their grads become zeroed views into flat() (each gradient on
  // a 256-byte boundary on GPUs). Every rank must pass the same shapes.
  GradientReducer(comm::Communicator& comm, const std::vector<std::vector<Parameter*>>& layers, Device device,
                  bool overlap);

  // Layer `layer`'s gradients are final. Layers report from the last to the first (every rank must
  // start its allreduces in the same order). With overlap, starts the layer's allreduce and drives
  // the progress of those in flight; without, does nothing.
  void layer_done(int layer);
  // Drives the progress of the buckets in flight (one MPI_Test each; a no-op when none is).
  void progress();
  // Sums every bucket over the ranks (starting those not started yet, last layer first) and returns
  // when all are done; the next epoch may then report layers again.
  void finish();

  Tensor& flat() { return flat_; }
  int num_layers() const { return static_cast<int>(buckets_.size()); }
  // Allreduces started in overlap mode before finish(), summed over epochs (what overlap can hide).
  int64_t started_early() const { return started_early_; }

 private:
  void start(int layer);

  comm::Communicator& comm_;
  bool overlap_;
  Tensor flat_;
  std::vector<std::pair<int64_t, int64_t>> buckets_;  // [begin, end) of each layer in flat_
  std::vector<std::unique_ptr<comm::AsyncAllreduce>> in_flight_;
  int next_report_ = 0;  // the layer whose turn it is to report (counting down)
  int next_start_ = 0;   // the next bucket to start (counting down)
  int64_t started_early_ = 0;
};

}  // namespace tango::trainer
