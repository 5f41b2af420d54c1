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
#include "core/error.h"
#include "core/log.h"
#include "trainer/collective_error.h"
#include "trainer/config.h"
#include "trainer/part_loader.h"
#include "trainer/train.h"

namespace {

using namespace tango;

void print_error(const char* what) {
  fmt::print(stderr, "tango-train: error: {}\n", what);
}

// Loads this rank's graph; if any rank fails, every rank returns the worst exit code (so no rank is
// left waiting in a collective for a peer that already quit). Rank 0 prints its error; another rank
// prints only an error rank 0 did not have (a rank-specific one, e.g. its own corrupted part file).
int load_everywhere(const TrainConfig& config, comm::Communicator& comm, trainer::DistGraph& graph) {
  int64_t status = 0;
  std::string message;
  try {
    graph = trainer::load_rank_graph(config, comm.rank(), comm.size());
  } catch (const Error& e) {
    message = e.what();
    status = e.exit_code();
  } catch (const std::exception& e) {
    message = e.what();
    status = 1;
  }
  const std::vector<int64_t> statuses = comm.allgather(status);
  if (status != 0 && (comm.rank() == 0 || statuses[0] == 0)) {
    print_error(
        fmt::format("{}{}", comm.size() > 1 ? fmt::format("rank {}: ", comm.rank()) : "", message).c_str());
  }
  return static_cast<int>(*std::max_element(statuses.begin(), statuses.end()));
}

void print_summary(const trainer::TrainResult& result, const TrainConfig& config) {
  fmt::print(
      "tango-train: {} {} on {} rank(s): test accuracy {:.4f} at best validation {:.4f} (epoch {}), "
      "{:.1f} ms/epoch, halo {:.2f} MB sent vs {:.2f} MB fp32\n",
      model_name(config.model), config.precision == Precision::kINT8 ? "int8" : "fp32",
      result.summary.value("ranks", 1), result.test_acc, result.best_valid_acc, result.best_epoch,
      result.epoch_ms_mean, static_cast<double>(result.bytes_sent) / 1e6,
      static_cast<double>(result.bytes_fp32) / 1e6);
}

}  // namespace

int main(int argc, char** argv) {
  comm::MpiSession mpi(&argc, &argv);
  TrainConfig config;
  CLI::App app{
      "tango-train: distributed full-graph GNN training (GCN, GraphSAGE, GAT) with INT8 primitives and "
      "quantized halo exchange.\n"
      "  mpirun -np K tango-train --parts DIR [options]\n"
      "  tango-train --dataset SPEC [--partition K] [options]"};
  add_train_flags(app, config);
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  try {
    app.parse(argc, argv);
    finalize_config(config);
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
  if (int status = load_everywhere(config, comm, graph); status != 0) return status;
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
