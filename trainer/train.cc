#include "trainer/train.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <memory>

#include "core/allocator.h"
#include "core/device.h"
#include "core/device_timer.h"
#include "core/log.h"
#include "core/timer.h"
#include "io/checkpoint_store.h"
#include "io/dataset.h"
#include "io/metrics_writer.h"
#include "kernels/masked_nll.h"
#include "trainer/device_choice.h"
#include "trainer/gradient_reducer.h"
#include "trainer/halo_link.h"
#include "trainer/model.h"
#include "trainer/ops.h"
#include "trainer/optimizer.h"

namespace tango::trainer {
namespace {

constexpr HaloDirection kDirections[] = {HaloDirection::kForward, HaloDirection::kBackward};

const char* direction_label(HaloDirection d) {
  return d == HaloDirection::kForward ? "forward" : "backward";
}

// Correct-prediction counts of one evaluation, summed over ranks: train, valid, test.
struct Counts {
  int64_t correct[3] = {0, 0, 0};
  int64_t total[3] = {0, 0, 0};
  double accuracy(int i) const { return total[i] > 0 ? static_cast<double>(correct[i]) / total[i] : 0.0; }
};

// The best-validation bookkeeping, saved in checkpoints as exact counts.
struct BestValidation {
  int64_t epoch = -1;
  int64_t valid_correct = -1;
  int64_t test_correct = 0;
};

// Slots of the per-epoch scalars tensor (i64 on the training device, read back once per epoch).
enum ScalarSlot : int {
  kLossSlot = 0,
  kCorrectSlot = 1,
  kNumScalarSlots = 4
};  // correct: train, valid, test

// Rows a u8 mask selects, counted on the host (load time only).
int64_t host_mask_count(const Tensor& mask) {
  return count_mask(mask.device().is_cpu() ? mask : mask.to(Device::cpu()));
}

// A forward pass without dropout whose correct counts (train, valid, test) go to the scalars' slots
// kCorrectSlot..+2 on the device.
void evaluate(Model& model, const DistGraph& graph, const std::vector<HaloLink*>& halos, int64_t epoch,
              Tensor& scalars) {
  Tensor logits = model.forward(graph, halos, /*training=*/false, epoch);
  const Tensor* masks[3] = {&graph.train_mask, &graph.valid_mask, &graph.test_mask};
  for (int i = 0; i < 3; ++i) count_correct(logits, graph.labels, *masks[i], scalars, kCorrectSlot + i);
}

Checkpoint make_checkpoint(Model& model, const Adam& adam, int64_t epoch, const BestValidation& best,
                           const comm::BitPolicy& bit_policy,
                           const std::vector<std::unique_ptr<CommHaloLink>>& links,
                           const TrainConfig& config) {
  Checkpoint ckpt;
  ckpt.epoch = epoch;
  ckpt.rng_state = config.seed;  // every draw is keyed by (seed, epoch, ...): the epoch is the position
  ckpt.config_hash = config.hash();
  for (Parameter* p : model.parameters()) ckpt.tensors[p->name] = p->value.to(Device::cpu());
  adam.save(ckpt.tensors);
  // The halo state: adaptive widths and windows, and the exchange counts keying stochastic rounding.
  save_halo_state(bit_policy, links, ckpt.tensors);
  ckpt.tensors["run.best"] =
      Tensor::from(std::vector<int64_t>{best.epoch, best.valid_correct, best.test_correct});
  return ckpt;
}

void restore_checkpoint(const Checkpoint& ckpt, Model& model, Adam& adam, BestValidation& best,
                        comm::BitPolicy& bit_policy, std::vector<std::unique_ptr<CommHaloLink>>& links,
                        const std::string& origin) {
  for (Parameter* p : model.parameters()) {
    auto it = ckpt.tensors.find(p->name);
    TANGO_CHECK_INPUT(it != ckpt.tensors.end() && it->second.numel() == p->value.numel(),
                      "checkpoint {} has no tensor '{}' of {} values", origin, p->name, p->value.numel());
    p->value.copy_from(it->second);
  }
  adam.load(ckpt.tensors, origin);
  load_halo_state(ckpt.tensors, origin, bit_policy, links);
  auto it = ckpt.tensors.find("run.best");
  TANGO_CHECK_INPUT(it != ckpt.tensors.end() && it->second.numel() == 3, "checkpoint {} lacks run.best",
                    origin);
  std::vector<int64_t> values = it->second.to_vector<int64_t>();
  best = {values[0], values[1], values[2]};
}

std::string megabytes(int64_t bytes) {
  return fmt::format("{:.2f}", static_cast<double>(bytes) / 1e6);
}

}  // namespace

std::string resolved_config_path(const TrainConfig& config) {
  if (!config.metrics_path.empty()) return config.metrics_path + ".config.json";
  if (!config.summary_path.empty()) return config.summary_path + ".config.json";
  if (!config.checkpoint_dir.empty())
    return (std::filesystem::path(config.checkpoint_dir) / "config.json").string();
  return "";
}

TrainResult train(const TrainConfig& config, const DistGraph& host_graph, comm::Communicator& comm) {
  const bool leader = comm.rank() == 0;
  TANGO_CHECK_INPUT(config.eval_every >= 1, "--eval-every must be at least 1, got {}", config.eval_every);
  TANGO_CHECK_INPUT(config.dropout >= 0 && config.dropout < 1, "--dropout must be in [0, 1), got {}",
                    config.dropout);
  TANGO_CHECK_INPUT(config.optimizer == "adam" || config.optimizer == "adamw",
                    "--optimizer must be adam or adamw, got '{}'", config.optimizer);
  // The device every per-epoch tensor lives on; the graph is copied there once.
  const Device device = choose_train_device(config.device, comm);
  const DistGraph device_graph = device.is_cuda() ? graph_on_device(host_graph, device) : DistGraph();
  const DistGraph& graph = device.is_cuda() ? device_graph : host_graph;
  nlohmann::json config_json = config.to_json();
  config_json["resolved_device"] = device.str();

  // Every rank must agree on the model's input width and classes.
  const int64_t features = comm.allreduce<int64_t>(graph.num_features(), comm::ReduceOp::kMax);
  const int64_t classes = comm.allreduce<int64_t>(graph.num_classes, comm::ReduceOp::kMax);
  TANGO_CHECK_INPUT(features == graph.num_features() && classes == graph.num_classes,
                    "rank {} has {} features and {} classes, another rank {} and {}", comm.rank(),
                    graph.num_features(), graph.num_classes, features, classes);

  Model model(config, graph.num_features(), graph.num_classes);
  model.to(device);
  // Weight gradients: one bucket per layer, allreduced while backward goes on (--overlap).
  std::vector<std::vector<Parameter*>> layer_parameters;
  for (int l = 0; l < model.num_layers(); ++l) layer_parameters.push_back(model.layer(l).parameters());
  GradientReducer reducer(comm, layer_parameters, device, config.overlap);
  AdamOptions adam_options;
  adam_options.lr = static_cast<float>(config.lr);
  adam_options.weight_decay = static_cast<float>(config.weight_decay);
  adam_options.decoupled = config.optimizer == "adamw";
  Adam adam(model.parameters(), adam_options);

  const comm::HaloPlan plan = make_halo_plan(graph, comm);
  // Adaptive decisions are collective per exchange: every rank takes part in every exchange, a rank whose
  // part has no halo row with empty ones (LayerContext::exchanges).
  comm::BitPolicy bit_policy = make_bit_policy(config);
  std::vector<std::unique_ptr<CommHaloLink>> links;
  std::vector<HaloLink*> halos;
  for (int l = 0; l < model.num_layers(); ++l) {
    links.push_back(std::make_unique<CommHaloLink>(
        comm, plan, config.seed * 1000003 + static_cast<uint64_t>(l), l, bit_policy));
    halos.push_back(links.back().get());
  }

  const double train_count = static_cast<double>(
      comm.allreduce<int64_t>(host_mask_count(host_graph.train_mask), comm::ReduceOp::kSum));
  // Evaluation denominators: train, valid, test rows over all ranks.
  std::vector<int64_t> mask_totals = {host_mask_count(host_graph.train_mask),
                                      host_mask_count(host_graph.valid_mask),
                                      host_mask_count(host_graph.test_mask)};
  comm.allreduce(std::span<int64_t>(mask_totals), comm::ReduceOp::kSum);
  TANGO_CHECK_INPUT(train_count > 0, "the training mask is empty on every rank");

  // Resume.
  int64_t start_epoch = 0;
  BestValidation best;
  std::unique_ptr<CheckpointStore> store;
  if (!config.checkpoint_dir.empty()) {
    std::filesystem::create_directories(config.checkpoint_dir);
    store = std::make_unique<CheckpointStore>(config.checkpoint_dir, comm.rank(), comm.size());
  }
  if (config.resume) {
    // Every rank must make the same choice: rank 0 picks the epoch, and a load error on any rank
    // stops every rank (a rank that trained on alone would wait forever in the first collective).
    std::optional<int64_t> latest = store->latest_complete_epoch();
    int64_t chosen = latest.value_or(-1);
    comm.broadcast_bytes(&chosen, sizeof chosen, 0);
    latest = chosen >= 0 ? std::optional<int64_t>(chosen) : std::nullopt;
    if (latest) {
      Checkpoint ckpt;
      std::string load_error;
      ErrorKind load_kind = ErrorKind::kInvalidInput;
      try {
        ckpt = store->load(*latest, config.hash());
        restore_checkpoint(ckpt, model, adam, best, bit_policy, links, store->path_for(*latest, comm.rank()));
      } catch (const Error& e) {
        load_error = e.what();
        load_kind = e.kind();
      }
      const std::vector<int32_t> failed = comm.allgather<int32_t>(load_error.empty() ? 0 : 1);
      if (!load_error.empty()) throw Error(load_kind, load_error);
      const auto first_failed = std::find(failed.begin(), failed.end(), 1);
      const int64_t failed_rank = first_failed - failed.begin();
      if (first_failed != failed.end())
        TANGO_FAIL_INPUT(
            "rank {} could not resume from the checkpoint of epoch {} in {} (its error is in its log)",
            failed_rank, *latest, config.checkpoint_dir);
      start_epoch = ckpt.epoch;
      if (leader) spdlog::info("resuming after epoch {} from {}", start_epoch, config.checkpoint_dir);
    } else if (leader) {
      spdlog::warn("--resume: no complete checkpoint in {}, starting from epoch 0", config.checkpoint_dir);
    }
  }

  MetricsWriter metrics;
  if (leader && !config.metrics_path.empty()) {
    // A run killed after its last checkpoint logged epochs that run again now: list each epoch once.
    if (start_epoch > 0) keep_metrics_through_epoch(config.metrics_path, start_epoch);
    metrics = MetricsWriter(config.metrics_path, start_epoch > 0);
  }
  const std::string config_path = resolved_config_path(config);
  if (leader && !config_path.empty()) write_json_atomic(config_path, config_json);

  TrainResult result;
  double epoch_ms_total = 0;
  Counts last_counts;
  bool have_counts = false;
  const int num_layers = model.num_layers();
  // Exchange totals at the start of the epoch, to report each epoch's share.
  std::vector<comm::ExchangeStats> before(static_cast<size_t>(num_layers) * 2);
  // Loss sum and correct counts of the epoch, on the device until one copy at the end of the epoch.
  Tensor scalars = Tensor::zeros(DType::kI64, Shape::vec(kNumScalarSlots), device);

  for (int64_t epoch = start_epoch; epoch < config.epochs; ++epoch) {
    reset_peak_memory(device.kind);
    for (int l = 0; l < num_layers; ++l) {
      for (int d = 0; d < 2; ++d) before[l * 2 + d] = links[l]->stats(kDirections[d]);
    }
    Timer epoch_timer;

    Tensor logits = model.forward(graph, halos, /*training=*/true, epoch);
    Tensor d_logits = Tensor::empty(DType::kF32, logits.shape(), device);
    log_softmax_nll(logits, graph.labels, graph.train_mask, train_count, d_logits, scalars, kLossSlot);
    model.backward(
        d_logits, halos, [&](int layer) { reducer.layer_done(layer); }, [&] { reducer.progress(); });

    // With overlap, only what the allreduces did not hide behind backward is waited for here.
    Timer allreduce_timer;
    reducer.finish();
    const double gradient_allreduce_ms = allreduce_timer.millis();
    double allreduce_ms = gradient_allreduce_ms;

    DeviceTimer optimizer_timer(device);  // on a GPU: the Adam kernels' time, not their launch
    adam.step();
    const double optimizer_ms = optimizer_timer.millis();

    const bool evaluate_now = (epoch + 1) % config.eval_every == 0 || epoch + 1 == config.epochs;
    if (evaluate_now) evaluate(model, graph, halos, epoch, scalars);

    // The epoch's only device-to-host traffic: the loss sum and the correct counts (32 bytes).
    const std::vector<int64_t> local_scalars = scalars.to_vector<int64_t>();
    Timer scalar_timer;
    const double loss =
        comm.allreduce<double>(kernels::scalar_as_double(local_scalars[kLossSlot]), comm::ReduceOp::kSum) /
        train_count;
    if (evaluate_now) {
      std::vector<int64_t> correct(local_scalars.begin() + kCorrectSlot,
                                   local_scalars.begin() + kCorrectSlot + 3);
      comm.allreduce(std::span<int64_t>(correct), comm::ReduceOp::kSum);
      for (int i = 0; i < 3; ++i) {
        last_counts.correct[i] = correct[i];
        last_counts.total[i] = mask_totals[i];
      }
      have_counts = true;
      if (last_counts.correct[1] > best.valid_correct) {
        best = {epoch + 1, last_counts.correct[1], last_counts.correct[2]};
      }
    }
    allreduce_ms += scalar_timer.millis();
    const double epoch_ms = epoch_timer.millis();
    epoch_ms_total += epoch_ms;
    result.losses.push_back(loss);

    // Halo accounting of this epoch, per layer and direction, summed over ranks.
    nlohmann::json halo = nlohmann::json::array();
    std::vector<int64_t> bytes;    // sent, fp32 per (layer, direction)
    std::vector<double> seconds;   // wait + encode + decode, error^2, signal^2 per (layer, direction)
    std::vector<double> phase_ms;  // this rank's encode, overlap window, wait, decode per (layer, direction)
    for (int l = 0; l < num_layers; ++l) {
      for (int d = 0; d < 2; ++d) {
        const comm::ExchangeStats& now = links[l]->stats(kDirections[d]);
        const comm::ExchangeStats& then = before[l * 2 + d];
        phase_ms.push_back((now.encode_s - then.encode_s) * 1e3);
        phase_ms.push_back((now.overlap_s - then.overlap_s) * 1e3);
        phase_ms.push_back((now.wait_s - then.wait_s) * 1e3);
        phase_ms.push_back((now.decode_s - then.decode_s) * 1e3);
        bytes.push_back(now.bytes_sent - then.bytes_sent);
        bytes.push_back(now.fp32_bytes - then.fp32_bytes);
        seconds.push_back((now.wait_s - then.wait_s) + (now.encode_s - then.encode_s) +
                          (now.decode_s - then.decode_s));
        seconds.push_back(now.quantization.squared_error - then.quantization.squared_error);
        seconds.push_back(now.quantization.squared_signal - then.quantization.squared_signal);
      }
    }
    // This rank's halo time (wait + encode + decode) per direction: entries (l, d) at (l * 2 + d) * 3.
    double local_comm_ms_by_direction[2] = {0.0, 0.0};
    for (size_t i = 0; i < seconds.size(); i += 3)
      local_comm_ms_by_direction[(i / 3) % 2] += seconds[i] * 1e3;
    const double local_comm_ms = local_comm_ms_by_direction[0] + local_comm_ms_by_direction[1];
    comm.allreduce(std::span<int64_t>(bytes), comm::ReduceOp::kSum);
    comm.allreduce(std::span<double>(seconds), comm::ReduceOp::kSum);
    int64_t epoch_sent = 0, epoch_fp32 = 0;
    for (int l = 0; l < num_layers; ++l) {
      for (int d = 0; d < 2; ++d) {
        const size_t i = static_cast<size_t>(l * 2 + d);
        const double err2 = seconds[i * 3 + 1], sig2 = seconds[i * 3 + 2];
        halo.push_back({{"layer", l},
                        {"direction", direction_label(kDirections[d])},
                        {"codec", links[l]->codec(kDirections[d]).name()},
                        {"bytes_sent", bytes[i * 2]},
                        {"bytes_fp32", bytes[i * 2 + 1]},
                        {"relative_error", sig2 > 0 ? std::sqrt(err2 / sig2) : 0.0},
                        // This rank's: where its halo time went (what the timeline of one exchange is).
                        {"encode_ms", phase_ms[i * 4]},
                        {"overlap_ms", phase_ms[i * 4 + 1]},
                        {"wait_ms", phase_ms[i * 4 + 2]},
                        {"decode_ms", phase_ms[i * 4 + 3]}});
        epoch_sent += bytes[i * 2];
        epoch_fp32 += bytes[i * 2 + 1];
      }
    }
    result.bytes_sent += epoch_sent;
    result.bytes_fp32 += epoch_fp32;
    const int64_t peak = memory_stats(device.kind).peak_bytes;  // the GPU's when training on CUDA
    const std::vector<int64_t> peaks = comm.allgather(peak);
    const double comm_ms = local_comm_ms + allreduce_ms;
    const double compute_ms = std::max(0.0, epoch_ms - comm_ms - optimizer_ms);

    if (leader) {
      nlohmann::json record = {{"epoch", epoch + 1},
                               {"loss", loss},
                               {"epoch_ms", epoch_ms},
                               {"time_ms",
                                {{"compute", compute_ms},
                                 {"comm_wait", local_comm_ms},
                                 {"comm_wait_forward", local_comm_ms_by_direction[0]},
                                 {"comm_wait_backward", local_comm_ms_by_direction[1]},
                                 {"allreduce", allreduce_ms},
                                 {"gradient_allreduce_wait", gradient_allreduce_ms},
                                 {"optimizer", optimizer_ms}}},
                               {"halo_bits", bit_policy.describe()},
                               {"bytes_sent", epoch_sent},
                               {"bytes_fp32", epoch_fp32},
                               {"halo", halo},
                               {"peak_memory_bytes", peaks},
                               {"peak_memory_device", device.is_cuda() ? "cuda" : "cpu"}};
      if (evaluate_now) {
        record["train_acc"] = last_counts.accuracy(0);
        record["valid_acc"] = last_counts.accuracy(1);
        record["test_acc"] = last_counts.accuracy(2);
      }
      metrics.append(record);
      if (!config.quiet) {
        const std::string accuracies =
            have_counts ? fmt::format("train {:.4f} valid {:.4f} test {:.4f}", last_counts.accuracy(0),
                                      last_counts.accuracy(1), last_counts.accuracy(2))
                        : std::string("(not evaluated)");
        fmt::print("epoch {:4d} | loss {:.4f} | {} | {:7.1f} ms | comm {:4.1f}% | sent {} MB / {} MB fp32\n",
                   epoch + 1, loss, accuracies, epoch_ms, epoch_ms > 0 ? 100.0 * comm_ms / epoch_ms : 0.0,
                   megabytes(epoch_sent), megabytes(epoch_fp32));
        std::fflush(stdout);
      }
    }
    const bool last_epoch = epoch + 1 == config.epochs;
    if (store &&
        ((config.checkpoint_every > 0 && (epoch + 1) % config.checkpoint_every == 0) || last_epoch)) {
      store->save(make_checkpoint(model, adam, epoch + 1, best, bit_policy, links, config));
      comm.barrier();  // every rank's file is complete before any rank goes on (and may resume from it)
    }
  }

  const int64_t epochs_run = config.epochs - start_epoch;
  result.epochs = std::max<int64_t>(config.epochs, start_epoch);
  result.epoch_ms_mean = epochs_run > 0 ? epoch_ms_total / static_cast<double>(epochs_run) : 0.0;
  const int64_t valid_total = mask_totals[1];
  const int64_t test_total = mask_totals[2];
  result.best_epoch = best.epoch;
  result.best_valid_acc = best.epoch > 0 ? static_cast<double>(best.valid_correct) / valid_total : 0.0;
  result.test_acc = best.epoch > 0 ? static_cast<double>(best.test_correct) / test_total : 0.0;
  for (Parameter* p : model.parameters()) result.weights[p->name] = p->value.to(Device::cpu());
  result.device = device.str();
  result.allreduces_started_early = reducer.started_early();

  result.summary = {
      {"test_acc", result.test_acc},
      {"best_valid_acc", result.best_valid_acc},
      {"best_epoch", result.best_epoch},
      {"epochs", result.epochs},
      {"epochs_this_run", epochs_run},
      {"resumed_from_epoch", start_epoch},
      {"final_loss", result.losses.empty() ? nlohmann::json(nullptr) : nlohmann::json(result.losses.back())},
      {"final_train_acc", have_counts ? last_counts.accuracy(0) : 0.0},
      {"final_valid_acc", have_counts ? last_counts.accuracy(1) : 0.0},
      {"final_test_acc", have_counts ? last_counts.accuracy(2) : 0.0},
      {"epoch_ms_mean", result.epoch_ms_mean},
      {"ranks", comm.size()},
      {"hosts", comm.num_hosts()},
      {"device", device.str()},
      {"nodes", graph.num_global_nodes},
      {"bytes_sent", result.bytes_sent},
      {"bytes_fp32", result.bytes_fp32},
      {"config", config_json},
      {"config_hash", config.hash()}};
  // This rank's tensor-memory cache (core/allocator.h): hits are per-epoch buffers that came back
  // without a trip to the system allocator. peak_memory_bytes above counts live tensors only.
  const AllocatorStats cache = device_allocator(device).stats();
  result.summary["alloc_cache"] = {{"hits", cache.hits},
                                   {"misses", cache.misses},
                                   {"evictions", cache.evictions},
                                   {"cached_bytes", cache.cached_bytes},
                                   {"peak_in_use_bytes", cache.peak_in_use_bytes}};
  if (leader && !config.summary_path.empty()) write_json_atomic(config.summary_path, result.summary);
  return result;
}

}  // namespace tango::trainer
