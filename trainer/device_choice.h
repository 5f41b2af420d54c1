// Where a rank trains: --device cpu | cuda | auto, decided collectively so that every rank takes the
// same path (NCCL's set-up is collective: a rank that chose CPU while another chose CUDA would hang).
//   cpu:  host tensors, MPI.
//   cuda: every rank takes its own GPU (comm/gpu_assignment.h: device 0 when it sees exactly one, as
//         under srun --gpus-per-task=1, else the GPU of its node-local rank) and NCCL is enabled on it;
//         if this build has no CUDA backend, any rank sees no GPU or too few for its node's ranks, or
//         two ranks of a node picked the same GPU (their PCI bus ids, gathered), every rank fails with
//         an input error naming the first such rank(s).
//   auto: cuda when that would succeed, else cpu.
#pragma once

#include <string>

#include "comm/communicator.h"
#include "core/device.h"

namespace tango::trainer {

// Resolves `requested` ("auto", "cpu" or "cuda") on every rank of `comm` (collective) and, for CUDA,
// enables the communicator's device path. Returns this rank's device.
Device choose_train_device(const std::string& requested, comm::Communicator& comm);

}  // namespace tango::trainer
