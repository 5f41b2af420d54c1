#include "trainer/epoch_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <span>

namespace tango::trainer {
namespace {

constexpr HaloDirection kDirections[] = {HaloDirection::kForward, HaloDirection::kBackward};

const char* direction_label(HaloDirection d) {
  return d == HaloDirection::kForward ? "forward" : "backward";
}

std::string megabytes(int64_t bytes) {
  return fmt::format("{:.2f}", static_cast<double>(bytes) / 1e6);
}

// Halo time plus both allreduces: what the progress line and the metrics call communication.
double comm_ms(const EpochTimes& times, const HaloEpoch& halo) {
  return halo.local_ms_total() + times.gradient_allreduce_wait + times.scalars_allreduce;
}

}  // namespace

HaloAccounting::HaloAccounting(const std::vector<std::unique_ptr<CommHaloLink>>& links)
    : links_(links), before_(links.size() * 2) {}

void HaloAccounting::begin_epoch() {
  for (size_t l = 0; l < links_.size(); ++l) {
    for (int d = 0; d < 2; ++d) before_[l * 2 + d] = links_[l]->stats(kDirections[d]);
  }
}

HaloEpoch HaloAccounting::end_epoch(comm::Communicator& comm) const {
  struct Delta {
    const comm::ExchangeStats& now;
    const comm::ExchangeStats& then;
  };
  std::vector<int64_t> bytes;    // sent, fp32 per (layer, direction)
  std::vector<double> sums;      // wait + encode + decode seconds, error^2, signal^2 per (layer, direction)
  std::vector<double> phase_ms;  // this rank's encode, overlap window, wait, decode per (layer, direction)
  for (size_t l = 0; l < links_.size(); ++l) {
    for (int d = 0; d < 2; ++d) {
      const Delta x{links_[l]->stats(kDirections[d]), before_[l * 2 + d]};
      phase_ms.push_back((x.now.encode_s - x.then.encode_s) * 1e3);
      phase_ms.push_back((x.now.overlap_s - x.then.overlap_s) * 1e3);
      phase_ms.push_back((x.now.wait_s - x.then.wait_s) * 1e3);
      phase_ms.push_back((x.now.decode_s - x.then.decode_s) * 1e3);
      bytes.push_back(x.now.bytes_sent - x.then.bytes_sent);
      bytes.push_back(x.now.fp32_bytes - x.then.fp32_bytes);
      sums.push_back((x.now.wait_s - x.then.wait_s) + (x.now.encode_s - x.then.encode_s) +
                     (x.now.decode_s - x.then.decode_s));
      sums.push_back(x.now.quantization.squared_error - x.then.quantization.squared_error);
      sums.push_back(x.now.quantization.squared_signal - x.then.quantization.squared_signal);
    }
  }
  HaloEpoch epoch;
  for (size_t i = 0; i < sums.size(); i += 3) epoch.local_ms[(i / 3) % 2] += sums[i] * 1e3;
  comm.allreduce(std::span<int64_t>(bytes), comm::ReduceOp::kSum);
  comm.allreduce(std::span<double>(sums), comm::ReduceOp::kSum);
  for (size_t l = 0; l < links_.size(); ++l) {
    for (int d = 0; d < 2; ++d) {
      const size_t i = l * 2 + static_cast<size_t>(d);
      const double err2 = sums[i * 3 + 1], sig2 = sums[i * 3 + 2];
      epoch.layers.push_back({{"layer", l},
                              {"direction", direction_label(kDirections[d])},
                              {"codec", links_[l]->codec(kDirections[d]).name()},
                              {"bytes_sent", bytes[i * 2]},
                              {"bytes_fp32", bytes[i * 2 + 1]},
                              {"relative_error", sig2 > 0 ? std::sqrt(err2 / sig2) : 0.0},
                              // This rank's: where its halo time went (the timeline of one exchange).
                              {"encode_ms", phase_ms[i * 4]},
                              {"overlap_ms", phase_ms[i * 4 + 1]},
                              {"wait_ms", phase_ms[i * 4 + 2]},
                              {"decode_ms", phase_ms[i * 4 + 3]}});
      epoch.bytes_sent += bytes[i * 2];
      epoch.bytes_fp32 += bytes[i * 2 + 1];
    }
  }
  return epoch;
}

nlohmann::json epoch_record(int64_t epoch_done, double loss, const EpochTimes& times, const HaloEpoch& halo,
                            const comm::BitPolicy& bit_policy, const std::vector<int64_t>& peak_memory,
                            bool on_cuda, const SplitCounts* counts) {
  const double allreduce_ms = times.gradient_allreduce_wait + times.scalars_allreduce;
  const double compute_ms = std::max(0.0, times.epoch - comm_ms(times, halo) - times.optimizer);
  nlohmann::json record = {{"epoch", epoch_done},
                           {"loss", loss},
                           {"epoch_ms", times.epoch},
                           {"time_ms",
                            {{"compute", compute_ms},
                             {"comm_wait", halo.local_ms_total()},
                             {"comm_wait_forward", halo.local_ms[0]},
                             {"comm_wait_backward", halo.local_ms[1]},
                             {"allreduce", allreduce_ms},
                             {"gradient_allreduce_wait", times.gradient_allreduce_wait},
                             {"optimizer", times.optimizer}}},
                           {"halo_bits", bit_policy.describe()},
                           {"bytes_sent", halo.bytes_sent},
                           {"bytes_fp32", halo.bytes_fp32},
                           {"halo", halo.layers},
                           {"peak_memory_bytes", peak_memory},
                           {"peak_memory_device", on_cuda ? "cuda" : "cpu"}};
  if (counts) {
    record["train_acc"] = counts->accuracy(0);
    record["valid_acc"] = counts->accuracy(1);
    record["test_acc"] = counts->accuracy(2);
  }
  return record;
}

std::string progress_line(int64_t epoch_done, double loss, const EpochTimes& times, const HaloEpoch& halo,
                          const SplitCounts* latest_counts) {
  const std::string accuracies =
      latest_counts ? fmt::format("train {:.4f} valid {:.4f} test {:.4f}", latest_counts->accuracy(0),
                                  latest_counts->accuracy(1), latest_counts->accuracy(2))
                    : std::string("(not evaluated)");
  const double share = times.epoch > 0 ? 100.0 * comm_ms(times, halo) / times.epoch : 0.0;
  return fmt::format("epoch {:4d} | loss {:.4f} | {} | {:7.1f} ms | comm {:4.1f}% | sent {} MB / {} MB fp32",
                     epoch_done, loss, accuracies, times.epoch, share, megabytes(halo.bytes_sent),
                     megabytes(halo.bytes_fp32));
}

}  // namespace tango::trainer
