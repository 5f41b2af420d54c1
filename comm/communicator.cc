#include "comm/communicator.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstring>
#include <thread>

#include "comm/fatal.h"
#include "comm/gpu_assignment.h"
#include "core/check_mpi.h"
#include "core/env.h"
#include "core/timer.h"

#ifdef TANGO_HAVE_CUDA
#include "comm/cuda/nccl_comm.h"
#endif

// An MPI call on this communicator; a failure names this rank, the call and the peer (-1: none).
#define TANGO_COMM_MPI(call, peer)                                                  \
  do {                                                                              \
    int tango_rc_ = (call);                                                         \
    if (tango_rc_ != MPI_SUCCESS) [[unlikely]]                                      \
      TANGO_FAIL("rank {}: MPI call {} failed (peer {}): {}", rank_, #call, (peer), \
                 ::tango::detail::mpi_error_string(tango_rc_));                     \
  } while (0)

namespace tango::comm {

namespace {
MPI_Op mpi_op(ReduceOp op) {
  return op == ReduceOp::kSum ? MPI_SUM : MPI_MAX;
}

MPI_Datatype mpi_type(DType dtype) {
  switch (dtype) {
    case DType::kF32: return MPI_FLOAT;
    case DType::kI64: return MPI_INT64_T;
    case DType::kI32: return MPI_INT32_T;
    case DType::kBF16: return MPI_UINT16_T;
    case DType::kI8: return MPI_INT8_T;
    case DType::kU8: return MPI_UINT8_T;
  }
  return MPI_DATATYPE_NULL;
}

// "rank 2 on node07, a collective": the peers of the requests still open.
std::string peer_list(std::span<const MPI_Request> requests, std::span<const int> peers,
                      const std::vector<std::string>& hosts) {
  std::string text;
  for (size_t i = 0; i < requests.size(); ++i) {
    if (requests[i] == MPI_REQUEST_NULL) continue;
    int peer = i < peers.size() ? peers[i] : -1;
    if (!text.empty()) text += ", ";
    if (peer < 0)
      text += "a collective";
    else if (static_cast<size_t>(peer) < hosts.size())
      text += fmt::format("rank {} on {}", peer, hosts[static_cast<size_t>(peer)]);
    else
      text += fmt::format("rank {}", peer);
  }
  return text;
}
}  // namespace

Communicator::Communicator(MPI_Comm parent) {
  TANGO_MPI_CHECK(MPI_Comm_dup(parent, &comm_));
  TANGO_MPI_CHECK(MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN));
  TANGO_MPI_CHECK(MPI_Comm_rank(comm_, &rank_));
  TANGO_MPI_CHECK(MPI_Comm_size(comm_, &size_));
  MPI_Comm node = MPI_COMM_NULL;
  TANGO_COMM_MPI(MPI_Comm_split_type(comm_, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &node), -1);
  TANGO_COMM_MPI(MPI_Comm_rank(node, &local_rank_), -1);
  TANGO_COMM_MPI(MPI_Comm_size(node, &local_size_), -1);
  MPI_Comm_free(&node);
  liveness_ = Liveness(comm_, rank_, size_);
  set_timeout_seconds(env_double("TANGO_COMM_TIMEOUT_S"));
  // Every rank's host name, for messages about peers (one small allgather at start-up).
  std::array<char, MPI_MAX_PROCESSOR_NAME> name{};
  int length = 0;
  TANGO_COMM_MPI(MPI_Get_processor_name(name.data(), &length), -1);
  std::vector<char> names(name.size() * static_cast<size_t>(size_));
  allgather_bytes(name.data(), names.data(), name.size());
  hosts_.resize(static_cast<size_t>(size_));
  for (size_t r = 0; r < hosts_.size(); ++r) {
    const char* begin = names.data() + r * name.size();
    hosts_[r].assign(begin, strnlen(begin, name.size()));
  }
}

int Communicator::num_hosts() const {
  std::vector<std::string> distinct = hosts_;
  std::sort(distinct.begin(), distinct.end());
  return static_cast<int>(std::unique(distinct.begin(), distinct.end()) - distinct.begin());
}

