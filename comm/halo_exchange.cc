#include "comm/halo_exchange.h"

#include <algorithm>

#include "comm/cpu/message_codec.h"
#include "core/check_mpi.h"
#include "kernels/quant_math.h"

#ifdef TANGO_HAVE_CUDA
#include "comm/cuda/message_codec.h"
#include "comm/cuda/nccl_comm.h"
#endif

namespace tango::comm {

namespace {
constexpr int kForwardTag = 7301;
constexpr int kBackwardTag = 7302;
constexpr int64_t kMessageAlign = 16;

int64_t align_up(int64_t bytes) {
  return (bytes + kMessageAlign - 1) / kMessageAlign * kMessageAlign;
}
}  // namespace

HaloExchange::HaloExchange(Communicator& comm, HaloPlan plan, uint64_t seed)
    : comm_(comm), plan_(std::move(plan)), seed_(seed) {
  TANGO_CHECK_INPUT(plan_.num_peers == comm.size(), "halo plan for {} ranks used on a communicator of {}",
                    plan_.num_peers, comm.size());
  // Send order: peers on other hosts, then peers on this host, each by rank.
  for (int pass = 0; pass < 2; ++pass)
    for (int p = 0; p < plan_.num_peers; ++p)
      if ((comm.host_of(p) != comm.host_of(comm.rank())) == (pass == 0)) send_order_.push_back(p);
}

HaloExchange::~HaloExchange() {
#ifdef TANGO_HAVE_CUDA
  release_device();
#endif
}

void HaloExchange::reset_stats() {
  totals_[0] = totals_[1] = current_ = ExchangeStats{};
}

void HaloExchange::restore(const State& state) {
  TANGO_CHECK(!in_flight(), "rank {}: halo exchange state restored while an exchange is in flight",
              comm_.rank());
  calls_ = state.exchanges_posted;
}

HaloExchange::Side HaloExchange::outgoing(int peer) const {
  if (direction_ == Direction::kForward) return {{plan_.send_rows_to(peer), 0}, plan_.send_count(peer)};
  return {{nullptr, plan_.first_halo_row_from(peer)}, plan_.recv_count(peer)};
}

HaloExchange::Side HaloExchange::incoming(int peer) const {
  if (direction_ == Direction::kForward)
    return {{nullptr, plan_.first_halo_row_from(peer)}, plan_.recv_count(peer)};
  return {{plan_.send_rows_to(peer), 0}, plan_.send_count(peer)};
}

int64_t HaloExchange::message_bytes(int64_t rows) const {
  const int64_t cols = table_->cols();
  return codec_.message_bytes(rows, cols);
}

EncodeParams HaloExchange::message_params(int peer) const {
  const auto peers = static_cast<uint64_t>(plan_.num_peers);
  const uint64_t stream =
      ((calls_ * 2 + static_cast<uint64_t>(direction_)) * peers + static_cast<uint64_t>(comm_.rank())) *
          peers +
      static_cast<uint64_t>(peer);
  return {seed_, stream, tensor_scale_};
}

void HaloExchange::count_sent(int64_t rows) {
  current_.rows_sent += rows;
  current_.bytes_sent += message_bytes(rows);
  current_.fp32_bytes += rows * table_->cols() * 4;
}

void HaloExchange::size_buffers() {
  int peers = plan_.num_peers;
  send_byte_offsets_.assign(static_cast<size_t>(peers) + 1, 0);
  recv_byte_offsets_.assign(static_cast<size_t>(peers) + 1, 0);
  for (int p = 0; p < peers; ++p) {
    send_byte_offsets_[p + 1] = send_byte_offsets_[p] + align_up(message_bytes(outgoing(p).rows));
    recv_byte_offsets_[p + 1] = recv_byte_offsets_[p] + align_up(message_bytes(incoming(p).rows));
  }
  Device device = table_->device();
  auto fit = [&](Tensor& buffer, int64_t bytes) {
    bytes = std::max<int64_t>(bytes, kMessageAlign);
    if (!buffer.defined() || buffer.numel() < bytes || buffer.device() != device)
      buffer = Tensor::empty(DType::kU8, Shape::vec(bytes), device);
  };
  fit(send_buffer_, send_byte_offsets_.back());
  fit(recv_buffer_, recv_byte_offsets_.back());
}

void HaloExchange::agree_tensor_scale() {
  tensor_scale_ = 1.0f;
  if (!codec_.quantized() || codec_.granularity != ScaleGranularity::kPerTensor) return;
  int64_t cols = table_->cols();
  float local_amax = 0;
  for (int p = 0; p < plan_.num_peers; ++p) {
    Side side = outgoing(p);
    if (side.rows == 0) continue;
#ifdef TANGO_HAVE_CUDA
    if (table_->device().is_cuda()) {
      local_amax = std::max(local_amax, device_rows_amax(side));
      continue;
    }
#endif
    local_amax = std::max(local_amax, cpu::rows_amax(table_->data<float>(), cols, side.map, side.rows));
  }
  float global_amax = comm_.allreduce(local_amax, ReduceOp::kMax);
  tensor_scale_ = kernels::scale_from_amax(global_amax, kernels::signed_qmax(codec_.bits()));
}

void HaloExchange::post(Direction direction, Tensor& table, const Codec& codec) {
  TANGO_CHECK_INPUT(table.dtype() == DType::kF32, "rank {}: halo exchange codecs read f32 tables, got {}",
                    comm_.rank(), table.str());
  TANGO_CHECK(table_ == nullptr, "rank {}: halo exchange posted while the previous one is in flight",
              comm_.rank());
  TANGO_CHECK_INPUT(table.ndim() == 2 && table.rows() == plan_.num_rows(),
                    "rank {}: halo exchange needs a table of [num_owned + num_halo = {}, F] rows, got {}",
                    comm_.rank(), plan_.num_rows(), table.str());
  table_ = &table;
  direction_ = direction;
  codec_ = codec;
  current_ = ExchangeStats{};
  current_.calls = 1;
  encode_timer_.start(table.device());
  agree_tensor_scale();
  size_buffers();
#ifdef TANGO_HAVE_CUDA
  if (table.device().is_cuda()) {
    post_device();
  } else
#endif
  {
    TANGO_CHECK_INPUT(table.device().is_cpu(), "rank {}: halo exchange of {} is not supported", comm_.rank(),
                      table.str());
    post_host();
  }
  encode_timer_.stop();  // read in wait(): on a GPU, when the encode kernels have run
  ++calls_;
  overlap_timer_.reset();
}

void HaloExchange::post_host() {
  const int64_t cols = table_->cols();
  const int peers = plan_.num_peers;
  const int tag = direction_ == Direction::kForward ? kForwardTag : kBackwardTag;
  uint8_t* send = send_buffer_.data<uint8_t>();
  uint8_t* recv = recv_buffer_.data<uint8_t>();
  requests_.clear();
  request_peers_.clear();
  // Receives first, so an early message lands in place rather than in MPI's unexpected queue.
  for (int p = 0; p < peers; ++p) {
    int64_t bytes = message_bytes(incoming(p).rows);
    if (bytes == 0) continue;
    TANGO_CHECK(bytes <= INT32_MAX, "rank {}: a {}-byte message from rank {} exceeds MPI's int count",
                comm_.rank(), bytes, p);
    requests_.push_back(MPI_REQUEST_NULL);
    request_peers_.push_back(p);
    int rc = MPI_Irecv(recv + recv_byte_offsets_[p], static_cast<int>(bytes), MPI_BYTE, p, tag,
                       comm_.mpi_comm(), &requests_.back());
    TANGO_CHECK(rc == MPI_SUCCESS, "rank {}: posting the halo receive from rank {} failed: {}", comm_.rank(),
                p, ::tango::detail::mpi_error_string(rc));
  }
  // Peers on other hosts first: their messages cross the slowest links, so they get there first; one
  // progress step after each send lets MPI start moving it while the next message is encoded. The
  // error statistics are added in rank order whatever the send order (the adaptive widths use them).
  std::vector<EncodeStats> peer_stats(static_cast<size_t>(peers));
  for (int p : send_order_) {
    Side side = outgoing(p);
    if (side.rows == 0) continue;
    int64_t bytes = message_bytes(side.rows);
    cpu::encode_rows(codec_, table_->data<float>(), cols, side.map, side.rows, message_params(p),
                     send + send_byte_offsets_[p], &peer_stats[static_cast<size_t>(p)]);
    count_sent(side.rows);
    TANGO_CHECK(bytes <= INT32_MAX, "rank {}: a {}-byte message to rank {} exceeds MPI's int count",
                comm_.rank(), bytes, p);
    requests_.push_back(MPI_REQUEST_NULL);
    request_peers_.push_back(p);
    int rc = MPI_Isend(send + send_byte_offsets_[p], static_cast<int>(bytes), MPI_BYTE, p, tag,
                       comm_.mpi_comm(), &requests_.back());
    TANGO_CHECK(rc == MPI_SUCCESS, "rank {}: sending halo rows to rank {} failed: {}", comm_.rank(), p,
                ::tango::detail::mpi_error_string(rc));
    comm_.test_all(
        requests_, request_peers_,
        direction_ == Direction::kForward ? "halo exchange (forward)" : "halo exchange (backward)");
  }
  for (const EncodeStats& stats : peer_stats) current_.quantization.add(stats);
}

bool HaloExchange::test() {
  TANGO_CHECK(table_ != nullptr, "rank {}: halo exchange test() without post()", comm_.rank());
#ifdef TANGO_HAVE_CUDA
  if (table_->device().is_cuda())
    return comm_.nccl().ready(static_cast<cudaStream_t>(comm_stream_), "halo exchange");
#endif
  return comm_.test_all(
      requests_, request_peers_,
      direction_ == Direction::kForward ? "halo exchange (forward)" : "halo exchange (backward)");
}

void HaloExchange::wait() {
  TANGO_CHECK(table_ != nullptr, "rank {}: halo exchange wait() without post()", comm_.rank());
  current_.overlap_s = overlap_timer_.seconds();
#ifdef TANGO_HAVE_CUDA
  if (table_->device().is_cuda()) {
    wait_device();
  } else
#endif
  {
    wait_host();
  }
  totals_[static_cast<int>(direction_)].add(current_);
  table_ = nullptr;
}

void HaloExchange::wait_host() {
  current_.encode_s = encode_timer_.seconds();
  Timer wait_timer;
  comm_.wait_all(requests_, request_peers_,
                 direction_ == Direction::kForward ? "halo exchange (forward)" : "halo exchange (backward)");
  current_.wait_s = wait_timer.seconds();
  decode_timer_.start(Device::cpu());
  const int64_t cols = table_->cols();
  const uint8_t* recv = recv_buffer_.data<uint8_t>();
  // Peers one after another: in backward, rows sent to several peers receive several sums.
  for (int p = 0; p < plan_.num_peers; ++p) {
    Side side = incoming(p);
    if (side.rows == 0) continue;
    cpu::decode_rows(codec_, recv + recv_byte_offsets_[p], side.rows, cols, tensor_scale_,
                     table_->data<float>(), side.map, direction_ == Direction::kBackward);
  }
  current_.decode_s = decode_timer_.seconds();
}

}  // namespace tango::comm
