// tango-train: distributed full-graph GNN training, one MPI rank per part.
//   mpirun -np K tango-train --parts DIR [options]        (DIR from tango-partition --parts K)
//   tango-train --dataset SPEC [--partition K] [options]   (1 rank, or K ranks partitioning in memory)
// Exit codes: 0 ok, 1 runtime failure, 2 bad input or usage (one line: "tango-train: error: ...").
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "comm/communicator.h"
#include "comm/mpi_session.h"
#include "core/env.h"
#include "core/error.h"
#include "core/log.h"
#include "io/atomic_file.h"
#include "kernels/cpu_threads.h"
#include "trainer/collective_error.h"
#include "trainer/collective_step.h"
#include "trainer/config.h"
#include "trainer/part_loader.h"
#include "trainer/train.h"

namespace {

using namespace tango;

constexpr const char* kProgram = "tango-train";

void print_error(const char* what) {
  trainer::print_error(kProgram, what);
}

// This rank's graph; on rank 0, which writes them, a check that the outputs written at the end (model,
// predictions, embeddings) can be created.
void load(const trainer::TrainConfig& config, const comm::Communicator& comm, trainer::DistGraph& graph) {
  const std::pair<const std::string&, const char*> outputs[] = {{config.save_model_path, "--save-model"},
                                                                {config.predictions_path, "--predictions"},
                                                                {config.embeddings_path, "--embeddings"}};
  for (const auto& [path, flag] : outputs) {
    if (!path.empty() && comm.rank() == 0) io::check_can_create(path, flag);
  }
  graph = trainer::load_rank_graph(config, comm.rank(), comm.size());
}

void print_summary(const trainer::TrainResult& result, const trainer::TrainConfig& config) {
  fmt::print(
      "tango-train: {} {} on {} rank(s): test accuracy {:.4f} at best validation {:.4f} (epoch {}), "
      "{:.1f} ms/epoch, halo {:.2f} MB sent vs {:.2f} MB fp32\n",
      trainer::model_name(config.model), config.precision == trainer::Precision::kINT8 ? "int8" : "fp32",
      result.summary.value("ranks", 1), result.test_acc, result.best_valid_acc, result.best_epoch,
      result.epoch_ms_mean, static_cast<double>(result.bytes_sent) / 1e6,
      static_cast<double>(result.bytes_fp32) / 1e6);
}

}  // namespace

int main(int argc, char** argv) {
  comm::MpiSession mpi(&argc, &argv);
  trainer::TrainConfig config;
  CLI::App app{
      "tango-train: distributed full-graph GNN training (GCN, GraphSAGE, GAT) with INT8 primitives and "
      "quantized halo exchange.\n"
      "  mpirun -np K tango-train --parts DIR [options]\n"
      "  tango-train --dataset SPEC [--partition K] [options]"};
  trainer::add_train_flags(app, config);
  app.footer(env_knobs_help());
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  try {
    app.parse(argc, argv);
    trainer::finalize_config(config);
  } catch (const CLI::CallForHelp& e) {
    return rank == 0 ? app.exit(e) : 0;
  } catch (const CLI::ParseError& e) {
    if (rank == 0) fmt::print(stderr, "tango-train: error: {} (run with --help for usage)\n", e.what());
    return 2;
  } catch (const Error& e) {
    if (rank == 0) print_error(e.what());
    return e.exit_code();
  }

  comm::Communicator comm;
  init_logging(comm.rank());
  trainer::DistGraph graph;
  // Every rank loads; if any fails, every rank returns the worst exit code (no rank waits in a collective).
  if (int status = trainer::run_collective_step(comm, kProgram,
                                                [&] {
                                                  kernels::configure_cpu_threads();
                                                  load(config, comm, graph);
                                                });
      status != 0)
    return status;
  try {
    trainer::TrainResult result = trainer::train(config, graph, comm);
    if (comm.rank() == 0) print_summary(result, config);
    return 0;
  } catch (const trainer::CollectiveError& e) {
    // Every rank stops here: no abort needed, one line printed.
    if (e.print_here()) print_error(e.what());
    return e.exit_code();
  } catch (const Error& e) {
    print_error(e.what());
    if (comm.size() > 1) comm.abort(e.what(), e.exit_code());
    return e.exit_code();
  } catch (const std::exception& e) {
    print_error(e.what());
    if (comm.size() > 1) comm.abort(e.what(), 1);
    return 1;
  }
}
