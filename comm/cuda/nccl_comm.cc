#include "comm/cuda/nccl_comm.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <thread>

#include "core/check_cuda.h"
#include "core/timer.h"
#include "kernels/cuda/cuda_context.h"

// An NCCL call; ncclInProgress is the normal answer in non-blocking mode (settle() finishes it).
#define TANGO_COMM_NCCL(call, peer)                                                            \
  do {                                                                                         \
    ncclResult_t tango_rc_ = (call);                                                           \
    if (tango_rc_ != ncclSuccess && tango_rc_ != ncclInProgress) [[unlikely]]                  \
      TANGO_FAIL("rank {}: NCCL call {} failed (peer {}): {} {}", host_.rank(), #call, (peer), \
                 ncclGetErrorString(tango_rc_), ncclGetLastError(comm_));                      \
  } while (0)

namespace tango::comm::cuda {

namespace {
ncclDataType_t nccl_type(DType dtype) {
  switch (dtype) {
    case DType::kF32: return ncclFloat32;
    case DType::kI64: return ncclInt64;
    case DType::kI32: return ncclInt32;
    case DType::kBF16: return ncclBfloat16;
    case DType::kI8: return ncclInt8;
    case DType::kU8: return ncclUint8;
  }
  return ncclUint8;
}
}  // namespace

NcclComm::NcclComm(Communicator& host, Device device) : host_(host), device_(device) {
  TANGO_CUDA_CHECK(cudaSetDevice(device.ordinal));
  ncclUniqueId id{};
  if (host.rank() == 0) TANGO_COMM_NCCL(ncclGetUniqueId(&id), -1);
  host.broadcast_bytes(&id, sizeof id, 0);
  ncclConfig_t config = NCCL_CONFIG_INITIALIZER;
  config.blocking = 0;
  TANGO_COMM_NCCL(ncclCommInitRankConfig(&comm_, host.size(), id, host.rank(), &config), -1);
  settle(comm_, "NCCL communicator set-up");
  // The gradient allreduces' own communicator (same ranks, same order), so they overlap the halo.
  ncclConfig_t reduce_config = NCCL_CONFIG_INITIALIZER;
  reduce_config.blocking = 0;
  TANGO_COMM_NCCL(ncclCommSplit(comm_, 0, host.rank(), &reduce_comm_, &reduce_config), -1);
  settle(comm_, "NCCL communicator split");
  settle(reduce_comm_, "NCCL communicator split");
  spdlog::debug("rank {}: NCCL ready on {} ({} ranks, 2 communicators)", host.rank(), device.str(),
                host.size());
}

namespace {
// Finalize flushes outstanding work; on any trouble (or past the timeout), abort instead of hanging.
void close_comm(ncclComm_t& comm, double timeout_s) {
  if (comm == nullptr) return;
  ncclCommFinalize(comm);
  Timer timer;
  ncclResult_t state = ncclInProgress;
  while (ncclCommGetAsyncError(comm, &state) == ncclSuccess && state == ncclInProgress &&
         timer.seconds() < timeout_s)
    std::this_thread::yield();
  if (state != ncclSuccess)
    ncclCommAbort(comm);
  else
    ncclCommDestroy(comm);
  comm = nullptr;
}
}  // namespace

NcclComm::~NcclComm() {
  if (collective_stream_ != nullptr) cudaStreamDestroy(collective_stream_);
  if (produced_ != nullptr) cudaEventDestroy(produced_);
  close_comm(reduce_comm_, host_.timeout_seconds());
  close_comm(comm_, host_.timeout_seconds());
}

cudaStream_t NcclComm::stream() const {
  return kernels::cuda::CudaContext::get(device_).stream();
}

void NcclComm::settle(ncclComm_t comm, std::string_view what, int peer) {
  Timer timer;
  while (true) {
    ncclResult_t state = ncclSuccess;
    TANGO_COMM_NCCL(ncclCommGetAsyncError(comm, &state), peer);
    if (state == ncclSuccess) return;
    if (state != ncclInProgress)
      host_.abort(fmt::format("{} failed in NCCL (peer {}): {} {}", what, peer, ncclGetErrorString(state),
                              ncclGetLastError(comm)));
    if (timer.seconds() > host_.timeout_seconds())
      host_.abort(
          fmt::format("{} timed out in NCCL after {:.0f} s (TANGO_COMM_TIMEOUT_S)", what, timer.seconds()));
    std::this_thread::yield();
  }
}

void NcclComm::allreduce(void* data, size_t count, DType dtype, ReduceOp op) {
  cudaStream_t s = stream();
  TANGO_COMM_NCCL(
      ncclAllReduce(data, data, count, nccl_type(dtype), op == ReduceOp::kSum ? ncclSum : ncclMax, comm_, s),
      -1);
  settle(comm_, "allreduce");
  wait(s, "allreduce");
}

void NcclComm::broadcast(void* data, size_t bytes, int root) {
  cudaStream_t s = stream();
  TANGO_COMM_NCCL(ncclBroadcast(data, data, bytes, ncclUint8, root, comm_, s), root);
  settle(comm_, "broadcast", root);
  wait(s, "broadcast");
}

void NcclComm::allreduce_async(void* data, size_t count, DType dtype, ReduceOp op, cudaEvent_t done) {
  if (collective_stream_ == nullptr) {
    TANGO_CUDA_CHECK(cudaStreamCreateWithFlags(&collective_stream_, cudaStreamNonBlocking));
    TANGO_CUDA_CHECK(cudaEventCreateWithFlags(&produced_, cudaEventDisableTiming));
  }
  TANGO_CUDA_CHECK(cudaEventRecord(produced_, stream()));
  TANGO_CUDA_CHECK(cudaStreamWaitEvent(collective_stream_, produced_, 0));
  TANGO_COMM_NCCL(ncclAllReduce(data, data, count, nccl_type(dtype), op == ReduceOp::kSum ? ncclSum : ncclMax,
                                reduce_comm_, collective_stream_),
                  -1);
  settle(reduce_comm_, "allreduce");
  TANGO_CUDA_CHECK(cudaEventRecord(done, collective_stream_));
}

void NcclComm::group_start() {
  TANGO_COMM_NCCL(ncclGroupStart(), -1);
}

void NcclComm::group_end() {
  ncclResult_t rc = ncclGroupEnd();
  if (rc != ncclSuccess && rc != ncclInProgress)
    TANGO_FAIL("rank {}: ncclGroupEnd failed: {} {}", host_.rank(), ncclGetErrorString(rc),
               ncclGetLastError(comm_));
  settle(comm_, "grouped send/recv");
}

void NcclComm::send(const void* data, size_t bytes, int peer, cudaStream_t stream) {
  TANGO_COMM_NCCL(ncclSend(data, bytes, ncclUint8, peer, comm_, stream), peer);
}

void NcclComm::recv(void* data, size_t bytes, int peer, cudaStream_t stream) {
  TANGO_COMM_NCCL(ncclRecv(data, bytes, ncclUint8, peer, comm_, stream), peer);
}

void NcclComm::check_async_errors(std::string_view what) {
  for (ncclComm_t comm : {comm_, reduce_comm_}) {
    if (comm == nullptr) continue;
    ncclResult_t state = ncclSuccess;
    TANGO_COMM_NCCL(ncclCommGetAsyncError(comm, &state), -1);
    if (state != ncclSuccess && state != ncclInProgress)
      host_.abort(
          fmt::format("{} failed in NCCL: {} {}", what, ncclGetErrorString(state), ncclGetLastError(comm)));
  }
}

bool NcclComm::query_done(cudaError_t rc, std::string_view what) {
  if (rc == cudaSuccess) return true;
  if (rc != cudaErrorNotReady)
    host_.abort(fmt::format("{} failed on the GPU: {}", what, cudaGetErrorString(rc)));
  return false;
}

bool NcclComm::ready(cudaStream_t stream, std::string_view what) {
  check_async_errors(what);
  return query_done(cudaStreamQuery(stream), what);
}

bool NcclComm::ready(cudaEvent_t event, std::string_view what) {
  check_async_errors(what);
  return query_done(cudaEventQuery(event), what);
}

template <class Handle>
void NcclComm::wait_until_done(Handle handle, std::string_view what) {
  Timer timer;
  while (!ready(handle, what)) {
    if (timer.seconds() > host_.timeout_seconds())
      host_.abort(fmt::format("{} timed out on the GPU after {:.0f} s (TANGO_COMM_TIMEOUT_S)", what,
                              timer.seconds()));
    std::this_thread::yield();
  }
}

void NcclComm::wait(cudaStream_t stream, std::string_view what) {
  wait_until_done(stream, what);
}

void NcclComm::wait(cudaEvent_t event, std::string_view what) {
  wait_until_done(event, what);
}

void NcclComm::abort() {
  for (ncclComm_t* comm : {&reduce_comm_, &comm_}) {
    if (*comm == nullptr) continue;
    ncclCommAbort(*comm);
    *comm = nullptr;
  }
}

}  // namespace tango::comm::cuda
