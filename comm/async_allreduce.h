// AsyncAllreduce: an in-place allreduce that runs while the caller keeps computing, e.g. a layer's
// weight gradient summed across ranks while backward goes on with the layers below it.
//
// Construction starts it (MPI_Iallreduce on host tensors; on CUDA tensors ncclAllReduce on the NCCL
// side stream and communicator of allreduce_async, after the tensor's producing kernels, followed by
// an event of this reduction's own); test() drives progress (on CUDA: polls that event, so an early
// bucket is done as soon as it is, not when the buckets queued after it are); wait() finishes it
// under the communicator's timeout (a hang aborts the job, as every wait in comm/). The destructor
// waits if the caller did not. Every rank must start its allreduces in the same order.
#pragma once

#include <mpi.h>

#include "comm/communicator.h"
#include "core/tensor.h"

namespace tango::comm {

class AsyncAllreduce {
 public:
  AsyncAllreduce(Communicator& comm, Tensor& tensor, ReduceOp op);
  ~AsyncAllreduce();
  AsyncAllreduce(const AsyncAllreduce&) = delete;
  AsyncAllreduce& operator=(const AsyncAllreduce&) = delete;

  bool test();
  void wait();
  bool done() const { return done_; }

 private:
  Communicator& comm_;
  Tensor tensor_;  // keeps the storage alive while the reduction runs
  MPI_Request request_ = MPI_REQUEST_NULL;
  void* done_event_ = nullptr;  // device path: recorded after this reduction (cudaEvent_t)
  bool done_ = false;
};

}  // namespace tango::comm
