// The layers' HaloLink over comm's HaloExchange: one exchange object per layer (its own stochastic-
// rounding seed and byte accounting), with the layer's wire format per direction (--halo-bits).
#pragma once

#include "comm/codec.h"
#include "comm/communicator.h"
#include "comm/halo_exchange.h"
#include "comm/halo_plan.h"
#include "trainer/config.h"
#include "trainer/dist_graph.h"
#include "trainer/layers/layer.h"

namespace tango::trainer {

// The halo plan of a rank's part (validated by comm); `comm` checks it against the peers' plans.
comm::HaloPlan make_halo_plan(const DistGraph& graph, comm::Communicator& comm);

// 32 -> fp32, 16 -> bf16, 8/4/2 -> integer codes with one scale per row.
comm::Codec codec_for_bits(int bits, bool stochastic_rounding);

class CommHaloLink : public HaloLink {
 public:
  CommHaloLink(comm::Communicator& comm, const comm::HaloPlan& plan, uint64_t seed, HaloBits bits,
               bool stochastic_rounding);

  void post(HaloDirection direction, Tensor& table) override;
  void wait() override { exchange_.wait(); }

  const comm::ExchangeStats& stats(HaloDirection direction) const;
  const comm::Codec& codec(HaloDirection direction) const {
    return direction == HaloDirection::kForward ? forward_ : backward_;
  }

 private:
  comm::HaloExchange exchange_;
  comm::Codec forward_;
  comm::Codec backward_;
};

}  // namespace tango::trainer
