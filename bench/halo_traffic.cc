#include "bench/halo_traffic.h"

#include <algorithm>
#include <filesystem>

#include "core/error.h"
#include "io/hdf5_file.h"
#include "partition/manifest.h"

namespace tango::bench {

std::vector<Exchange> epoch_exchanges(const ModelShape& shape) {
  TANGO_CHECK_INPUT(shape.model == "gcn" || shape.model == "sage" || shape.model == "gat",
                    "--model must be gcn, sage or gat, got '{}'", shape.model);
  TANGO_CHECK_INPUT(shape.layers >= 1, "--layers must be at least 1, got {}", shape.layers);
  std::vector<int64_t> table_cols;  // per layer l >= 1: the width of the table it exchanges
  int64_t in = shape.in_features;
  for (int l = 0; l < shape.layers; ++l) {
    const bool last = l + 1 == shape.layers;
    const int64_t out = last                   ? shape.classes
                        : shape.model == "gat" ? shape.heads * shape.hidden
                                               : shape.hidden;
    if (l > 0) table_cols.push_back(shape.model == "gat" ? out : std::min(in, out));
    in = out;
  }
  std::vector<Exchange> exchanges;
  for (size_t i = 0; i < table_cols.size(); ++i)  // forward pass, layers in order
    exchanges.push_back({static_cast<int>(i + 1), ExchangeDirection::kForward, table_cols[i]});
  for (size_t i = table_cols.size(); i-- > 0;)  // backward pass, layers in reverse
    exchanges.push_back({static_cast<int>(i + 1), ExchangeDirection::kBackward, table_cols[i]});
  return exchanges;
}

std::vector<RankCounts> read_partition_counts(const std::string& parts_dir) {
  const partition::PartitionManifest manifest = partition::read_manifest(parts_dir);
  const int64_t num_parts = static_cast<int64_t>(manifest.parts.size());
  std::vector<RankCounts> ranks;
  for (const partition::PartSummary& part : manifest.parts) {
    const std::string path = (std::filesystem::path(parts_dir) / part.file).string();
    io::H5File file = io::H5File::open_read(path);
    const Tensor send_offsets = file.read_checked("/send/offsets", DType::kI64, num_parts + 1);
    const Tensor halo_offsets = file.read_checked("/halo/offsets", DType::kI64, num_parts + 1);
    RankCounts counts;
    const int64_t* send = send_offsets.data<int64_t>();
    const int64_t* halo = halo_offsets.data<int64_t>();
    for (int64_t p = 0; p < num_parts; ++p) {
      TANGO_CHECK_INPUT(send[p + 1] >= send[p] && halo[p + 1] >= halo[p],
                        "'{}': /send/offsets or /halo/offsets decreases at peer {}", path, p);
      counts.send_counts.push_back(send[p + 1] - send[p]);
      counts.recv_counts.push_back(halo[p + 1] - halo[p]);
    }
    TANGO_CHECK_INPUT(counts.send_counts[part.id] == 0 && counts.recv_counts[part.id] == 0,
                      "'{}': part {} exchanges rows with itself", path, part.id);
    ranks.push_back(std::move(counts));
  }
  // Every rank's send count to p is p's receive count from it (comm::check_plan_consistent's rule).
  for (int64_t r = 0; r < num_parts; ++r) {
    for (int64_t p = 0; p < num_parts; ++p) {
      TANGO_CHECK_INPUT(
          ranks[r].send_counts[p] == ranks[p].recv_counts[r],
          "'{}': part {} sends {} rows to part {}, which expects {}: parts from different runs?", parts_dir,
          r, ranks[r].send_counts[p], p, ranks[p].recv_counts[r]);
    }
  }
  return ranks;
}

int64_t CodecTraffic::total_sent() const {
  int64_t total = 0;
  for (int64_t bytes : sent_per_rank) total += bytes;
  return total;
}

CodecTraffic count_traffic(const std::vector<RankCounts>& ranks, const std::vector<Exchange>& exchanges,
                           const comm::Codec& codec) {
  CodecTraffic traffic;
  traffic.codec = codec;
  traffic.sent_per_rank.assign(ranks.size(), 0);
  traffic.received_per_rank.assign(ranks.size(), 0);
  for (const Exchange& exchange : exchanges) {
    int64_t exchange_sent = 0, busiest = 0;
    for (size_t r = 0; r < ranks.size(); ++r) {
      // Forward: owners send their boundary rows; backward: halo copies send gradients home.
      const bool forward = exchange.direction == ExchangeDirection::kForward;
      const std::vector<int64_t>& out_rows = forward ? ranks[r].send_counts : ranks[r].recv_counts;
      const std::vector<int64_t>& in_rows = forward ? ranks[r].recv_counts : ranks[r].send_counts;
      int64_t sent = 0, received = 0;
      for (size_t p = 0; p < out_rows.size(); ++p) {
        sent += codec.message_bytes(out_rows[p], exchange.cols);
        received += codec.message_bytes(in_rows[p], exchange.cols);
      }
      traffic.sent_per_rank[r] += sent;
      traffic.received_per_rank[r] += received;
      exchange_sent += sent;
      busiest = std::max({busiest, sent, received});
    }
    traffic.sent_per_exchange.push_back(exchange_sent);
    traffic.critical_bytes += busiest;
  }
  return traffic;
}

}  // namespace tango::bench