Communicator::~Communicator() {
#ifdef TANGO_HAVE_CUDA
  nccl_.reset();
#endif
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (comm_ != MPI_COMM_NULL && !finalized) MPI_Comm_free(&comm_);
}

void Communicator::set_timeout_seconds(double seconds) {
  TANGO_CHECK_INPUT(seconds > 0, "TANGO_COMM_TIMEOUT_S={} must be a positive number of seconds", seconds);
  timeout_s_ = seconds;
  // Ten heartbeats in a wait that times out, 0.5 to 10 s apart.
  liveness_.set_interval_seconds(std::clamp(seconds / 10, 0.5, 10.0));
}

void Communicator::check_host(const Tensor& tensor, std::string_view what) const {
  TANGO_CHECK(tensor.defined(), "rank {}: {} of an undefined tensor", rank_, what);
  TANGO_CHECK(tensor.device().is_cpu() || device_enabled(),
              "rank {}: {} of {} needs enable_device() first (NCCL is not set up)", rank_, what,
              tensor.str());
}

void Communicator::allreduce(Tensor& tensor, ReduceOp op) {
  check_host(tensor, "allreduce");
  TANGO_CHECK(tensor.dtype() == DType::kF32 || tensor.dtype() == DType::kI64 || tensor.dtype() == DType::kI32,
              "rank {}: allreduce supports f32, i64 and i32 tensors, got {}", rank_, tensor.str());
#ifdef TANGO_HAVE_CUDA
  if (tensor.device().is_cuda()) {
    nccl_->allreduce(tensor.raw_data(), static_cast<size_t>(tensor.numel()), tensor.dtype(), op);
    return;
  }
#endif
  MPI_Request request = MPI_REQUEST_NULL;
  TANGO_COMM_MPI(MPI_Iallreduce(MPI_IN_PLACE, tensor.raw_data(), static_cast<int>(tensor.numel()),
                                mpi_type(tensor.dtype()), mpi_op(op), comm_, &request),
                 -1);
  int no_peer = -1;
  wait_all({&request, 1}, {&no_peer, 1}, "allreduce");
}

void Communicator::broadcast(Tensor& tensor, int root) {
  check_host(tensor, "broadcast");
#ifdef TANGO_HAVE_CUDA
  if (tensor.device().is_cuda()) {
    nccl_->broadcast(tensor.raw_data(), tensor.nbytes(), root);
    return;
  }
#endif
  broadcast_bytes(tensor.raw_data(), tensor.nbytes(), root);
}

void Communicator::barrier() {
  MPI_Request request = MPI_REQUEST_NULL;
  TANGO_COMM_MPI(MPI_Ibarrier(comm_, &request), -1);
  int no_peer = -1;
  wait_all({&request, 1}, {&no_peer, 1}, "barrier");
}

void Communicator::allreduce(std::span<float> values, ReduceOp op) {
  MPI_Request request = MPI_REQUEST_NULL;
  TANGO_COMM_MPI(MPI_Iallreduce(MPI_IN_PLACE, values.data(), static_cast<int>(values.size()), MPI_FLOAT,
                                mpi_op(op), comm_, &request),
                 -1);
  int no_peer = -1;
  wait_all({&request, 1}, {&no_peer, 1}, "allreduce");
}

void Communicator::allreduce(std::span<double> values, ReduceOp op) {
  MPI_Request request = MPI_REQUEST_NULL;
  TANGO_COMM_MPI(MPI_Iallreduce(MPI_IN_PLACE, values.data(), static_cast<int>(values.size()), MPI_DOUBLE,
                                mpi_op(op), comm_, &request),
                 -1);
  int no_peer = -1;
  wait_all({&request, 1}, {&no_peer, 1}, "allreduce");
}

