// The epoch loop of distributed full-graph training, the same on every rank:
//   forward (halo exchanges inside the layers) -> loss over the local training rows divided by the
//   GLOBAL training count -> backward -> allreduce(sum) of the weight gradients -> Adam on every rank
//   -> every eval_every epochs a forward without dropout and allreduced correct counts.
// Rank 0 prints one progress line per epoch, appends one JSON line per epoch to --metrics and writes
// the summary JSON (--summary) at the end, with the resolved config beside the metrics. Checkpoints
// (weights, Adam state, halo state, epoch, best-validation counts, config hash, dataset identity; one
// file per epoch, trainer/run_checkpoints.h) every --checkpoint-every epochs and at the end; --resume
// continues from the newest one on any rank count (bit-identically on the rank count that wrote it).
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "comm/communicator.h"
#include "trainer/config.h"
#include "trainer/dist_graph.h"

namespace tango::trainer {

struct TrainResult {
  std::vector<double> losses;  // training loss of each epoch run by this call
  double test_acc = 0;         // at the best validation epoch
  double best_valid_acc = 0;
  int64_t best_epoch = -1;  // 1-based epoch of the best validation accuracy
  int64_t epochs = 0;       // epochs completed in total (resumed ones included)
  double epoch_ms_mean = 0;
  int64_t bytes_sent = 0;                 // halo bytes on the wire, all ranks, all epochs of this call
  int64_t bytes_fp32 = 0;                 // the same rows in fp32
  std::map<std::string, Tensor> weights;  // final weights by name (CPU copies)
  std::string device;                     // where this rank trained: "cpu" or "cuda:N"
  int64_t allreduces_started_early = 0;   // weight-gradient buckets started inside backward (--overlap)
  nlohmann::json summary;                 // what --summary gets
};

// `graph` is a host graph; with config.device resolving to CUDA it is copied to this rank's GPU once and
// every per-epoch tensor lives there (trainer/device_choice.h).
TrainResult train(const TrainConfig& config, const DistGraph& graph, comm::Communicator& comm);

// Where the resolved config is saved: beside the metrics ("<metrics>.config.json"), else beside the
// summary, else in the checkpoint directory; empty when there is no output at all.
std::string resolved_config_path(const TrainConfig& config);

}  // namespace tango::trainer
