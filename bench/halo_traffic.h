// Halo traffic of one training epoch, counted exactly from a partition's send lists without running
// the ranks: what every rank would send and receive per epoch for each wire codec, from the part
// files' /send/offsets and /halo/offsets and comm's own message size (comm::Codec::message_bytes).
// It sizes the simulated-cluster table of docs/BENCHMARKS.md (8/16/64 parts of a 1M-node graph on a
// 2-core box); tests/bench/test_halo_traffic.sh checks it against the bytes a real tango-train run reports.
//
// Exchanges of one epoch (trainer/layers/*): layer 0 reads its halo rows from the part's halo input
// features, so only layers l >= 1 exchange, once forward (owners -> halo copies) and once backward
// (halo gradients -> owners), both with the width of the table that layer exchanges:
//   GCN, SAGE: the narrower of its input and output (transform first when in > out: Z = HW is
//              exchanged; otherwise the input H, aggregated before the transform);
//   GAT:  Z = HW, i.e. its output width (heads x head width; the output layer has one head).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "comm/codec.h"

namespace tango::bench {

enum class ExchangeDirection { kForward, kBackward };

struct Exchange {
  int layer = 0;
  ExchangeDirection direction = ExchangeDirection::kForward;
  int64_t cols = 0;  // columns of the exchanged table
};

struct ModelShape {
  std::string model = "gcn";  // gcn | sage | gat
  int layers = 2;
  int64_t in_features = 0;
  int64_t hidden = 64;  // width of a hidden layer; for GAT per head, as tango-train's --hidden
  int64_t heads = 8;    // GAT heads of a hidden layer (the output layer has one)
  int64_t classes = 0;
};

// The exchanges of one training epoch (forward pass + backward pass), in the order they run.
std::vector<Exchange> epoch_exchanges(const ModelShape& shape);

// Row counts of one rank's plan: send_counts[p] rows go to peer p forward, recv_counts[p] come back.
struct RankCounts {
  std::vector<int64_t> send_counts;
  std::vector<int64_t> recv_counts;
};

// Reads every part's /send/offsets and /halo/offsets (not the features) of a tango-partition output.
std::vector<RankCounts> read_partition_counts(const std::string& parts_dir);

struct CodecTraffic {
  comm::Codec codec;
  std::vector<int64_t> sent_per_rank;      // bytes per epoch
  std::vector<int64_t> received_per_rank;  // bytes per epoch
  std::vector<int64_t> sent_per_exchange;  // summed over ranks, one entry per epoch_exchanges() item
  // Sum over the epoch's exchanges of the busiest rank's max(sent, received) bytes in that exchange:
  // the bytes that bound an epoch's communication time when each rank has one full-duplex link,
  // ranks move data in parallel, and the exchanges of an epoch follow one another.
  int64_t critical_bytes = 0;
  int64_t total_sent() const;
};

CodecTraffic count_traffic(const std::vector<RankCounts>& ranks, const std::vector<Exchange>& exchanges,
                           const comm::Codec& codec);

}  // namespace tango::bench
