// tango-partition: splits a dataset into self-contained per-rank parts (METIS k-way or random) and
// writes them with a manifest, or checks such a directory with --verify. Exit codes: 0 ok,
// 1 runtime failure, 2 bad input or usage.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>
#include <string>

#include "core/env.h"
#include "core/error.h"
#include "core/log.h"
#include "io/dataset_spec.h"
#include "partition/partition_writer.h"
#include "partition/verify.h"

namespace {

using namespace tango;

// Graphs at least this large show their phases on stderr even when it is not a terminal.
constexpr int64_t kLargeGraphNodes = 1'000'000;

struct Flags {
  std::string dataset, out_dir, verify_dir, method = "metis", balance = "nodes", split;
  int32_t parts = 0;
  bool parts_given = false;
  int64_t seed = 0;
  int32_t ufactor = 30;
  bool no_halo_features = false, force = false;
};

io::Dataset load(const std::string& spec, const std::string& split, partition::PhaseProgress& progress) {
  progress.begin("load");
  io::LoadOptions options;
  options.split = split;
  io::Dataset dataset = io::load_dataset(spec, options);
  io::validate_dataset(dataset, spec);
  progress.set_enabled(partition::stderr_is_terminal() || dataset.num_nodes() >= kLargeGraphNodes);
  progress.end();
  return dataset;
}

void print_summary(const partition::PartitionManifest& m, const std::string& dir) {
  fmt::print("tango-partition: {} -> {} ({} part{}, {}, balance {}, seed {})\n", m.dataset_name, dir,
             m.options.num_parts, m.options.num_parts == 1 ? "" : "s",
             partition::method_name(m.options.method), partition::balance_name(m.options.balance),
             m.options.seed);
  fmt::print("  graph: {} nodes, {} undirected edges, {} features, {} classes\n", m.num_nodes,
             m.num_edges / 2, m.num_features, m.num_classes);
  fmt::print("  edge cut: {} edges ({:.2f}%), replication factor {:.3f}\n", m.edge_cut, m.edge_cut_percent,
             m.replication_factor);
  fmt::print("  balance max/avg: nodes {:.3f}, edges {:.3f}, train {:.3f}\n", m.node_balance, m.edge_balance,
             m.train_balance);
  fmt::print("  {:>5} {:>10} {:>10} {:>10} {:>10} {:>12} {:>8}\n", "part", "owned", "inner", "boundary",
             "halo", "edges", "train");
  for (const auto& p : m.parts)
    fmt::print("  {:>5} {:>10} {:>10} {:>10} {:>10} {:>12} {:>8}\n", p.id, p.owned, p.inner, p.boundary,
               p.halo, p.edges, p.train);
  std::string times;
  for (const auto& [phase, seconds] : m.phase_seconds) times += fmt::format(" {} {:.2f} s,", phase, seconds);
  if (!times.empty()) times.pop_back();
  fmt::print("  time:{}\n", times);
}

int run_partition(const Flags& flags) {
  TANGO_CHECK_INPUT(!flags.dataset.empty(), "no DATASET given: pass a dataset spec (see --help)");
  TANGO_CHECK_INPUT(flags.parts_given, "no --parts K given: say how many parts (one per rank) to make");
  TANGO_CHECK_INPUT(flags.parts >= 1, "--parts {} is invalid: give at least 1 part", flags.parts);
  TANGO_CHECK_INPUT(!flags.out_dir.empty(), "no --out DIR given: say where the parts go");
  partition::PartitionRun run;
  run.dataset_spec = flags.dataset;
  run.options.num_parts = flags.parts;
  run.options.method = partition::parse_method(flags.method);
  run.options.balance = partition::parse_balance(flags.balance);
  TANGO_CHECK_INPUT(flags.seed >= 0, "--seed {} is invalid: give a non-negative integer", flags.seed);
  run.options.seed = static_cast<uint64_t>(flags.seed);
  run.options.ufactor = flags.ufactor;
  run.halo_features = !flags.no_halo_features;
  TANGO_CHECK_INPUT(run.options.ufactor >= 1, "--ufactor {} is invalid: give a positive imbalance in 1/1000",
                    run.options.ufactor);
  partition::prepare_output_dir(flags.out_dir, flags.force);
  partition::PhaseProgress progress(partition::stderr_is_terminal(), partition::stderr_is_terminal());
  io::Dataset dataset = load(flags.dataset, flags.split, progress);
  partition::PartitionManifest manifest = partition::write_partition(dataset, run, flags.out_dir, progress);
  print_summary(manifest, flags.out_dir);
  return 0;
}

int run_verify(const Flags& flags) {
  partition::VerifyOptions options;
  io::Dataset dataset;
  if (!flags.dataset.empty()) {
    partition::PhaseProgress progress(partition::stderr_is_terminal(), partition::stderr_is_terminal());
    dataset = load(flags.dataset, flags.split, progress);
    options.dataset = &dataset;
  }
  partition::VerifyReport report = partition::verify_partition(flags.verify_dir, options);
  fmt::print(
      "tango-partition: {} is consistent: {} parts, {} nodes each owned once, {} halo rows, send/recv lists "
      "symmetric, checksums match{}\n",
      flags.verify_dir, report.num_parts, report.num_nodes, report.halo_rows,
      options.dataset
          ? fmt::format(", all {} directed edges of {} present once", report.edges_checked, flags.dataset)
          : "");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Flags flags;
  CLI::App app{
      "tango-partition: split a dataset into self-contained parts for distributed GNN training.\n"
      "  tango-partition DATASET --parts K --out DIR [options]\n"
      "  tango-partition --verify DIR [DATASET]"};
  app.add_option("DATASET", flags.dataset,
                 "dataset spec: an OGB directory, a .h5 file or synthetic:nodes=...,avg_degree=...");
  CLI::Option* parts_option =
      app.add_option("-k,--parts", flags.parts, "number of parts (one per rank), at least 1");
  app.add_option("-o,--out", flags.out_dir, "output directory (created; must be empty unless --force)");
  app.add_option("--method", flags.method, "metis (k-way, edge-cut objective) or random (baseline)")
      ->capture_default_str();
  app.add_option("--balance", flags.balance,
                 "what METIS keeps equal: nodes, edges (nodes weighted by degree) or train (nodes and "
                 "training nodes, multi-constraint)")
      ->capture_default_str();
  app.add_option("--seed", flags.seed, "METIS / random seed")->capture_default_str();
  app.add_option("--ufactor", flags.ufactor, "METIS allowed imbalance in 1/1000 (30 = 3%)")
      ->capture_default_str();
  app.add_flag("--no-halo-features", flags.no_halo_features,
               "leave the halo rows' input features out of the part files (smaller; layer 0 then exchanges)");
  app.add_flag("--force", flags.force, "overwrite an existing partition in --out");
  app.add_option("--split", flags.split, "which split/<name>/ of an OGB directory to use");
  app.add_option(
      "--verify", flags.verify_dir,
      "check partition directory DIR (checksums, ownership, send/recv symmetry; with DATASET, every edge)");
  app.footer(tango::env_knobs_help());
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    fmt::print(stderr, "tango-partition: error: {} (run with --help for usage)\n", e.what());
    return 2;
  }
  flags.parts_given = parts_option->count() > 0;
  tango::init_logging();
  try {
    return flags.verify_dir.empty() ? run_partition(flags) : run_verify(flags);
  } catch (const tango::Error& e) {
    fmt::print(stderr, "tango-partition: error: {}\n", e.what());
    return e.exit_code();
  } catch (const std::exception& e) {
    fmt::print(stderr, "tango-partition: error: {}\n", e.what());
    return 1;
  }
}
