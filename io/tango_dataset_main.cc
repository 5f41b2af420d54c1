// tango-dataset: inspect a dataset spec, or convert it to Tango's HDF5 layout.
//   tango-dataset info SPEC [--split NAME] [--json]
//   tango-dataset convert SPEC --out FILE.h5 [--split NAME]
#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "core/env.h"
#include "core/log.h"
#include "core/timer.h"
#include "io/dataset_spec.h"
#include "io/hdf5_dataset.h"

namespace {

nlohmann::json describe(const tango::io::Dataset& d, double load_seconds) {
  const int64_t n = d.num_nodes();
  const int64_t* indptr = d.graph.indptr.data<int64_t>();
  int64_t max_degree = 0, isolated = 0;
  for (int64_t v = 0; v < n; ++v) {
    int64_t deg = indptr[v + 1] - indptr[v];
    max_degree = std::max(max_degree, deg);
    isolated += deg == 0;
  }
  std::vector<int64_t> per_class(d.num_classes, 0);
  const int32_t* labels = d.labels.data<int32_t>();
  for (int64_t v = 0; v < n; ++v) ++per_class[labels[v]];
  // Edge homophily: the share of edges whose endpoints have the same label.
  int64_t same = 0;
  tango::io::visit_indices(d.graph, [&](const auto* cols) {
    for (int64_t v = 0; v < n; ++v)
      for (int64_t e = indptr[v]; e < indptr[v + 1]; ++e) same += labels[v] == labels[cols[e]];
  });
  return {{"name", d.name},
          {"split", d.split_name},
          {"nodes", n},
          {"directed_edges", d.graph.num_edges()},
          {"undirected_edges", d.graph.num_edges() / 2},
          {"avg_degree", n ? double(d.graph.num_edges()) / n : 0.0},
          {"max_degree", max_degree},
          {"isolated_nodes", isolated},
          {"features", d.num_features()},
          {"classes", d.num_classes},
          {"nodes_per_class", per_class},
          {"edge_homophily", d.graph.num_edges() ? double(same) / d.graph.num_edges() : 0.0},
          {"train", tango::io::count_mask(d.train_mask)},
          {"valid", tango::io::count_mask(d.valid_mask)},
          {"test", tango::io::count_mask(d.test_mask)},
          {"dropped_self_loops", d.cleanup.self_loops},
          {"dropped_duplicates", d.cleanup.duplicates},
          {"load_seconds", load_seconds}};
}

void print_human(const nlohmann::json& j) {
  fmt::print("dataset   {} (split {})\n", j["name"].get<std::string>(), j["split"].get<std::string>());
  fmt::print("nodes     {}\n", j["nodes"].get<int64_t>());
  fmt::print("edges     {} undirected ({} directed), avg degree {:.2f}, max {}, isolated nodes {}\n",
             j["undirected_edges"].get<int64_t>(), j["directed_edges"].get<int64_t>(),
             j["avg_degree"].get<double>(), j["max_degree"].get<int64_t>(),
             j["isolated_nodes"].get<int64_t>());
  fmt::print("features  {}\nclasses   {}  (edge homophily {:.3f})\n", j["features"].get<int64_t>(),
             j["classes"].get<int64_t>(), j["edge_homophily"].get<double>());
  fmt::print("split     train {} / valid {} / test {}\n", j["train"].get<int64_t>(),
             j["valid"].get<int64_t>(), j["test"].get<int64_t>());
  fmt::print("cleanup   dropped {} self-loops, {} duplicate edges\n", j["dropped_self_loops"].get<int64_t>(),
             j["dropped_duplicates"].get<int64_t>());
  fmt::print("loaded in {:.3f} s\n", j["load_seconds"].get<double>());
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"tango-dataset: inspect a dataset or convert it to Tango's HDF5 layout"};
  app.require_subcommand(1);
  app.footer(tango::env_knobs_help());
  std::string spec, split, out;
  bool as_json = false;
  auto* info = app.add_subcommand("info", "Print a dataset's statistics");
  info->add_option("dataset", spec, "OGB directory, .h5 file, or synthetic:key=value,...")->required();
  info->add_option("--split", split, "Split folder of an OGB directory (default: the only one)");
  info->add_flag("--json", as_json, "Print JSON instead of a table");
  auto* convert = app.add_subcommand("convert", "Write a dataset in Tango's HDF5 layout");
  convert->add_option("dataset", spec, "OGB directory, .h5 file, or synthetic:key=value,...")->required();
  convert->add_option("--split", split, "Split folder of an OGB directory (default: the only one)");
  convert->add_option("--out", out, "Output .h5 file (written atomically)")->required();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  try {
    tango::init_logging();
    tango::Timer timer;
    tango::io::Dataset d = tango::io::load_dataset(spec, {.split = split});
    double load_seconds = timer.seconds();
    if (*info) {
      nlohmann::json j = describe(d, load_seconds);
      if (as_json)
        std::cout << j.dump(2) << "\n";
      else
        print_human(j);
    } else {
      timer.reset();
      tango::io::write_hdf5_dataset(d, out);
      fmt::print("wrote {} ({} nodes, {} directed edges, {} features) in {:.2f} s\n", out, d.num_nodes(),
                 d.graph.num_edges(), d.num_features(), timer.seconds());
    }
    return 0;
  } catch (const tango::Error& e) {
    fmt::print(stderr, "tango-dataset: error: {}\n", e.what());
    return e.exit_code();
  }
}
