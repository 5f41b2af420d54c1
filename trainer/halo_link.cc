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

comm::Codec codec_for_bits(int bits, bool stochastic_rounding) {
  if (bits == 32) return comm::Codec::fp32();
  if (bits == 16) return comm::Codec::bf16();
  return comm::Codec::integer(bits, comm::ScaleMode::kPerRow,
                              stochastic_rounding ? comm::Rounding::kStochastic : comm::Rounding::kNearest);
}

CommHaloLink::CommHaloLink(comm::Communicator& comm, const comm::HaloPlan& plan, uint64_t seed, HaloBits bits,
                           bool stochastic_rounding)
    : exchange_(comm, plan, seed),
      forward_(codec_for_bits(bits.forward, stochastic_rounding)),
      backward_(codec_for_bits(bits.backward, stochastic_rounding)) {}

void CommHaloLink::post(HaloDirection direction, Tensor& table) {
  exchange_.post(to_comm(direction), table, codec(direction));
}

const comm::ExchangeStats& CommHaloLink::stats(HaloDirection direction) const {
  return exchange_.stats(to_comm(direction));
}

}  // namespace tango::trainer
