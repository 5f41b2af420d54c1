// Communicator: the one object per rank through which all inter-rank traffic goes.
//
// MPI is always there (host buffers: the CPU path, the fallback and the NCCL bootstrap); NCCL is
// added for CUDA tensors with enable_device(), one rank per GPU (comm/gpu_assignment.h). Collectives
// on a Tensor pick the transport from the tensor's device.
//
// Nothing waits forever: every wait polls (MPI_Test* / ncclCommGetAsyncError) against a deadline of
// TANGO_COMM_TIMEOUT_S seconds; past it the rank logs what it was waiting for, aborts the
// communicators and exits non-zero, which makes mpirun tear the job down. Every MPI/NCCL failure
// becomes a tango::Error naming this rank (and the peer, for point-to-point).
#pragma once

#include <mpi.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "comm/liveness.h"
#include "core/tensor.h"

namespace tango::comm {

enum class ReduceOp { kSum, kMax };

#ifdef TANGO_HAVE_CUDA
namespace cuda {
class NcclComm;
}
#endif

class Communicator {
 public:
  // Duplicates `parent` (so Tango's tags never meet anyone else's) and sets MPI_ERRORS_RETURN on it.
  explicit Communicator(MPI_Comm parent = MPI_COMM_WORLD);
  ~Communicator();
  Communicator(const Communicator&) = delete;
  Communicator& operator=(const Communicator&) = delete;

  int rank() const { return rank_; }
  int size() const { return size_; }
  // Rank and rank count among the processes on this node (MPI_COMM_TYPE_SHARED).
  int local_rank() const { return local_rank_; }
  int local_size() const { return local_size_; }
  MPI_Comm mpi_comm() const { return comm_; }
  // The host (MPI_Get_processor_name) each rank runs on, gathered once at construction, so that
  // errors and timeouts name the host behind a peer ("rank 2 on node07").
  const std::string& host_of(int rank) const { return hosts_.at(static_cast<size_t>(rank)); }
  // Distinct hosts among the ranks.
  int num_hosts() const;

  // Seconds any wait may take before the job is aborted (TANGO_COMM_TIMEOUT_S by default).
  double timeout_seconds() const { return timeout_s_; }
  void set_timeout_seconds(double seconds);

  // In-place collectives on a whole tensor (f32, i64 or i32; bf16 only for broadcast). Host
  // tensors go through MPI, CUDA tensors through NCCL (enable_device() first).
  void allreduce(Tensor& tensor, ReduceOp op);
  void broadcast(Tensor& tensor, int root);
  void barrier();

  // Host values, in place: element-wise over all ranks.
  void allreduce(std::span<float> values, ReduceOp op);
  void allreduce(std::span<double> values, ReduceOp op);
  void allreduce(std::span<int64_t> values, ReduceOp op);
  template <class T>
  T allreduce(T value, ReduceOp op) {
    allreduce(std::span<T>(&value, 1), op);
    return value;
  }
  void broadcast_bytes(void* data, size_t bytes, int root);
  // Every rank's `value`, indexed by rank (small trivially copyable values: counts, flags, stats).
  template <class T>
  std::vector<T> allgather(const T& value) {
    static_assert(std::is_trivially_copyable_v<T>);
    std::vector<T> all(static_cast<size_t>(size_));
    allgather_bytes(&value, all.data(), sizeof(T));
    return all;
  }
  void allgather_bytes(const void* mine, void* all, size_t bytes_per_rank);
  // Every rank's `bytes` bytes gathered at `root` in rank order (root gets them all, other ranks an empty
  // vector); at root, *bytes_per_rank (when given) gets each rank's count. Under 2 GiB in all.
  std::vector<char> gather_bytes(const void* mine, size_t bytes, int root,
                                 std::vector<int64_t>* bytes_per_rank = nullptr);

  // Waits for `requests` (completed ones become MPI_REQUEST_NULL). peers[i] names the rank behind
  // requests[i] (-1: a collective) for the error and timeout messages; `what` says what they carry.
  // Polls with MPI_Testsome; past the timeout it aborts the job naming the peers still missing.
  void wait_all(std::span<MPI_Request> requests, std::span<const int> peers, std::string_view what);
  // One non-blocking progress step on `requests`: true when all are complete.
  bool test_all(std::span<MPI_Request> requests, std::span<const int> peers, std::string_view what);

  // Logs `why` with this rank, aborts NCCL (if any) and MPI, and exits with exit_code.
  [[noreturn]] void abort(std::string_view why, int exit_code = 1) const;

  // Creates the NCCL communicator over all ranks on `device` (a CUDA device; every rank calls this
  // collectively). device_for_local_rank() is the usual choice (comm/gpu_assignment.h: device 0 when
  // the rank sees one GPU, else the GPU of its node-local rank; an input error when there are fewer
  // GPUs than ranks on the node).
  void enable_device(Device device);
  bool device_enabled() const;
  Device device() const { return device_; }
  Device device_for_local_rank() const;
#ifdef TANGO_HAVE_CUDA
  cuda::NcclComm& nccl();
#endif

 private:
  void check_host(const Tensor& tensor, std::string_view what) const;
  // "; no heartbeat for 8 s from rank 2 on node07" for a timeout message (empty: all answer).
  std::string silence_report() const;

  MPI_Comm comm_ = MPI_COMM_NULL;
  int rank_ = 0;
  int size_ = 1;
  int local_rank_ = 0;
  int local_size_ = 1;
  double timeout_s_ = 300;
  std::vector<std::string> hosts_;
  Liveness liveness_{MPI_COMM_NULL, 0, 1};  // heartbeats during long waits, for timeout messages
  Device device_ = Device::cpu();
#ifdef TANGO_HAVE_CUDA
  std::unique_ptr<cuda::NcclComm> nccl_;
#endif
};

}  // namespace tango::comm
