// tango-predict: applies a saved model to a dataset or a partition (forward only), one MPI rank per part,
// launched as tango-train is:
//   tango-predict --model M.safetensors --dataset SPEC --out P.h5 [--embeddings E.h5] [--summary S.json]
//   mpirun -np K tango-predict --model M.safetensors --parts DIR --out P.h5
// Prints the accuracy on every split the data labels. Exit codes: 0 ok, 1 runtime failure, 2 bad input or
// usage (one line: "tango-predict: error: ..."; a model file that does not fit the data, or data other than
// the model's training dataset without --allow-other-dataset, is bad input, and no output file is left then).
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>
#include <string>

#include "comm/communicator.h"
#include "comm/mpi_session.h"
#include "core/env.h"
#include "core/error.h"
#include "core/log.h"
#include "io/atomic_file.h"
#include "kernels/cpu_threads.h"
#include "trainer/collective_error.h"
#include "trainer/collective_step.h"
#include "trainer/part_loader.h"
#include "trainer/predict.h"
#include "trainer/run_checkpoints.h"

namespace {

using namespace tango;

constexpr const char* kProgram = "tango-predict";

// The model file, the rank's graph and the checks between them; rank 0 (which writes them) checks that the
// output files can be created. No collective inside (trainer/collective_step.h).
void load(const trainer::PredictOptions& options, const comm::Communicator& comm,
          trainer::TrainConfig& config, trainer::LoadedModel& model, trainer::DistGraph& graph) {
  model = trainer::load_model_file(options.model_path);
  trainer::apply_model_spec(model.spec, config);
  if (comm.rank() == 0) {
    io::check_can_create(options.out_path, "--out");
    if (!options.embeddings_path.empty()) io::check_can_create(options.embeddings_path, "--embeddings");
    if (!options.summary_path.empty()) io::check_can_create(options.summary_path, "--summary");
  }
  TANGO_CHECK_INPUT(options.embeddings_path.empty() || model.spec.layers >= 2,
                    "--embeddings: model file '{}' has 1 layer, so no hidden layer to write",
                    options.model_path);
  graph = trainer::load_rank_graph(config, comm.rank(), comm.size());
  trainer::check_model_fits(model, options.model_path, graph, config);
}

void print_result(const nlohmann::json& summary) {
  std::string splits;
  for (const char* split : {"train", "valid", "test"}) {
    const int64_t total = summary["total"][split];
    if (total == 0) continue;
    splits += fmt::format("{}{} {:.4f} ({}/{})", splits.empty() ? "" : ", ", split,
                          summary[fmt::format("{}_acc", split)].get<double>(),
                          summary["correct"][split].get<int64_t>(), total);
  }
  fmt::print("tango-predict: {} {} on {} rank(s), {} nodes: {}; predictions in {}\n",
             summary["model"].get<std::string>(), summary["precision"].get<std::string>(),
             summary["ranks"].get<int>(), summary["nodes"].get<int64_t>(),
             splits.empty() ? "no labelled split" : splits, summary["predictions"].get<std::string>());
}

}  // namespace

int main(int argc, char** argv) {
  comm::MpiSession mpi(&argc, &argv);
  trainer::TrainConfig config;
  trainer::PredictOptions options;
  CLI::App app{
      "tango-predict: applies a model saved by tango-train --save-model (or PyG weights in its layout) to a "
      "dataset or partition, forward only, and writes every node's logits and predicted class.\n"
      "  tango-predict --model M.safetensors --dataset SPEC --out P.h5\n"
      "  mpirun -np K tango-predict --model M.safetensors --parts DIR --out P.h5"};
  trainer::add_predict_flags(app, config, options);
  app.footer(env_knobs_help());
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return rank == 0 ? app.exit(e) : 0;
  } catch (const CLI::ParseError& e) {
    if (rank == 0) fmt::print(stderr, "{}: error: {} (run with --help for usage)\n", kProgram, e.what());
    return 2;
  }

  comm::Communicator comm;
  init_logging(comm.rank());
  trainer::LoadedModel model;
  trainer::DistGraph graph;
  if (int status = trainer::run_collective_step(comm, kProgram,
                                                [&] {
                                                  kernels::configure_cpu_threads();
                                                  load(options, comm, config, model, graph);
                                                });
      status != 0)
    return status;
  // The data against the model's training dataset: the identity is summed over the ranks, so the check
  // fails on every rank or on none.
  const io::DatasetIdentity data = trainer::dataset_identity_of(graph, comm);
  std::string warning;
  auto check_dataset = [&] {
    warning =
        trainer::check_model_dataset(model, options.model_path, data, config, options.allow_other_dataset);
  };
  if (int status = trainer::run_collective_step(comm, kProgram, check_dataset); status != 0) return status;
  if (comm.rank() == 0 && !warning.empty()) spdlog::warn("{}", warning);
  try {
    const nlohmann::json summary = trainer::predict(config, model, options, graph, comm);
    if (comm.rank() == 0 && !config.quiet) print_result(summary);
    return 0;
  } catch (const trainer::CollectiveError& e) {
    // Every rank stops here: no abort needed, one line printed.
    if (e.print_here()) trainer::print_error(kProgram, e.what());
    return e.exit_code();
  } catch (const Error& e) {
    trainer::print_error(kProgram, e.what());
    if (comm.size() > 1) comm.abort(e.what(), e.exit_code());
    return e.exit_code();
  } catch (const std::exception& e) {
    trainer::print_error(kProgram, e.what());
    if (comm.size() > 1) comm.abort(e.what(), 1);
    return 1;
  }
}
