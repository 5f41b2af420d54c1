// NcclComm: the NCCL side of a Communicator (device buffers), compiled only with the CUDA backend.
//
// Bootstrapped over MPI: rank 0 makes the ncclUniqueId and broadcasts it; every rank then joins with
// ncclCommInitRankConfig in non-blocking mode (config.blocking = 0), so no NCCL call can hang the
// host. Every wait polls ncclCommGetAsyncError and cudaStreamQuery against the Communicator's
// timeout; an error or a timeout aborts the NCCL communicator and then the whole job.
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

  // Starts an in-place allreduce on the communicator's own stream, ordered after the work queued so
  // far on the kernel stream; returns that stream (cudaStream_t, as void*) for ready()/wait().
  void* allreduce_async(void* data, size_t count, DType dtype, ReduceOp op);

  // Grouped point-to-point: group_start(); send/recv per peer; group_end(); then wait(stream).
  void group_start();
  void group_end();
  void send(const void* data, size_t bytes, int peer, cudaStream_t stream);
  void recv(void* data, size_t bytes, int peer, cudaStream_t stream);

  // Waits until `stream` has drained, polling NCCL's async error; aborts the job on an NCCL error
  // or after the timeout, naming `what`.
  void wait(cudaStream_t stream, std::string_view what);
  // True once `stream` has drained (one poll; errors abort as in wait()).
  bool ready(cudaStream_t stream, std::string_view what);
  // Aborts the NCCL communicator (used on the way out of a failed job).
  void abort();

 private:
  // Polls until the communicator's pending non-blocking call has finished; fails on an error.
  void settle(std::string_view what, int peer = -1);

  Communicator& host_;
  cudaStream_t collective_stream_ = nullptr;
  cudaEvent_t produced_ = nullptr;
  Device device_;
  ncclComm_t comm_ = nullptr;
};

}  // namespace tango::comm::cuda
