#include "comm/async_allreduce.h"

#include "core/check_mpi.h"

#ifdef TANGO_HAVE_CUDA
#include "comm/cuda/nccl_comm.h"
#include "core/check_cuda.h"
#endif

namespace tango::comm {

namespace {
MPI_Datatype mpi_type_of(DType dtype) {
  switch (dtype) {
    case DType::kF32: return MPI_FLOAT;
    case DType::kI64: return MPI_INT64_T;
    case DType::kI32: return MPI_INT32_T;
    default: return MPI_DATATYPE_NULL;
  }
}
}  // namespace

AsyncAllreduce::AsyncAllreduce(Communicator& comm, Tensor& tensor, ReduceOp op)
    : comm_(comm), tensor_(tensor) {
  MPI_Datatype type = mpi_type_of(tensor.dtype());
  TANGO_CHECK(type != MPI_DATATYPE_NULL, "rank {}: allreduce supports f32, i64 and i32 tensors, got {}",
              comm.rank(), tensor.str());
#ifdef TANGO_HAVE_CUDA
  if (tensor.device().is_cuda()) {
    cuda::NcclComm& nccl = comm.nccl();
    cudaEvent_t event;
    TANGO_CUDA_CHECK(cudaEventCreateWithFlags(&event, cudaEventDisableTiming));
    done_event_ = event;
    nccl.allreduce_async(tensor.raw_data(), static_cast<size_t>(tensor.numel()), tensor.dtype(), op, event);
    return;
  }
#endif
  TANGO_CHECK_INPUT(tensor.device().is_cpu(), "rank {}: allreduce of {} needs enable_device() first",
                    comm.rank(), tensor.str());
  int rc = MPI_Iallreduce(MPI_IN_PLACE, tensor.raw_data(), static_cast<int>(tensor.numel()), type,
                          op == ReduceOp::kSum ? MPI_SUM : MPI_MAX, comm.mpi_comm(), &request_);
  TANGO_CHECK(rc == MPI_SUCCESS, "rank {}: starting an allreduce of {} failed: {}", comm.rank(), tensor.str(),
              ::tango::detail::mpi_error_string(rc));
}

AsyncAllreduce::~AsyncAllreduce() {
  if (!done_) wait();
#ifdef TANGO_HAVE_CUDA
  if (done_event_ != nullptr) cudaEventDestroy(static_cast<cudaEvent_t>(done_event_));
#endif
}

bool AsyncAllreduce::test() {
  if (done_) return true;
#ifdef TANGO_HAVE_CUDA
  if (done_event_ != nullptr)
    return done_ = comm_.nccl().ready(static_cast<cudaEvent_t>(done_event_), "allreduce");
#endif
  int no_peer = -1;
  return done_ = comm_.test_all({&request_, 1}, {&no_peer, 1}, "allreduce");
}

void AsyncAllreduce::wait() {
  if (done_) return;
#ifdef TANGO_HAVE_CUDA
  if (done_event_ != nullptr) {
    comm_.nccl().wait(static_cast<cudaEvent_t>(done_event_), "allreduce");
    done_ = true;
    return;
  }
#endif
  int no_peer = -1;
  comm_.wait_all({&request_, 1}, {&no_peer, 1}, "allreduce");
  done_ = true;
}

}  // namespace tango::comm
