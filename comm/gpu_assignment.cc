#include "comm/gpu_assignment.h"

#include <array>
#include <cstring>
#include <map>
#include <vector>

#include "comm/communicator.h"
#include "core/error.h"

namespace tango::comm {

int gpu_for_local_rank(int visible_gpus, int local_rank, int local_size) {
  if (visible_gpus <= 0) return -1;
  if (visible_gpus == 1) return 0;
  if (visible_gpus >= local_size && local_rank >= 0 && local_rank < visible_gpus) return local_rank;
  return -1;
}

std::optional<SharedGpu> first_shared_gpu(std::span<const std::string> hosts,
                                          std::span<const std::string> bus_ids) {
  TANGO_CHECK(hosts.size() == bus_ids.size(), "first_shared_gpu: {} hosts for {} bus ids", hosts.size(),
              bus_ids.size());
  std::map<std::pair<std::string, std::string>, int> holder;  // (host, bus id) -> its lowest rank
  std::optional<SharedGpu> first;
  for (size_t r = 0; r < bus_ids.size(); ++r) {
    if (bus_ids[r].empty()) continue;
    auto [it, inserted] = holder.emplace(std::make_pair(hosts[r], bus_ids[r]), static_cast<int>(r));
    if (!inserted && (!first || it->second < first->first_rank))
      first = SharedGpu{it->second, static_cast<int>(r), hosts[r], bus_ids[r]};
  }
  return first;
}

std::optional<SharedGpu> find_shared_gpu(Communicator& comm, const std::string& bus_id) {
  std::array<char, 64> mine{};
  TANGO_CHECK(bus_id.size() < mine.size(), "rank {}: PCI bus id '{}' is longer than {} characters",
              comm.rank(), bus_id, mine.size() - 1);
  std::memcpy(mine.data(), bus_id.data(), bus_id.size());
  const std::vector<std::array<char, 64>> all = comm.allgather(mine);
  std::vector<std::string> hosts, ids;
  for (int r = 0; r < comm.size(); ++r) {
    const auto& id = all[static_cast<size_t>(r)];
    ids.emplace_back(id.data(), strnlen(id.data(), id.size()));
    hosts.push_back(comm.host_of(r));
  }
  return first_shared_gpu(hosts, ids);
}

}  // namespace tango::comm
