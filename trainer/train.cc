#include "trainer/train.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>

#include "core/allocator.h"
#include "core/device.h"
#include "core/device_timer.h"
#include "core/log.h"
#include "core/timer.h"
#include "io/dataset.h"
#include "io/metrics_writer.h"
#include "kernels/gemm.h"
#include "kernels/masked_nll.h"
#include "trainer/best_weights.h"
#include "trainer/collective_step.h"
#include "trainer/device_choice.h"
#include "trainer/epoch_report.h"
#include "trainer/gradient_reducer.h"
#include "trainer/halo_link.h"
#include "trainer/model.h"
#include "trainer/model_file.h"
#include "trainer/ops.h"
#include "trainer/optimizer.h"
#include "trainer/predictions.h"
#include "trainer/quant_telemetry.h"
#include "trainer/run_checkpoints.h"

namespace tango::trainer {
namespace {

// Slots of the per-epoch scalars tensor (i64 on the training device, read back once per epoch).
enum ScalarSlot : int {
  kLossSlot = 0,
  kCorrectSlot = 1,  // train, valid, test
  kNumScalarSlots = 4
};

// Rows a u8 mask selects, counted on the host (load time only).
int64_t host_mask_count(const Tensor& mask) {
  return io::count_mask(mask.device().is_cpu() ? mask : mask.to(Device::cpu()));
}

// Rows of the train, valid and test splits over all ranks.
std::array<int64_t, 3> global_split_sizes(const DistGraph& host_graph, comm::Communicator& comm) {
  std::array<int64_t, 3> sizes = {host_mask_count(host_graph.train_mask),
                                  host_mask_count(host_graph.valid_mask),
                                  host_mask_count(host_graph.test_mask)};
  comm.allreduce(std::span<int64_t>(sizes), comm::ReduceOp::kSum);
  TANGO_CHECK_INPUT(sizes[0] > 0, "the training mask is empty on every rank");
  return sizes;
}

Adam make_optimizer(const TrainConfig& config, Model& model) {
  AdamOptions options;
  options.lr = static_cast<float>(config.lr);
  options.weight_decay = static_cast<float>(config.weight_decay);
  options.decoupled = config.optimizer == "adamw";
  return Adam(model.parameters(), options);
}

// A forward pass without dropout whose correct counts (train, valid, test) go to the scalars' slots
// kCorrectSlot..+2 on the device.
void evaluate(Model& model, const DistGraph& graph, const std::vector<HaloLink*>& halos, int64_t epoch,
              Tensor& scalars) {
  Tensor logits = model.forward(graph, halos, /*training=*/false, epoch);
  const Tensor* masks[3] = {&graph.train_mask, &graph.valid_mask, &graph.test_mask};
  for (int i = 0; i < 3; ++i) count_correct(logits, graph.labels, *masks[i], scalars, kCorrectSlot + i);
}

// The epoch's loss and (when it evaluated) correct counts over all ranks: its only device-to-host
// traffic (32 bytes).
struct EpochScalars {
  double loss = 0;
  std::optional<SplitCounts> counts;
};

EpochScalars reduce_scalars(const Tensor& scalars, bool evaluated, const std::array<int64_t, 3>& split_sizes,
                            comm::Communicator& comm, double* allreduce_ms) {
  const std::vector<int64_t> local = scalars.to_vector<int64_t>();
  Timer timer;
  EpochScalars out;
  out.loss = comm.allreduce<double>(kernels::scalar_as_double(local[kLossSlot]), comm::ReduceOp::kSum) /
             static_cast<double>(split_sizes[0]);
  if (evaluated) {
    std::vector<int64_t> correct(local.begin() + kCorrectSlot, local.begin() + kCorrectSlot + 3);
    comm.allreduce(std::span<int64_t>(correct), comm::ReduceOp::kSum);
    SplitCounts counts;
    for (int i = 0; i < 3; ++i) {
      counts.correct[i] = correct[i];
      counts.total[i] = split_sizes[i];
    }
    out.counts = counts;
  }
  *allreduce_ms = timer.millis();
  return out;
}

// What the run leaves to use, from the best-validation weights (trainer/best_weights.h): the model file
// (rank 0) and the per-node predictions and embeddings (all ranks). Leaves those weights in `model`.
// Returns the summary's "outputs" (empty when nothing was asked for).
// `provenance` goes into the model file's metadata.
nlohmann::json write_outputs(const TrainConfig& config, const std::map<std::string, std::string>& provenance,
                             const BestWeights& best_weights, Model& model, const DistGraph& graph,
                             const DistGraph& host_graph, const std::vector<HaloLink*>& halos,
                             const std::array<int64_t, 3>& split_sizes, comm::Communicator& comm) {
  if (!best_weights.wanted()) return {};
  TANGO_CHECK(best_weights.epoch() > 0, "no evaluated epoch to take the best weights from");
  set_weights(model, best_weights.weights(), "the best-validation weights");
  nlohmann::json outputs = {{"best_epoch", best_weights.epoch()}};
  if (!config.save_model_path.empty()) {
    // Complete when any rank returns; an error there stops every rank (trainer/collective_step.h).
    run_on_rank0(comm, "--save-model", [&] {
      const ModelSpec spec = ModelSpec::of(config, graph.num_features(), graph.num_classes);
      save_model_file(config.save_model_path, spec, best_weights.weights(), provenance);
    });
    outputs["model"] = config.save_model_path;
  }
  if (!config.predictions_path.empty() || !config.embeddings_path.empty()) {
    PredictionFiles files{config.predictions_path,
                          config.embeddings_path,
                          {{"source", "tango-train"}, {"best_epoch", std::to_string(best_weights.epoch())}}};
    const SplitCounts counts =
        predict_nodes(model, graph, host_graph, halos, comm, files, model_name(config.model));
    if (!config.predictions_path.empty()) outputs["predictions"] = config.predictions_path;
    if (!config.embeddings_path.empty()) outputs["embeddings"] = config.embeddings_path;
    // The best epoch's test accuracy again, from the predictions (the same in fp32; int8 halos with
    // stochastic rounding or adaptive widths may move a few nodes).
    outputs["test_acc"] = split_sizes[2] > 0 ? static_cast<double>(counts.correct[2]) / split_sizes[2] : 0.0;
  }
  return outputs;
}

template <class F>
double timed_ms(F&& work) {
  Timer timer;
  work();
  return timer.millis();
}

}  // namespace

std::string resolved_config_path(const TrainConfig& config) {
  if (!config.metrics_path.empty()) return config.metrics_path + ".config.json";
  if (!config.summary_path.empty()) return config.summary_path + ".config.json";
  if (!config.checkpoint_dir.empty())
    return (std::filesystem::path(config.checkpoint_dir) / "config.json").string();
  return "";
}

namespace {

// What each layer holds for backward after a training forward (trainer/layers/README.md), this rank's
// bytes by kind; logged at debug level with the live tensor bytes at that point.
nlohmann::json saved_state_json(const Model& model, const Device& device) {
  nlohmann::json layers = nlohmann::json::array();
  SavedBytes all;
  for (int l = 0; l < model.num_layers(); ++l) {
    const SavedBytes saved = model.saved_bytes(l);
    all += saved;
    layers.push_back({{"layer", l},
                      {"fp32_bytes", saved.fp32},
                      {"int8_bytes", saved.int8},
                      {"u8_bytes", saved.u8},
                      {"total_bytes", saved.total()}});
    spdlog::debug("layer {} keeps for backward {:.1f} MiB: fp32 {:.1f}, int8 {:.1f}, u8 {:.1f}", l,
                  saved.total() / 1048576.0, saved.fp32 / 1048576.0, saved.int8 / 1048576.0,
                  saved.u8 / 1048576.0);
  }
  const int64_t live = memory_stats(device.kind).current_bytes;
  spdlog::debug("after the training forward: {:.1f} MiB kept for backward, {:.1f} MiB of live tensors in all",
                all.total() / 1048576.0, live / 1048576.0);
  return {{"layers", layers}, {"total_bytes", all.total()}, {"live_tensor_bytes_after_forward", live}};
}

}  // namespace

TrainResult train(const TrainConfig& config, const DistGraph& host_graph, comm::Communicator& comm) {
  validate_config(config);
  const bool leader = comm.rank() == 0;
  // The device every per-epoch tensor lives on; the graph is copied there once.
  const Device device = choose_train_device(config.device, comm);
  const DistGraph device_graph = device.is_cuda() ? graph_on_device(host_graph, device) : DistGraph();
  const DistGraph& graph = device.is_cuda() ? device_graph : host_graph;
  nlohmann::json config_json = config.to_json();
  config_json["resolved_device"] = device.str();
  // Without INT8 hardware the CPU runs QGEMM as exact fp32 GEMMs (kernels/gemm.h): said once, and summarized.
  const kernels::CpuInt8Gemm cpu_int8 = kernels::cpu_int8_gemm();
  if (leader && device.is_cpu() && cpu_int8 == kernels::CpuInt8Gemm::kExactFp32 &&
      config.precision == Precision::kINT8)
    spdlog::info(
        "--precision int8: this CPU has no VNNI or AMX, so INT8 GEMMs run as exact fp32 GEMMs; INT8 "
        "keeps less memory for backward but is not faster than --precision fp32 here");

  // Every rank must agree on the model's input width and classes.
  const int64_t features = comm.allreduce<int64_t>(graph.num_features(), comm::ReduceOp::kMax);
  const int64_t classes = comm.allreduce<int64_t>(graph.num_classes, comm::ReduceOp::kMax);
  TANGO_CHECK_INPUT(features == graph.num_features() && classes == graph.num_classes,
                    "rank {} has {} features and {} classes, another rank {} and {}", comm.rank(),
                    graph.num_features(), graph.num_classes, features, classes);

  Model model(config, graph.num_features(), graph.num_classes);
  model.to(device);
  const int num_layers = model.num_layers();
  // Weight gradients: one bucket per layer, allreduced while backward goes on (--overlap).
  std::vector<std::vector<Parameter*>> layer_parameters;
  for (int l = 0; l < num_layers; ++l) layer_parameters.push_back(model.layer(l).parameters());
  GradientReducer reducer(comm, layer_parameters, device, config.overlap);
  Adam adam = make_optimizer(config, model);
  // Adaptive decisions are collective per exchange: every rank takes part in every exchange, a rank whose
  // part has no halo row with empty ones (LayerContext::exchanges).
  comm::BitPolicy bit_policy = make_bit_policy(config);
  std::vector<std::unique_ptr<CommHaloLink>> links =
      make_halo_links(config, graph, comm, num_layers, bit_policy);
  std::vector<HaloLink*> halos;
  for (auto& link : links) halos.push_back(link.get());
  const std::array<int64_t, 3> split_sizes = global_split_sizes(host_graph, comm);
  const double train_count = static_cast<double>(split_sizes[0]);

  BestValidation best;
  RunState state{model, adam, best, bit_policy, links};
  RunCheckpoints checkpoints(config, host_graph, comm);
  const int64_t start_epoch = checkpoints.resume(state);
  BestWeights best_weights(config, comm);  // only with --save-model / --predictions / --embeddings
  best_weights.resume(best.epoch, start_epoch);

  io::MetricsWriter metrics;
  if (leader && !config.metrics_path.empty()) {
    // A run killed after its last checkpoint logged epochs that run again now: list each epoch once.
    if (start_epoch > 0) io::keep_metrics_through_epoch(config.metrics_path, start_epoch);
    metrics = io::MetricsWriter(config.metrics_path, start_epoch > 0);
  }
  const std::string config_path = resolved_config_path(config);
  if (leader && !config_path.empty()) io::write_json_atomic(config_path, config_json);

  TrainResult result;
  nlohmann::json saved_for_backward;
  double epoch_ms_total = 0;
  std::optional<SplitCounts> latest_counts;
  HaloAccounting halo_accounting(links);
  QuantTelemetry quant_telemetry(num_layers);  // measured on telemetry epochs only
  // Loss sum and correct counts of the epoch, on the device until one copy at the end of the epoch.
  Tensor scalars = Tensor::zeros(DType::kI64, Shape::vec(kNumScalarSlots), device);

  for (int64_t epoch = start_epoch; epoch < config.epochs; ++epoch) {
    reset_peak_memory(device.kind);
    halo_accounting.begin_epoch();
    EpochTimes times;
    Timer epoch_timer;

    const bool measures_quantization =
        quant_telemetry_due(config.quant_telemetry_every, config.precision == Precision::kINT8, epoch);
    if (measures_quantization) {
      quant_telemetry.clear();
      model.set_quant_telemetry(&quant_telemetry);
    }
    // forward -> loss -> backward (each layer's gradient bucket starts its allreduce as it is done)
    Tensor logits = model.forward(graph, halos, /*training=*/true, epoch);
    if (epoch == start_epoch) saved_for_backward = saved_state_json(model, device);
    Tensor d_logits = Tensor::empty(DType::kF32, logits.shape(), device);
    log_softmax_nll(logits, graph.labels, graph.train_mask, train_count, d_logits, scalars, kLossSlot);
    model.backward(
        d_logits, halos, [&](int layer) { reducer.layer_done(layer); }, [&] { reducer.progress(); });
    model.set_quant_telemetry(nullptr);
    // -> reduce (with --overlap only what backward did not hide is waited for) -> step
    times.gradient_allreduce_wait = timed_ms([&] { reducer.finish(); });
    DeviceTimer optimizer_timer(device);  // on a GPU: the Adam kernels' time, not their launch
    adam.step();
    times.optimizer = optimizer_timer.millis();

    const bool evaluates = (epoch + 1) % config.eval_every == 0 || epoch + 1 == config.epochs;
    if (evaluates) evaluate(model, graph, halos, epoch, scalars);
    const EpochScalars epoch_scalars =
        reduce_scalars(scalars, evaluates, split_sizes, comm, &times.scalars_allreduce);
    times.epoch = epoch_timer.millis();

    // Bookkeeping: best validation, metrics, progress, checkpoint.
    if (epoch_scalars.counts) {
      latest_counts = epoch_scalars.counts;
      const int64_t best_before = best.epoch;
      best.offer(epoch + 1, latest_counts->correct[1], latest_counts->correct[2]);
      if (best.epoch != best_before) best_weights.capture(best.epoch, model);
    }
    epoch_ms_total += times.epoch;
    result.losses.push_back(epoch_scalars.loss);
    const HaloEpoch halo = halo_accounting.end_epoch(comm);
    result.bytes_sent += halo.bytes_sent;
    result.bytes_fp32 += halo.bytes_fp32;
    const std::vector<int64_t> peaks = comm.allgather(memory_stats(device.kind).peak_bytes);
    const nlohmann::json quantization =
        measures_quantization ? quant_telemetry.reduce(comm) : nlohmann::json(nullptr);
    if (leader) {
      nlohmann::json record =
          epoch_record(epoch + 1, epoch_scalars.loss, times, halo, bit_policy, peaks, device.is_cuda(),
                       epoch_scalars.counts ? &*epoch_scalars.counts : nullptr);
      if (measures_quantization) record["quant"] = quantization;
      metrics.append(record);
      if (!config.quiet) {
        fmt::print("{}\n", progress_line(epoch + 1, epoch_scalars.loss, times, halo,
                                         latest_counts ? &*latest_counts : nullptr));
        std::fflush(stdout);
      }
    }
    checkpoints.save_if_due(epoch + 1, state);
  }

  const int64_t epochs_run = config.epochs - start_epoch;
  result.epochs = std::max<int64_t>(config.epochs, start_epoch);
  result.epoch_ms_mean = epochs_run > 0 ? epoch_ms_total / static_cast<double>(epochs_run) : 0.0;
  result.best_epoch = best.epoch;
  result.best_valid_acc = best.epoch > 0 ? static_cast<double>(best.valid_correct) / split_sizes[1] : 0.0;
  result.test_acc = best.epoch > 0 ? static_cast<double>(best.test_correct) / split_sizes[2] : 0.0;
  for (Parameter* p : model.parameters()) result.weights[p->name] = p->value.to(Device::cpu());
  result.device = device.str();
  result.allreduces_started_early = reducer.started_early();
  std::map<std::string, std::string> provenance = {
      {"best_epoch", std::to_string(result.best_epoch)},
      {"best_valid_acc", fmt::format("{}", result.best_valid_acc)},
      {"test_acc", fmt::format("{}", result.test_acc)},
      {"tango_config", config_json.dump()}};
  // The dataset the model was trained on, for tango-predict to check (collective, so on every rank).
  if (!config.save_model_path.empty())
    provenance.merge(dataset_metadata(dataset_identity_of(host_graph, comm)));
  const nlohmann::json outputs =
      write_outputs(config, provenance, best_weights, model, graph, host_graph, halos, split_sizes, comm);
  best_weights.finish();

  const SplitCounts final_counts = latest_counts.value_or(SplitCounts{});
  result.summary = {
      {"test_acc", result.test_acc},
      {"best_valid_acc", result.best_valid_acc},
      {"best_epoch", result.best_epoch},
      {"epochs", result.epochs},
      {"epochs_this_run", epochs_run},
      {"resumed_from_epoch", start_epoch},
      {"final_loss", result.losses.empty() ? nlohmann::json(nullptr) : nlohmann::json(result.losses.back())},
      {"final_train_acc", final_counts.accuracy(0)},
      {"final_valid_acc", final_counts.accuracy(1)},
      {"final_test_acc", final_counts.accuracy(2)},
      {"epoch_ms_mean", result.epoch_ms_mean},
      {"ranks", comm.size()},
      {"hosts", comm.num_hosts()},
      {"device", device.str()},
      {"cpu_int8_gemm",
       device.is_cpu() ? nlohmann::json(kernels::cpu_int8_gemm_name(cpu_int8)) : nlohmann::json(nullptr)},
      {"nodes", graph.num_global_nodes},
      {"bytes_sent", result.bytes_sent},
      {"bytes_fp32", result.bytes_fp32},
      {"saved_for_backward", saved_for_backward},
      {"config", config_json},
      {"config_hash", config.hash()}};
  if (!outputs.empty()) result.summary["outputs"] = outputs;
  // This rank's tensor-memory cache (core/allocator.h): hits are per-epoch buffers that came back
  // without a trip to the system allocator. peak_memory_bytes above counts live tensors only.
  const AllocatorStats cache = device_allocator(device).stats();
  result.summary["alloc_cache"] = {{"hits", cache.hits},
                                   {"misses", cache.misses},
                                   {"evictions", cache.evictions},
                                   {"cached_bytes", cache.cached_bytes},
                                   {"peak_in_use_bytes", cache.peak_in_use_bytes}};
  if (leader && !config.summary_path.empty()) io::write_json_atomic(config.summary_path, result.summary);
  return result;
}

}  // namespace tango::trainer
