// tango-halo-traffic: the exact halo bytes of one training epoch per rank and codec, from a
// tango-partition output, without running the ranks (bench/halo_traffic.h).
//   tango-halo-traffic --parts DIR [--model gcn|sage|gat] [--layers 2] [--hidden 64]
//                      [--codecs fp32,int8,int4,int2]
// Prints one JSON object: the partition, the epoch's exchanges, and per codec the bytes each rank
// sends and receives, the total per exchange, and the critical bytes (busiest rank per exchange).
#include <CLI/CLI.hpp>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "bench/halo_traffic.h"
#include "core/error.h"
#include "core/log.h"
#include "partition/manifest.h"

namespace {

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> items;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');) {
    if (!item.empty()) items.push_back(item);
  }
  return items;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"tango-halo-traffic: exact halo bytes per rank and epoch of a partition, per codec"};
  std::string parts_dir, codecs = "fp32,int8,int4,int2";
  tango::bench::ModelShape shape;
  app.add_option("--parts", parts_dir, "tango-partition output directory")->required();
  app.add_option("--model", shape.model, "gcn, sage or gat (which tables are exchanged)");
  app.add_option("--layers", shape.layers, "Layers, as tango-train --layers");
  app.add_option("--hidden", shape.hidden, "Hidden width, as tango-train --hidden (GAT: per head)");
  app.add_option("--heads", shape.heads, "GAT heads of a hidden layer, as tango-train --heads");
  app.add_option("--codecs", codecs, "Comma-separated comm codecs (fp32, bf16, int8, int4, int2[:tensor])");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  try {
    tango::init_logging();
    const tango::partition::PartitionManifest manifest = tango::partition::read_manifest(parts_dir);
    shape.in_features = manifest.num_features;
    shape.classes = manifest.num_classes;
    const std::vector<tango::bench::Exchange> exchanges = tango::bench::epoch_exchanges(shape);
    const std::vector<tango::bench::RankCounts> ranks = tango::bench::read_partition_counts(parts_dir);

    nlohmann::json out = {{"parts_dir", parts_dir},
                          {"parts", ranks.size()},
                          {"nodes", manifest.num_nodes},
                          {"directed_edges", manifest.num_edges},
                          {"edge_cut_percent", manifest.edge_cut_percent},
                          {"model", shape.model},
                          {"layers", shape.layers},
                          {"hidden", shape.hidden},
                          {"heads", shape.heads},
                          {"features", shape.in_features},
                          {"classes", shape.classes}};
    nlohmann::json exchange_list = nlohmann::json::array();
    for (const auto& e : exchanges) {
      exchange_list.push_back(
          {{"layer", e.layer},
           {"direction", e.direction == tango::bench::ExchangeDirection::kForward ? "forward" : "backward"},
           {"cols", e.cols}});
    }
    out["exchanges"] = exchange_list;
    int64_t send_rows = 0;
    for (const auto& rank : ranks) {
      for (int64_t rows : rank.send_counts) send_rows += rows;
    }
    out["rows_sent_per_exchange"] = send_rows;
    nlohmann::json per_codec = nlohmann::json::object();
    for (const std::string& name : split_list(codecs)) {
      const tango::comm::Codec codec = tango::comm::Codec::parse(name);
      const tango::bench::CodecTraffic traffic = tango::bench::count_traffic(ranks, exchanges, codec);
      per_codec[name] = {{"codec", codec.name()},
                         {"bytes_sent_total", traffic.total_sent()},
                         {"bytes_sent_per_rank", traffic.sent_per_rank},
                         {"bytes_received_per_rank", traffic.received_per_rank},
                         {"bytes_sent_per_exchange", traffic.sent_per_exchange},
                         {"critical_bytes", traffic.critical_bytes}};
    }
    out["codecs"] = per_codec;
    std::cout << out.dump(1) << "\n";
    return 0;
  } catch (const tango::Error& e) {
    std::cerr << "tango-halo-traffic: error: " << e.what() << "\n";
    return e.exit_code();
  }
}
