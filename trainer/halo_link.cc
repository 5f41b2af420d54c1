#include "trainer/halo_link.h"

#include <algorithm>
#include <bit>

namespace tango::trainer {
namespace {

constexpr size_t kWindowSums = 4;  // EncodeStats: squared_error, squared_signal, signed/unsigned amax2

std::vector<int64_t> checkpoint_values(const std::map<std::string, Tensor>& tensors, const std::string& name,
                                       size_t count, const std::string& origin) {
  auto it = tensors.find(name);
  TANGO_CHECK_INPUT(it != tensors.end() && it->second.dtype() == DType::kI64 &&
                        static_cast<size_t>(it->second.numel()) == count,
                    "checkpoint {} has no i64 tensor '{}' of {} values (written by another build? resume "
                    "from a new --checkpoint-dir)",
                    origin, name, count);
  return it->second.to_vector<int64_t>();
}

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

std::vector<std::unique_ptr<CommHaloLink>> make_halo_links(const TrainConfig& config, const DistGraph& graph,
                                                           comm::Communicator& comm, int num_layers,
                                                           comm::BitPolicy& bit_policy) {
  const comm::HaloPlan plan = make_halo_plan(graph, comm);
  std::vector<std::unique_ptr<CommHaloLink>> links;
  for (int l = 0; l < num_layers; ++l) {
    links.push_back(std::make_unique<CommHaloLink>(
        comm, plan, config.seed * 1000003 + static_cast<uint64_t>(l), l, bit_policy));
  }
  return links;
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

void CommHaloLink::progress() {
  if (exchange_.in_flight()) exchange_.test();
}

const comm::ExchangeStats& CommHaloLink::stats(HaloDirection direction) const {
  return exchange_.stats(to_comm(direction));
}

comm::Codec CommHaloLink::codec(HaloDirection direction) const {
  return policy_.codec(layer_, to_comm(direction));
}

void CommHaloLink::skip(HaloDirection /*direction*/) {
  exchange_.restore({exchange_.state().exchanges_posted + 1});
}

void save_halo_state(const comm::BitPolicy& policy, const std::vector<std::unique_ptr<CommHaloLink>>& links,
                     comm::Communicator& comm, std::map<std::string, Tensor>& tensors) {
  const comm::BitPolicy::State state = policy.state();
  std::vector<int64_t> bits, windows, sums, exchanges;
  for (const comm::LayerBits& b : state.bits) {
    bits.push_back(b.forward);
    bits.push_back(b.backward);
  }
  for (const comm::BitPolicy::Window& w : state.windows) {
    windows.insert(windows.end(), {w.calls, w.decisions});
    sums.insert(
        sums.end(),
        {std::bit_cast<int64_t>(w.stats.squared_error), std::bit_cast<int64_t>(w.stats.squared_signal),
         std::bit_cast<int64_t>(w.stats.signed_amax2), std::bit_cast<int64_t>(w.stats.unsigned_amax2)});
  }
  for (const auto& link : links)
    exchanges.push_back(static_cast<int64_t>(link->exchange_state().exchanges_posted));

  // What is saved once must be the same on every rank.
  std::vector<int64_t> shared = bits;
  shared.insert(shared.end(), windows.begin(), windows.end());
  shared.insert(shared.end(), exchanges.begin(), exchanges.end());
  std::vector<int64_t> every_shared(shared.size() * static_cast<size_t>(comm.size()));
  comm.allgather_bytes(shared.data(), every_shared.data(), shared.size() * sizeof(int64_t));
  for (int r = 1; r < comm.size(); ++r)
    TANGO_CHECK(std::equal(shared.begin(), shared.end(), every_shared.begin() + r * shared.size()),
                "rank {}'s halo widths, windows or exchange counts differ from rank 0's", r);
  std::vector<int64_t> every_sums(sums.size() * static_cast<size_t>(comm.size()));
  comm.allgather_bytes(sums.data(), every_sums.data(), sums.size() * sizeof(int64_t));

  tensors["halo.policy.bits"] = Tensor::from(bits);
  tensors["halo.policy.windows"] = Tensor::from(windows);
  tensors["halo.policy.window_sums"] = Tensor::from(every_sums);
  tensors["halo.exchanges"] = Tensor::from(exchanges);
}

void load_halo_state(const std::map<std::string, Tensor>& tensors, const std::string& origin,
                     int64_t num_writer_ranks, comm::Communicator& comm, comm::BitPolicy& policy,
                     std::vector<std::unique_ptr<CommHaloLink>>& links) {
  TANGO_CHECK_INPUT(num_writer_ranks >= 1, "checkpoint {} was written by {} ranks", origin, num_writer_ranks);
  const size_t windows_count = static_cast<size_t>(policy.num_layers()) * 2;
  const std::vector<int64_t> bits = checkpoint_values(tensors, "halo.policy.bits", windows_count, origin);
  const std::vector<int64_t> windows =
      checkpoint_values(tensors, "halo.policy.windows", windows_count * 2, origin);
  const size_t sums_per_rank = windows_count * kWindowSums;
  const std::vector<int64_t> sums = checkpoint_values(
      tensors, "halo.policy.window_sums", static_cast<size_t>(num_writer_ranks) * sums_per_rank, origin);
  const std::vector<int64_t> exchanges = checkpoint_values(tensors, "halo.exchanges", links.size(), origin);

  // This rank's share of the open windows' statistics (see halo_link.h).
  std::vector<double> mine(sums_per_rank, 0.0);
  if (num_writer_ranks == comm.size()) {
    for (size_t i = 0; i < sums_per_rank; ++i)
      mine[i] = std::bit_cast<double>(sums[static_cast<size_t>(comm.rank()) * sums_per_rank + i]);
  } else if (comm.rank() == 0) {
    for (int64_t p = 0; p < num_writer_ranks; ++p)
      for (size_t i = 0; i < sums_per_rank; ++i)
        mine[i] += std::bit_cast<double>(sums[static_cast<size_t>(p) * sums_per_rank + i]);
  }
  comm::BitPolicy::State state;
  for (size_t l = 0; l < windows_count / 2; ++l)
    state.bits.push_back({static_cast<int>(bits[l * 2]), static_cast<int>(bits[l * 2 + 1])});
  for (size_t i = 0; i < windows_count; ++i) {
    comm::BitPolicy::Window window;
    window.calls = static_cast<int>(windows[i * 2]);
    window.decisions = static_cast<int>(windows[i * 2 + 1]);
    const double* w = mine.data() + i * kWindowSums;
    window.stats = {w[0], w[1], w[2], w[3]};
    state.windows.push_back(window);
  }
  policy.restore(state);
  for (size_t l = 0; l < links.size(); ++l) {
    TANGO_CHECK_INPUT(exchanges[l] >= 0, "checkpoint {}: layer {} has a negative exchange count {}", origin,
                      l, exchanges[l]);
    links[l]->restore_exchange_state({static_cast<uint64_t>(exchanges[l])});
  }
}

}  // namespace tango::trainer
