#include "trainer/run_checkpoints.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "trainer/collective_error.h"
#include "trainer/legacy_checkpoints.h"

namespace tango::trainer {
namespace {

io::Checkpoint make_checkpoint(const RunState& state, int64_t epoch, const TrainConfig& config,
                               const io::DatasetIdentity& dataset, comm::Communicator& comm) {
  io::Checkpoint ckpt;
  // The halo state first: it is collective (halo_link.h).
  save_halo_state(state.bit_policy, state.links, comm, ckpt.tensors);
  ckpt.epoch = epoch;
  ckpt.rng_state = config.seed;  // every draw is keyed by (seed, epoch, ...): the epoch is the position
  ckpt.num_ranks = comm.size();
  ckpt.config_hash = config.hash();
  ckpt.config = config.math_json().dump();
  ckpt.dataset = dataset;
  if (comm.rank() != 0) return ckpt;  // only rank 0 writes: the rest is the same on every rank
  for (Parameter* p : state.model.parameters()) ckpt.tensors[p->name] = p->value.to(Device::cpu());
  state.adam.save(ckpt.tensors);
  const BestValidation& best = state.best;
  ckpt.tensors["run.best"] =
      Tensor::from(std::vector<int64_t>{best.epoch, best.valid_correct, best.test_correct});
  return ckpt;
}

// "lr: 0.01 in the checkpoint, 0.05 now; model: gcn in the checkpoint, sage now" (keys of either side).
std::string config_differences(const std::string& saved_text, const nlohmann::json& now) {
  const nlohmann::json saved = nlohmann::json::parse(saved_text, nullptr, /*allow_exceptions=*/false);
  if (saved.is_discarded() || !saved.is_object()) return "its configuration is unreadable";
  std::vector<std::string> keys;
  for (const auto& [key, value] : saved.items()) keys.push_back(key);
  for (const auto& [key, value] : now.items())
    if (!saved.contains(key)) keys.push_back(key);
  std::string text;
  for (const std::string& key : keys) {
    const std::string before = saved.contains(key) ? saved[key].dump() : "(absent)";
    const std::string after = now.contains(key) ? now[key].dump() : "(absent)";
    if (before == after) continue;
    text += fmt::format("{}{}: {} in the checkpoint, {} now", text.empty() ? "" : "; ", key, before, after);
  }
  return text.empty() ? "the same keys, another hash (written by another build?)" : text;
}

void check_matches_run(const io::Checkpoint& ckpt, const std::string& path, const TrainConfig& config,
                       const io::DatasetIdentity& dataset) {
  TANGO_CHECK_INPUT(ckpt.config_hash == config.hash(),
                    "checkpoint '{}' belongs to another configuration ({}): resume with the flags it was "
                    "written with, or start a new --checkpoint-dir",
                    path, config_differences(ckpt.config, config.math_json()));
  TANGO_CHECK_INPUT(
      ckpt.dataset.same_data(dataset),
      "checkpoint '{}' was written for dataset {}, but this run reads dataset {}: resume on the "
      "same dataset (with any rank count or partition of it), or start a new --checkpoint-dir",
      path, ckpt.dataset.str(), dataset.str());
}

void restore_checkpoint(const io::Checkpoint& ckpt, RunState& state, const std::string& origin,
                        comm::Communicator& comm) {
  for (Parameter* p : state.model.parameters()) {
    auto it = ckpt.tensors.find(p->name);
    TANGO_CHECK_INPUT(it != ckpt.tensors.end() && it->second.numel() == p->value.numel(),
                      "checkpoint {} has no tensor '{}' of {} values", origin, p->name, p->value.numel());
    p->value.copy_from(it->second);
  }
  state.adam.load(ckpt.tensors, origin);
  load_halo_state(ckpt.tensors, origin, ckpt.num_ranks, comm, state.bit_policy, state.links);
  auto it = ckpt.tensors.find("run.best");
  TANGO_CHECK_INPUT(it != ckpt.tensors.end() && it->second.numel() == 3, "checkpoint {} lacks run.best",
                    origin);
  std::vector<int64_t> values = it->second.to_vector<int64_t>();
  state.best = {values[0], values[1], values[2]};
}

// Rank 0's status (0, or the exit code of its error) on every rank.
int64_t rank0_status(int64_t mine, comm::Communicator& comm) {
  comm.broadcast_bytes(&mine, sizeof mine, 0);
  return mine;
}

}  // namespace

io::DatasetIdentity dataset_identity_of(const DistGraph& graph, comm::Communicator& comm) {
  io::DatasetIdentity identity;
  identity.name = graph.dataset_name;
  identity.nodes = graph.num_global_nodes;
  identity.edges = comm.allreduce<int64_t>(graph.adjacency.num_edges(), comm::ReduceOp::kSum);
  // Unsigned shares summed in the same order everywhere (an MPI sum of signed 64-bit values may trap on
  // overflow; the checksum wraps by design).
  for (uint64_t share : comm.allgather<uint64_t>(graph.dataset_checksum_share)) identity.checksum += share;
  return identity;
}

RunCheckpoints::RunCheckpoints(const TrainConfig& config, const DistGraph& graph, comm::Communicator& comm)
    : config_(config), comm_(comm) {
  if (config.checkpoint_dir.empty()) return;
  store_ = std::make_unique<io::CheckpointStore>(config.checkpoint_dir);
  dataset_ = dataset_identity_of(graph, comm);
}

int64_t RunCheckpoints::resume(RunState& state) {
  if (!config_.resume || !store_) return 0;
  const std::string& dir = config_.checkpoint_dir;
  // Rank 0 picks the epoch (the folder is shared; a rank that saw another listing would load another
  // file): the newest checkpoint, else the newest complete set of per-rank checkpoints of format 2.
  int64_t chosen[2] = {-1, -1};  // format 3, format 2
  if (comm_.rank() == 0) {
    chosen[0] = store_->latest_epoch().value_or(-1);
    if (chosen[0] < 0) chosen[1] = latest_per_rank_epoch(dir).value_or(-1);
  }
  comm_.broadcast_bytes(chosen, sizeof chosen, 0);
  if (chosen[0] < 0 && chosen[1] < 0) {
    if (comm_.rank() == 0) spdlog::warn("--resume: no checkpoint in {}, starting from epoch 0", dir);
    return 0;
  }
  const bool per_rank = chosen[0] < 0;
  const int64_t epoch = per_rank ? chosen[1] : chosen[0];
  const std::string origin =
      per_rank ? fmt::format("{}/ckpt-e{:06d}-r*.h5", dir, epoch) : store_->path_for(epoch);
  io::Checkpoint ckpt;
  std::string load_error;
  ErrorKind load_kind = ErrorKind::kInvalidInput;
  try {
    if (per_rank) {
      ckpt = read_per_rank_checkpoints(dir, epoch, config_);  // checks the configuration's hash
    } else {
      ckpt = store_->load(epoch);
      check_matches_run(ckpt, origin, config_, dataset_);
    }
    restore_checkpoint(ckpt, state, origin, comm_);
  } catch (const Error& e) {
    load_error = e.what();
    load_kind = e.kind();
  }
  // Every rank reads the same files, so every rank normally fails the same way (a rank whose view of
  // the folder differs fails alone). Either way every rank stops here, knowing what the others found:
  // rank 0 prints, and a rank prints its own error only when rank 0 had none.
  const std::vector<int32_t> failed = comm_.allgather<int32_t>(load_error.empty() ? 0 : 1);
  if (!load_error.empty()) throw CollectiveError(load_kind, load_error, comm_.rank() == 0 || failed[0] == 0);
  const auto first_failed = std::find(failed.begin(), failed.end(), 1);
  if (first_failed != failed.end()) {
    throw CollectiveError(
        ErrorKind::kInvalidInput,
        fmt::format("rank {} could not resume from checkpoint '{}' (its error is in its log)",
                    first_failed - failed.begin(), origin),
        comm_.rank() == 0);
  }
  if (comm_.rank() == 0) {
    spdlog::info("resuming after epoch {} from {} (written by {} rank(s), resumed on {})", ckpt.epoch, origin,
                 ckpt.num_ranks, comm_.size());
    if (per_rank) {
      spdlog::warn(
          "{} are per-rank checkpoints of format 2, which do not record the dataset: it is not checked. The "
          "next "
          "checkpoint is written as one file (format {}); the per-rank files can then be deleted",
          origin, io::kCheckpointFormatVersion);
    }
  }
  return ckpt.epoch;
}

void RunCheckpoints::save_if_due(int64_t epochs_done, const RunState& state) {
  if (!store_) return;
  const bool due = (config_.checkpoint_every > 0 && epochs_done % config_.checkpoint_every == 0) ||
                   epochs_done == config_.epochs;
  if (!due) return;
  const io::Checkpoint ckpt = make_checkpoint(state, epochs_done, config_, dataset_, comm_);
  int64_t status = 0;
  std::string message;
  ErrorKind kind = ErrorKind::kRuntime;
  if (comm_.rank() == 0) {
    try {
      store_->save(ckpt, config_.checkpoint_keep);
    } catch (const Error& e) {
      status = e.exit_code();
      message = e.what();
      kind = e.kind();
    }
  }
  // Every rank goes on only once the file is complete (a run killed after epoch e resumes from e).
  if (rank0_status(status, comm_) == 0) return;
  if (comm_.rank() == 0) throw CollectiveError(kind, message, /*print_here=*/true);
  throw CollectiveError(kind,
                        fmt::format("rank 0 could not write the checkpoint of epoch {} to '{}'", epochs_done,
                                    config_.checkpoint_dir),
                        /*print_here=*/false);
}

}  // namespace tango::trainer