void Communicator::allreduce(std::span<int64_t> values, ReduceOp op) {
  MPI_Request request = MPI_REQUEST_NULL;
  TANGO_COMM_MPI(MPI_Iallreduce(MPI_IN_PLACE, values.data(), static_cast<int>(values.size()), MPI_INT64_T,
                                mpi_op(op), comm_, &request),
                 -1);
  int no_peer = -1;
  wait_all({&request, 1}, {&no_peer, 1}, "allreduce");
}

void Communicator::broadcast_bytes(void* data, size_t bytes, int root) {
  TANGO_CHECK(root >= 0 && root < size_, "rank {}: broadcast root {} is not a rank of {}", rank_, root,
              size_);
  MPI_Request request = MPI_REQUEST_NULL;
  TANGO_COMM_MPI(MPI_Ibcast(data, static_cast<int>(bytes), MPI_BYTE, root, comm_, &request), root);
  wait_all({&request, 1}, {&root, 1}, "broadcast");
}

void Communicator::allgather_bytes(const void* mine, void* all, size_t bytes_per_rank) {
  MPI_Request request = MPI_REQUEST_NULL;
  TANGO_COMM_MPI(MPI_Iallgather(mine, static_cast<int>(bytes_per_rank), MPI_BYTE, all,
                                static_cast<int>(bytes_per_rank), MPI_BYTE, comm_, &request),
                 -1);
  int no_peer = -1;
  wait_all({&request, 1}, {&no_peer, 1}, "allgather");
}

std::vector<char> Communicator::gather_bytes(const void* mine, size_t bytes, int root,
                                             std::vector<int64_t>* bytes_per_rank) {
  TANGO_CHECK(root >= 0 && root < size_, "rank {}: gather root {} is not a rank of {}", rank_, root, size_);
  TANGO_CHECK(bytes <= static_cast<size_t>(INT32_MAX), "rank {}: a gather of {} bytes is over 2 GiB", rank_,
              bytes);
  const bool at_root = rank_ == root;
  int count = static_cast<int>(bytes);
  std::vector<int> counts(at_root ? static_cast<size_t>(size_) : 0);
  int no_peer = -1;
  MPI_Request request = MPI_REQUEST_NULL;
  TANGO_COMM_MPI(MPI_Igather(&count, 1, MPI_INT, counts.data(), 1, MPI_INT, root, comm_, &request), root);
  wait_all({&request, 1}, {&no_peer, 1}, "gather of counts");
  std::vector<int> displacements(counts.size());
  int64_t total = 0;
  for (size_t r = 0; r < counts.size(); ++r) {
    displacements[r] = static_cast<int>(total);
    total += counts[r];
  }
  TANGO_CHECK(total <= INT32_MAX, "rank {}: a gather of {} bytes in all is over 2 GiB", rank_, total);
  std::vector<char> all(static_cast<size_t>(total));
  TANGO_COMM_MPI(MPI_Igatherv(mine, count, MPI_BYTE, all.data(), counts.data(), displacements.data(),
                              MPI_BYTE, root, comm_, &request),
                 root);
  wait_all({&request, 1}, {&no_peer, 1}, "gather");
  if (bytes_per_rank != nullptr) bytes_per_rank->assign(counts.begin(), counts.end());
  return all;
}

bool Communicator::test_all(std::span<MPI_Request> requests, std::span<const int> peers,
                            std::string_view what) {
  int count = static_cast<int>(requests.size());
  if (count == 0) return true;
  std::vector<int> done(requests.size());
  std::vector<MPI_Status> statuses(requests.size());
  int done_count = 0;
  int rc = MPI_Testsome(count, requests.data(), &done_count, done.data(), statuses.data());
  if (rc != MPI_SUCCESS) {
    int failed_peer = -1, failed_rc = rc;
    if (rc == MPI_ERR_IN_STATUS) {
      for (int i = 0; i < done_count; ++i) {
        if (statuses[i].MPI_ERROR != MPI_SUCCESS) {
          failed_rc = statuses[i].MPI_ERROR;
          failed_peer = static_cast<size_t>(done[i]) < peers.size() ? peers[done[i]] : -1;
          break;
        }
      }
    }
    std::string peer =
        failed_peer < 0 ? std::string("a collective")
        : static_cast<size_t>(failed_peer) < hosts_.size()
            ? fmt::format("rank {} on {}", failed_peer, hosts_[static_cast<size_t>(failed_peer)])
            : fmt::format("rank {}", failed_peer);
    TANGO_FAIL("rank {}: {} failed (peer: {}): {}", rank_, what, peer,
               ::tango::detail::mpi_error_string(failed_rc));
  }
  if (done_count == MPI_UNDEFINED) return true;  // every request was already null
  for (const MPI_Request& request : requests)
    if (request != MPI_REQUEST_NULL) return false;
  return true;
}

