// Which GPU a rank trains on, and the check that no two ranks of a node hold the same one (NCCL
// refuses a communicator with two ranks on one device, and two ranks sharing a GPU would halve it).
//
// A rank sees the GPUs its launcher left visible to it:
//   none                         no GPU (the rank can only train on the CPU);
//   exactly one                  that one, device 0: the launcher gave each rank its own GPU
//                                (srun --gpus-per-task=1, or CUDA_VISIBLE_DEVICES set per rank);
//   at least one per node rank   device local_rank (mpirun -npernode <GPUs> on a node of GPUs);
//   2 .. local_size - 1          none of its own: fewer GPUs than ranks on the node.
// "Exactly one" is also what a rank sees when several ranks run on a one-GPU node without per-rank
// devices; then they all pick the same GPU, which only the PCI bus ids can tell: find_shared_gpu
// gathers them and names the first two ranks of one host that share a GPU.
#pragma once

#include <optional>
#include <span>
#include <string>

namespace tango::comm {

class Communicator;

// The ordinal this rank takes given `visible_gpus` and its place on the node, or -1 (none of its own).
int gpu_for_local_rank(int visible_gpus, int local_rank, int local_size);

// Two ranks of one host that picked the same GPU.
struct SharedGpu {
  int first_rank;
  int second_rank;
  std::string host;
  std::string bus_id;
  bool operator==(const SharedGpu&) const = default;
};

// The first two ranks (lower first, then the lowest second) on the same host with the same PCI bus
// id; an empty id (no GPU) is never shared. hosts[r] and bus_ids[r] belong to rank r.
std::optional<SharedGpu> first_shared_gpu(std::span<const std::string> hosts,
                                          std::span<const std::string> bus_ids);

// Collective: gathers every rank's `bus_id` (at most 63 characters; empty for no GPU) and returns
// first_shared_gpu over the communicator's hosts. The same answer on every rank.
std::optional<SharedGpu> find_shared_gpu(Communicator& comm, const std::string& bus_id);

}  // namespace tango::comm
