#include "trainer/device_choice.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <vector>

#include "comm/gpu_assignment.h"
#include "core/error.h"

namespace tango::trainer {
namespace {

// What a rank can do: no GPU, fewer GPUs than ranks on its node (NCCL needs one rank per GPU), or fine.
enum GpuState : int32_t { kNoGpu = 0, kTooFewGpus = 1, kOwnGpu = 2 };

}  // namespace

Device choose_train_device(const std::string& requested, comm::Communicator& comm) {
  TANGO_CHECK_INPUT(requested == "auto" || requested == "cpu" || requested == "cuda",
                    "--device '{}' is not a device; use auto, cpu or cuda", requested);
  if (requested == "cpu") return Device::cpu();
  const int gpus = cuda_device_count();  // 0 without the CUDA backend
  const int ordinal = comm::gpu_for_local_rank(gpus, comm.local_rank(), comm.local_size());
  const int32_t mine = gpus == 0 ? kNoGpu : ordinal < 0 ? kTooFewGpus : kOwnGpu;
  const std::vector<int32_t> states = comm.allgather(mine);
  const auto worst = std::min_element(states.begin(), states.end());
  if (*worst != kOwnGpu) {
    const int64_t rank = worst - states.begin();
    if (requested == "cuda") {
      TANGO_CHECK_INPUT(
          cuda_compiled(),
          "--device cuda: this build has no CUDA backend; rebuild with TANGO_ENABLE_CUDA=ON or use "
          "--device cpu");
      TANGO_CHECK_INPUT(
          *worst != kNoGpu,
          "--device cuda: rank {} sees no CUDA device ({}); run on GPU nodes or use --device cpu", rank,
          rank == comm.rank() ? describe_devices() : std::string("see that rank's log"));
      TANGO_FAIL_INPUT(
          "--device cuda: rank {} shares its node's GPUs with more ranks than there are GPUs; "
          "start one rank per GPU (mpirun -npernode <GPUs>, srun --gpus-per-task=1) or use --device cpu",
          rank);
    }
    if (comm.rank() == 0 && std::count(states.begin(), states.end(), int32_t{kNoGpu}) < comm.size())
      spdlog::warn("--device auto: rank {} has no GPU of its own, so every rank trains on the CPU", rank);
    return Device::cpu();
  }
  // Every rank has picked a GPU; ranks that each see "one GPU" may still have picked the same one.
  if (const auto shared = comm::find_shared_gpu(comm, cuda_pci_bus_id(ordinal))) {
    TANGO_CHECK_INPUT(
        requested != "cuda",
        "--device cuda: ranks {} and {} on {} would share the GPU at {}; give each rank its own "
        "GPU (srun --gpus-per-task=1, CUDA_VISIBLE_DEVICES per rank, or one rank per GPU) or "
        "use --device cpu",
        shared->first_rank, shared->second_rank, shared->host, shared->bus_id);
    if (comm.rank() == 0)
      spdlog::warn(
          "--device auto: ranks {} and {} on {} would share the GPU at {}, so every rank trains on the CPU",
          shared->first_rank, shared->second_rank, shared->host, shared->bus_id);
    return Device::cpu();
  }
  const Device device = Device::cuda(ordinal);
  comm.enable_device(device);
  return device;
}

}  // namespace tango::trainer
