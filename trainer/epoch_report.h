// What one epoch reports: its halo traffic per layer and direction (bytes, relative error and this
// rank's phase times, summed over ranks where they are totals), the metrics JSONL record, and the
// progress line rank 0 prints. Nothing here changes the math.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "comm/bit_policy.h"
#include "comm/communicator.h"
#include "comm/halo_exchange.h"
#include "trainer/halo_link.h"

namespace tango::trainer {

// Correct-prediction counts of one evaluation, summed over ranks: train, valid, test.
struct SplitCounts {
  int64_t correct[3] = {0, 0, 0};
  int64_t total[3] = {0, 0, 0};
  double accuracy(int i) const { return total[i] > 0 ? static_cast<double>(correct[i]) / total[i] : 0.0; }
};

// Where one epoch's time went on this rank, in milliseconds.
struct EpochTimes {
  double epoch = 0;                    // the whole epoch, evaluation and the scalars' allreduce included
  double gradient_allreduce_wait = 0;  // what the weight-gradient allreduce did not hide behind backward
  double scalars_allreduce = 0;        // the loss and correct counts
  double optimizer = 0;
};

// The halo exchanges of one epoch.
struct HaloEpoch {
  nlohmann::json layers = nlohmann::json::array();  // one entry per (layer, direction)
  int64_t bytes_sent = 0;                           // all ranks
  int64_t bytes_fp32 = 0;                           // the same rows in fp32, all ranks
  double local_ms[2] = {0.0, 0.0};                  // this rank's wait + encode + decode, fwd / bwd
  double local_ms_total() const { return local_ms[0] + local_ms[1]; }
};

// Differences of the links' cumulative statistics over one epoch.
class HaloAccounting {
 public:
  explicit HaloAccounting(const std::vector<std::unique_ptr<CommHaloLink>>& links);
  void begin_epoch();
  // Collective: sums bytes and quantization error over ranks.
  HaloEpoch end_epoch(comm::Communicator& comm) const;

 private:
  const std::vector<std::unique_ptr<CommHaloLink>>& links_;
  std::vector<comm::ExchangeStats> before_;  // (layer, direction) at layer * 2 + direction
};

// One metrics JSONL line (rank 0). `counts` is null when the epoch did not evaluate.
nlohmann::json epoch_record(int64_t epoch_done, double loss, const EpochTimes& times, const HaloEpoch& halo,
                            const comm::BitPolicy& bit_policy, const std::vector<int64_t>& peak_memory,
                            bool on_cuda, const SplitCounts* counts);

// The progress line: loss, the latest accuracies (or "(not evaluated)"), time, comm share, bytes.
std::string progress_line(int64_t epoch_done, double loss, const EpochTimes& times, const HaloEpoch& halo,
                          const SplitCounts* latest_counts);

}  // namespace tango::trainer
