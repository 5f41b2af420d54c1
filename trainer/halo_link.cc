#include "trainer/halo_link.h"

namespace tango::trainer {
namespace {

comm::Direction to_comm(HaloDirection direction) {
  return direction == HaloDirection::kForward ? comm::Direction::kForward : comm::Direction::kBackward;
}

}  // namespace

comm::HaloPlan make_halo_plan(const DistGraph& graph, comm::Communicator& comm) {
  TANGO_CHECK_INPUT(graph.num_parts == comm.size() && graph.part_id == comm.rank(),
                    "rank {} of {} holds part {} of {}", comm.rank(), comm.size(), graph.part_id,
                    graph.num_parts);
  comm::HaloPlan plan = comm.size() == 1 ? comm::HaloPlan::no_exchange(1, graph.num_owned)
                                         : comm::HaloPlan::from_arrays(
                                               comm.rank(), comm.size(), graph.num_owned, graph.num_inner,
                                               graph.send_offsets, graph.send_rows, graph.halo_offsets);
  comm::check_plan_consistent(plan, comm);
  return plan;
}

comm::BitPolicy make_bit_policy(const TrainConfig& config) {
  std::vector<comm::LayerBits> initial;
  for (const HaloBits& bits : config.halo_bits) initial.push_back({bits.forward, bits.backward});
  comm::BitPolicyOptions options;
  options.adaptive = config.halo_adaptive;
  options.rounding = config.stochastic_rounding ? comm::Rounding::kStochastic : comm::Rounding::kNearest;
  return comm::BitPolicy(std::move(initial), options);
}

CommHaloLink::CommHaloLink(comm::Communicator& comm, const comm::HaloPlan& plan, uint64_t seed, int layer,
                           comm::BitPolicy& policy)
    : comm_(comm), exchange_(comm, plan, seed), layer_(layer), policy_(policy) {}

void CommHaloLink::post(HaloDirection direction, Tensor& table) {
  direction_ = direction;
  exchange_.post(to_comm(direction), table, codec(direction));
}

void CommHaloLink::wait() {
  exchange_.wait();
  policy_.observe(layer_, to_comm(direction_), exchange_.last(), comm_);
}

const comm::ExchangeStats& CommHaloLink::stats(HaloDirection direction) const {
  return exchange_.stats(to_comm(direction));
}

comm::Codec CommHaloLink::codec(HaloDirection direction) const {
  return policy_.codec(layer_, to_comm(direction));
}

}  // namespace tango::trainer
