// The CUDA path of HaloExchange: fused encode kernels on the device's kernel stream, then one NCCL
// group of ncclSend/ncclRecv per peer on a separate communication stream (so the caller's inner-row
// kernels run while the messages fly), then fused decode kernels once the group has finished.
#include <cuda_runtime_api.h>

#include "comm/cuda/message_codec.h"
#include "comm/cuda/nccl_comm.h"
#include "comm/halo_exchange.h"
#include "core/check_cuda.h"

namespace tango::comm {

namespace {
cudaStream_t as_stream(void* handle) {
  return static_cast<cudaStream_t>(handle);
}
cudaEvent_t as_event(void* handle) {
  return static_cast<cudaEvent_t>(handle);
}
}  // namespace

RowMap HaloExchange::device_map(RowMap host) const {
  if (host.index == nullptr) return host;
  return {device_send_rows_.data<int64_t>() + (host.index - plan_.send_rows.data()), 0};
}

void HaloExchange::release_device() {
  if (comm_stream_ != nullptr) cudaStreamDestroy(as_stream(comm_stream_));
  if (encoded_event_ != nullptr) cudaEventDestroy(as_event(encoded_event_));
  comm_stream_ = encoded_event_ = nullptr;
}

void HaloExchange::prepare_device() {
  cuda::NcclComm& nccl = comm_.nccl();
  TANGO_CHECK_INPUT(table_->device() == nccl.device(), "rank {}: halo table on {} but NCCL runs on {}",
                    comm_.rank(), table_->device().str(), nccl.device().str());
  if (comm_stream_ == nullptr) {
    cudaStream_t stream;
    TANGO_CUDA_CHECK(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
    comm_stream_ = stream;
    cudaEvent_t event;
    TANGO_CUDA_CHECK(cudaEventCreateWithFlags(&event, cudaEventDisableTiming));
    encoded_event_ = event;
  }
  if (!device_send_rows_.defined() && !plan_.send_rows.empty())
    device_send_rows_ = Tensor::from(plan_.send_rows).to(table_->device());
  // 4 doubles of encoder statistics, then one unsigned of scratch for the amax reduction.
  if (!device_stats_.defined()) device_stats_ = Tensor::zeros(DType::kI64, Shape::vec(5), table_->device());
}

float HaloExchange::device_rows_amax(const Side& side) {
  prepare_device();
  unsigned* scratch = reinterpret_cast<unsigned*>(device_stats_.data<int64_t>() + 4);
  return cuda::rows_amax(table_->data<float>(), table_->cols(), device_map(side.map), side.rows, scratch,
                         comm_.nccl().stream());
}

void HaloExchange::post_device() {
  prepare_device();
  cuda::NcclComm& nccl = comm_.nccl();
  cudaStream_t compute = nccl.stream();
  double* stats = reinterpret_cast<double*>(device_stats_.raw_data());
  TANGO_CUDA_CHECK(cudaMemsetAsync(stats, 0, 4 * sizeof(double), compute));
  const int64_t cols = table_->cols();
  const int peers = plan_.num_peers;
  uint8_t* send = send_buffer_.data<uint8_t>();
  uint8_t* recv = recv_buffer_.data<uint8_t>();
  for (int p = 0; p < peers; ++p) {
    Side side = outgoing(p);
    if (side.rows == 0) continue;
    if (raw_)
      cuda::gather_row_bytes(static_cast<const uint8_t*>(table_->raw_data()),
                             message_bytes(side.rows) / side.rows, device_map(side.map), side.rows,
                             send + send_byte_offsets_[p], compute);
    else
      cuda::encode_rows(codec_, table_->data<float>(), cols, device_map(side.map), side.rows,
                        message_params(p), send + send_byte_offsets_[p], stats, compute);
    count_sent(side.rows);
  }
  TANGO_CUDA_CHECK(cudaEventRecord(as_event(encoded_event_), compute));
  TANGO_CUDA_CHECK(cudaStreamWaitEvent(as_stream(comm_stream_), as_event(encoded_event_), 0));
  nccl.group_start();
  for (int p = 0; p < peers; ++p) {
    int64_t in_bytes = message_bytes(incoming(p).rows);
    int64_t out_bytes = message_bytes(outgoing(p).rows);
    if (in_bytes > 0)
      nccl.recv(recv + recv_byte_offsets_[p], static_cast<size_t>(in_bytes), p, as_stream(comm_stream_));
    if (out_bytes > 0)
      nccl.send(send + send_byte_offsets_[p], static_cast<size_t>(out_bytes), p, as_stream(comm_stream_));
  }
  nccl.group_end();
}

void HaloExchange::wait_device() {
  cuda::NcclComm& nccl = comm_.nccl();
  Timer wait_timer;
  nccl.wait(as_stream(comm_stream_),
            direction_ == Direction::kForward ? "halo exchange (forward)" : "halo exchange (backward)");
  current_.wait_s = wait_timer.seconds();
  cudaStream_t compute = nccl.stream();
  decode_timer_.start(table_->device());  // after the inner-row kernels queued before wait()
  const int64_t cols = table_->cols();
  const uint8_t* recv = recv_buffer_.data<uint8_t>();
  for (int p = 0; p < plan_.num_peers; ++p) {
    Side side = incoming(p);
    if (side.rows == 0) continue;
    if (raw_)
      cuda::scatter_row_bytes(recv + recv_byte_offsets_[p], message_bytes(side.rows) / side.rows, side.rows,
                              static_cast<uint8_t*>(table_->raw_data()), device_map(side.map), compute);
    else
      cuda::decode_rows(codec_, recv + recv_byte_offsets_[p], side.rows, cols, tensor_scale_,
                        table_->data<float>(), device_map(side.map), direction_ == Direction::kBackward,
                        compute);
  }
  decode_timer_.stop();
  // The encoder's error statistics (4 doubles) come back with the decode; this syncs the stream.
  double stats[4];
  TANGO_CUDA_CHECK(
      cudaMemcpyAsync(stats, device_stats_.raw_data(), sizeof stats, cudaMemcpyDeviceToHost, compute));
  TANGO_CUDA_CHECK(cudaStreamSynchronize(compute));
  current_.quantization.add({stats[0], stats[1], stats[2], stats[3]});
  // Both spans measured on the stream: the kernels' time, not their launch.
  current_.encode_s = encode_timer_.seconds();
  current_.decode_s = decode_timer_.seconds();
}

}  // namespace tango::comm
