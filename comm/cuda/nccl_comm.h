// NcclComm: the NCCL side of a Communicator (device buffers), compiled only with the CUDA backend.
//
// Bootstrapped over MPI: rank 0 makes the ncclUniqueId and broadcasts it; every rank then joins with
// ncclCommInitRankConfig in non-blocking mode (config.blocking = 0), so no NCCL call can hang the
// host. Every wait polls ncclCommGetAsyncError and cudaStreamQuery / cudaEventQuery against the
// Communicator's timeout; an error or a timeout aborts the NCCL communicators and then the whole job.
//
// Two NCCL communicators over the same ranks: the main one (halo exchanges' grouped send/recv, the
// blocking collectives) and one split off it for allreduce_async (the weight-gradient buckets). NCCL
// runs the operations of one communicator one after another whatever their streams, so with one
// communicator a gradient bucket would wait for the halo exchange posted before it (and the reverse);
// with two, each keeps its own order (every rank posts each one's operations in the same order) and
// the two overlap. Their kernels must be able to run at once, which they can on any GPU that is not
// running with CUDA_LAUNCH_BLOCKING=1.
#pragma once

#include <cuda_runtime_api.h>
#include <nccl.h>

#include <cstddef>
#include <string_view>

#include "comm/communicator.h"

namespace tango::comm::cuda {

class NcclComm {
 public:
  // Collective over all ranks of `host`; makes `device` current.
  NcclComm(Communicator& host, Device device);
  ~NcclComm();
  NcclComm(const NcclComm&) = delete;
  NcclComm& operator=(const NcclComm&) = delete;

  ncclComm_t raw() const { return comm_; }
  Device device() const { return device_; }
  // The device's kernel stream (kernels::cuda::CudaContext): collectives queue behind the kernels.
  cudaStream_t stream() const;

  // Blocking (with timeout) in-place collectives on device memory.
  void allreduce(void* data, size_t count, DType dtype, ReduceOp op);
  void broadcast(void* data, size_t bytes, int root);

  // Starts an in-place allreduce on the second communicator and its own stream, ordered after the
  // work queued so far on the kernel stream, and records `done` (made by the caller) after it: each
  // bucket has its own event, so ready(done) is not held back by the buckets started after it.
  void allreduce_async(void* data, size_t count, DType dtype, ReduceOp op, cudaEvent_t done);

  // Grouped point-to-point: group_start(); send/recv per peer; group_end(); then wait(stream).
  void group_start();
  void group_end();
  void send(const void* data, size_t bytes, int peer, cudaStream_t stream);
  void recv(void* data, size_t bytes, int peer, cudaStream_t stream);

  // Waits until `stream` has drained (or `event` has completed), polling NCCL's async errors; aborts
  // the job on an NCCL error or after the timeout, naming `what`.
  void wait(cudaStream_t stream, std::string_view what);
  void wait(cudaEvent_t event, std::string_view what);
  // True once `stream` has drained (or `event` has completed); one poll, errors abort as in wait().
  bool ready(cudaStream_t stream, std::string_view what);
  bool ready(cudaEvent_t event, std::string_view what);
  // Aborts the NCCL communicators (used on the way out of a failed job).
  void abort();

 private:
  // Polls until `comm`'s pending non-blocking call has finished; fails on an error.
  void settle(ncclComm_t comm, std::string_view what, int peer = -1);
  // Aborts the job if either communicator reports an asynchronous error.
  void check_async_errors(std::string_view what);
  // cudaSuccess / cudaErrorNotReady of a stream or event query; anything else aborts the job.
  bool query_done(cudaError_t rc, std::string_view what);
  template <class Handle>
  void wait_until_done(Handle handle, std::string_view what);

  Communicator& host_;
  cudaStream_t collective_stream_ = nullptr;
  cudaEvent_t produced_ = nullptr;
  Device device_;
  ncclComm_t comm_ = nullptr;
  ncclComm_t reduce_comm_ = nullptr;  // split off comm_: allreduce_async only
};

}  // namespace tango::comm::cuda