void Communicator::wait_all(std::span<MPI_Request> requests, std::span<const int> peers,
                            std::string_view what) {
  Timer timer;
  while (!test_all(requests, peers, what)) {
    double waited = timer.seconds();
    liveness_.tick(waited);
    if (waited > timeout_s_) {
      abort(fmt::format("{} timed out after {:.0f} s (TANGO_COMM_TIMEOUT_S) waiting for {}{}", what, waited,
                        peer_list(requests, peers, hosts_), silence_report()));
    }
    // Ranks may share cores: yield while polling, and back off once the wait is clearly long.
    if (waited < 0.01)
      std::this_thread::yield();
    else
      std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
}

std::string Communicator::silence_report() const {
  const double threshold = 3 * liveness_.interval_seconds();
  const std::vector<int> silent = liveness_.silent_peers(threshold);
  if (silent.empty()) return "";
  std::string text;
  for (int peer : silent) {
    if (!text.empty()) text += ", ";
    text += fmt::format("rank {} on {}", peer, hosts_[static_cast<size_t>(peer)]);
  }
  return fmt::format("; no heartbeat for {:.0f} s from {} (gone, unreachable or hung)",
                     liveness_.silent_for(silent.front()), text);
}

void Communicator::abort(std::string_view why, int exit_code) const {
#ifdef TANGO_HAVE_CUDA
  if (nccl_) nccl_->abort();
#endif
  abort_job(why, exit_code);
}

bool Communicator::device_enabled() const {
#ifdef TANGO_HAVE_CUDA
  return nccl_ != nullptr;
#else
  return false;
#endif
}

Device Communicator::device_for_local_rank() const {
  const int gpus = cuda_device_count();
  TANGO_CHECK_INPUT(gpus > 0, "rank {}: no CUDA device is visible; run on CPU tensors or on a GPU node",
                    rank_);
  const int ordinal = gpu_for_local_rank(gpus, local_rank_, local_size_);
  TANGO_CHECK_INPUT(ordinal >= 0,
                    "rank {}: {} ranks on this node see {} GPUs; NCCL needs one GPU per rank (start one rank "
                    "per GPU, or give each rank its own: srun --gpus-per-task=1)",
                    rank_, local_size_, gpus);
  return Device::cuda(ordinal);
}

void Communicator::enable_device(Device device) {
  TANGO_CHECK_INPUT(device.is_cuda(), "rank {}: enable_device needs a CUDA device, got {}", rank_,
                    device.str());
#ifdef TANGO_HAVE_CUDA
  if (nccl_) {
    TANGO_CHECK(device_ == device, "rank {}: NCCL already runs on {}, cannot move to {}", rank_,
                device_.str(), device.str());
    return;
  }
  nccl_ = std::make_unique<cuda::NcclComm>(*this, device);
  device_ = device;
#else
  TANGO_FAIL_INPUT("rank {}: this build has no CUDA backend; rebuild with TANGO_ENABLE_CUDA=ON to use {}",
                   rank_, device.str());
#endif
}

#ifdef TANGO_HAVE_CUDA
cuda::NcclComm& Communicator::nccl() {
  TANGO_CHECK(nccl_ != nullptr, "rank {}: NCCL is not set up; call enable_device() first", rank_);
  return *nccl_;
}
#endif

}  // namespace tango::comm
