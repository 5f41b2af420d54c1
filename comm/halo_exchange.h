// HaloExchange: moves boundary rows between ranks along a HaloPlan, in low precision if asked.
//
// forward: owners -> halo copies. For each peer p, the owned rows send_rows_to(p) of a
//   [num_owned + num_halo, F] table are encoded and sent; the rows received from p are decoded into
//   the table's halo rows from p.
// backward: halo-row gradients -> owners. The halo rows from p of a gradient table are sent back to
//   p, which decodes them and ADDS them into its rows send_rows_to(me) (a row sent to several peers
//   sums all their contributions).
// post() encodes (one fused pass per peer, straight into the send buffer) and starts the transfers;
// wait() completes them and decodes (one fused pass per peer). Between the two the caller computes
// the inner rows [0, num_inner), which need no halo, and may call test() to drive MPI's progress.
// Host tables go through MPI_Isend/Irecv; CUDA tables through grouped ncclSend/ncclRecv.
// One exchange may be in flight per object; every rank posts its exchanges in the same order.
#pragma once

#include <mpi.h>

#include <cstdint>
#include <vector>

#include "comm/codec.h"
#include "comm/communicator.h"
#include "comm/exchange_stats.h"
#include "comm/halo_plan.h"
#include "core/device_timer.h"
#include "core/tensor.h"
#include "core/timer.h"

namespace tango::comm {

class HaloExchange {
 public:
  // `seed` makes stochastic rounding reproducible (use a different one per layer).
  HaloExchange(Communicator& comm, HaloPlan plan, uint64_t seed = 0);
  ~HaloExchange();
  HaloExchange(const HaloExchange&) = delete;
  HaloExchange& operator=(const HaloExchange&) = delete;

  const HaloPlan& plan() const { return plan_; }

  // Starts an exchange of `table` (f32 [plan.num_rows(), F], host or CUDA), which must stay alive
  // and untouched in its halo rows (forward) / owned send rows (backward) until wait() returns.
  // With a per-tensor codec this includes one small allreduce to agree on the scale.
  void post(Direction direction, Tensor& table, const Codec& codec);
  // Drives progress without blocking; true when every message has arrived.
  bool test();
  // Blocks (with the communicator's timeout) until all messages arrived, then decodes them.
  void wait();
  // post + wait.
  void exchange(Direction direction, Tensor& table, const Codec& codec) {
    post(direction, table, codec);
    wait();
  }
  bool in_flight() const { return table_ != nullptr; }
  // The per-tensor scale of the last exchange (1 with other codecs).
  float tensor_scale() const { return tensor_scale_; }

  // Accumulated per direction since construction or reset_stats(); last() is the latest call alone.
  const ExchangeStats& stats(Direction direction) const { return totals_[static_cast<int>(direction)]; }
  const ExchangeStats& last() const { return current_; }
  void reset_stats();

  // The exchanges posted since construction: with the seed, the key of every message's stochastic
  // rounding. Checkpointed, so a resumed run rounds exactly as an unbroken one.
  struct State {
    uint64_t exchanges_posted = 0;
  };
  State state() const { return {calls_}; }
  // Continues from a state() (not while an exchange is in flight).
  void restore(const State& state);

 private:
  struct Side {
    RowMap map;
    int64_t rows;
  };
  Side outgoing(int peer) const;  // what we send to `peer` in direction_
  Side incoming(int peer) const;  // where what `peer` sends us goes
  int64_t message_bytes(int64_t rows) const;
  // The stochastic-rounding stream of this call's message to `peer`: (call, direction, sender,
  // receiver), so every message of a run draws from its own stream on the host and the device path.
  EncodeParams message_params(int peer) const;
  // Accounts a message of `rows` rows to a peer in current_ (rows, wire bytes, fp32 bytes).
  void count_sent(int64_t rows);
  void size_buffers();
  void agree_tensor_scale();
  void post_host();
  void wait_host();
  std::vector<int> send_order_;  // peers on other hosts first (post_host)
#ifdef TANGO_HAVE_CUDA
  void post_device();
  void wait_device();
  // The same rows, with the index pointing into device_send_rows_.
  RowMap device_map(RowMap host) const;
  void release_device();
  void prepare_device();
  float device_rows_amax(const Side& side);
#endif

  Communicator& comm_;
  HaloPlan plan_;
  uint64_t seed_;
  uint64_t calls_ = 0;

  // The exchange in flight.
  Tensor* table_ = nullptr;
  Direction direction_ = Direction::kForward;
  Codec codec_;
  float tensor_scale_ = 1.0f;
  Timer overlap_timer_;
  // Encode (scale agreement, gather, quantize, pack) and decode spans: the host clock on the CPU, CUDA
  // events on the table's stream on a GPU (core/device_timer.h), read once wait() has synchronised.
  DeviceTimer encode_timer_;
  DeviceTimer decode_timer_;

  std::vector<int64_t> send_byte_offsets_;  // byte offset of each peer's message in send_buffer_ [P+1]
  std::vector<int64_t> recv_byte_offsets_;
  Tensor send_buffer_;  // u8, on the table's device
  Tensor recv_buffer_;
  std::vector<MPI_Request> requests_;
  std::vector<int> request_peers_;
  // Device path: plan.send_rows on the GPU, the encoder's statistics, the communication stream and
  // the event that orders it after the encode kernels (CUDA handles, typed in the .cc).
  Tensor device_send_rows_;
  Tensor device_stats_;
  void* comm_stream_ = nullptr;
  void* encoded_event_ = nullptr;

  ExchangeStats current_;
  ExchangeStats totals_[2];
};

}  // namespace tango::comm
