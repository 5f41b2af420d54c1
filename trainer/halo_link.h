// The layers' HaloLink over comm's HaloExchange: one exchange object per layer (its own stochastic-
// rounding seed and byte accounting), with the wire format of each message from a BitPolicy shared by
// all layers: fixed per layer and direction (--halo-bits fwd=4,bwd=8) or adaptive (--halo-bits
// adaptive: comm/bit_policy.h picks the cheapest width under an error cap, identically on all ranks).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "comm/bit_policy.h"
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

// The run's bit policy from --halo-bits (per layer, fixed or adaptive) and the rounding flag.
comm::BitPolicy make_bit_policy(const TrainConfig& config);

class CommHaloLink;

// One exchange object per layer, each with its own stochastic-rounding seed, sharing the bit policy.
std::vector<std::unique_ptr<CommHaloLink>> make_halo_links(const TrainConfig& config, const DistGraph& graph,
                                                           comm::Communicator& comm, int num_layers,
                                                           comm::BitPolicy& bit_policy);

class CommHaloLink : public HaloLink {
 public:
  CommHaloLink(comm::Communicator& comm, const comm::HaloPlan& plan, uint64_t seed, int layer,
               comm::BitPolicy& policy);

  void post(HaloDirection direction, Tensor& table) override;
  // One rank: counts the exchange, so that the count keying stochastic rounding is the same at any rank
  // count (a run resumed on more ranks continues where a multi-rank run would be).
  void skip(HaloDirection direction) override;
  // Completes the exchange and feeds its statistics to the policy (collective when a decision is due).
  void wait() override;
  void progress() override;

  const comm::ExchangeStats& stats(HaloDirection direction) const;
  // The policy's codec for this layer and direction. Per-row scales at every width (comm/README.md,
  // "Wire format": one scale per exchange loses the low-norm rows beside power-law hubs).
  comm::Codec codec(HaloDirection direction) const;

  // The exchange's stochastic-rounding position (see comm::HaloExchange::State).
  comm::HaloExchange::State exchange_state() const { return exchange_.state(); }
  void restore_exchange_state(const comm::HaloExchange::State& state) { exchange_.restore(state); }

 private:
  comm::Communicator& comm_;
  comm::HaloExchange exchange_;
  int layer_;
  comm::BitPolicy& policy_;
  HaloDirection direction_ = HaloDirection::kForward;
};

// The run's halo state as checkpoint tensors, in a form any rank count can resume from:
//   halo.policy.bits         i64 [layers * 2]          width per (layer, direction)
//   halo.policy.windows      i64 [layers * 2 * 2]      exchanges in the open window, decisions taken
//   halo.policy.window_sums  i64 [P * layers * 2 * 4]  each writer rank's EncodeStats sums (bit patterns)
//   halo.exchanges           i64 [layers]              exchanges per layer (keys stochastic rounding)
// The widths, window counts and exchange counts are the same on every rank (decisions are collective,
// every rank takes part in every exchange of layers > 0 and a single rank counts the ones it skips), so
// they are saved once. Only the window's statistics are per rank: partial sums that the next decision
// adds up over the ranks. They are saved for each of the P writer ranks (one allgather): resumed on P
// ranks, rank r takes row r and decides exactly as an unbroken run; on another rank count, rank 0 takes
// their total (in rank order) and the others start from zero, so the next decision sees the same window
// up to float reassociation (and the statistics the new partition's messages add to it).
// save_halo_state is collective; `num_writer_ranks` is the P of the checkpoint being loaded.
void save_halo_state(const comm::BitPolicy& policy, const std::vector<std::unique_ptr<CommHaloLink>>& links,
                     comm::Communicator& comm, std::map<std::string, Tensor>& tensors);
// Restores what save_halo_state() wrote; a missing or misshapen tensor is an input error naming `origin`.
void load_halo_state(const std::map<std::string, Tensor>& tensors, const std::string& origin,
                     int64_t num_writer_ranks, comm::Communicator& comm, comm::BitPolicy& policy,
                     std::vector<std::unique_ptr<CommHaloLink>>& links);

}  // namespace tango::trainer
