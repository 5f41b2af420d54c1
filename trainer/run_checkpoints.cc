#include "trainer/run_checkpoints.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <optional>

#include "core/error.h"

namespace tango::trainer {
namespace {

Checkpoint make_checkpoint(const RunState& state, int64_t epoch, const TrainConfig& config) {
  Checkpoint ckpt;
  ckpt.epoch = epoch;
  ckpt.rng_state = config.seed;  // every draw is keyed by (seed, epoch, ...): the epoch is the position
  ckpt.config_hash = config.hash();
  for (Parameter* p : state.model.parameters()) ckpt.tensors[p->name] = p->value.to(Device::cpu());
  state.adam.save(ckpt.tensors);
  // The halo state: adaptive widths and windows, and the exchange counts keying stochastic rounding.
  save_halo_state(state.bit_policy, state.links, ckpt.tensors);
  const BestValidation& best = state.best;
  ckpt.tensors["run.best"] =
      Tensor::from(std::vector<int64_t>{best.epoch, best.valid_correct, best.test_correct});
  return ckpt;
}

void restore_checkpoint(const Checkpoint& ckpt, RunState& state, const std::string& origin) {
  for (Parameter* p : state.model.parameters()) {
    auto it = ckpt.tensors.find(p->name);
    TANGO_CHECK_INPUT(it != ckpt.tensors.end() && it->second.numel() == p->value.numel(),
                      "checkpoint {} has no tensor '{}' of {} values", origin, p->name, p->value.numel());
    p->value.copy_from(it->second);
  }
  state.adam.load(ckpt.tensors, origin);
  load_halo_state(ckpt.tensors, origin, state.bit_policy, state.links);
  auto it = ckpt.tensors.find("run.best");
  TANGO_CHECK_INPUT(it != ckpt.tensors.end() && it->second.numel() == 3, "checkpoint {} lacks run.best",
                    origin);
  std::vector<int64_t> values = it->second.to_vector<int64_t>();
  state.best = {values[0], values[1], values[2]};
}

}  // namespace

RunCheckpoints::RunCheckpoints(const TrainConfig& config, comm::Communicator& comm)
    : config_(config), comm_(comm) {
  if (config.checkpoint_dir.empty()) return;
  std::filesystem::create_directories(config.checkpoint_dir);
  store_ = std::make_unique<CheckpointStore>(config.checkpoint_dir, comm.rank(), comm.size());
}

int64_t RunCheckpoints::resume(RunState& state) {
  if (!config_.resume || !store_) return 0;
  int64_t chosen = store_->latest_complete_epoch().value_or(-1);
  comm_.broadcast_bytes(&chosen, sizeof chosen, 0);
  if (chosen < 0) {
    if (comm_.rank() == 0)
      spdlog::warn("--resume: no complete checkpoint in {}, starting from epoch 0", config_.checkpoint_dir);
    return 0;
  }
  Checkpoint ckpt;
  std::string load_error;
  ErrorKind load_kind = ErrorKind::kInvalidInput;
  try {
    ckpt = store_->load(chosen, config_.hash());
    restore_checkpoint(ckpt, state, store_->path_for(chosen, comm_.rank()));
  } catch (const Error& e) {
    load_error = e.what();
    load_kind = e.kind();
  }
  const std::vector<int32_t> failed = comm_.allgather<int32_t>(load_error.empty() ? 0 : 1);
  if (!load_error.empty()) throw Error(load_kind, load_error);
  const auto first_failed = std::find(failed.begin(), failed.end(), 1);
  if (first_failed != failed.end())
    TANGO_FAIL_INPUT(
        "rank {} could not resume from the checkpoint of epoch {} in {} (its error is in its log)",
        first_failed - failed.begin(), chosen, config_.checkpoint_dir);
  if (comm_.rank() == 0) spdlog::info("resuming after epoch {} from {}", ckpt.epoch, config_.checkpoint_dir);
  return ckpt.epoch;
}

void RunCheckpoints::save_if_due(int64_t epochs_done, const RunState& state) {
  if (!store_) return;
  const bool due = (config_.checkpoint_every > 0 && epochs_done % config_.checkpoint_every == 0) ||
                   epochs_done == config_.epochs;
  if (!due) return;
  store_->save(make_checkpoint(state, epochs_done, config_));
  comm_.barrier();  // every rank's file is complete before any rank goes on (and may resume from it)
}

}  // namespace tango::trainer
