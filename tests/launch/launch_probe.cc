// A tiny MPI program that stands where tango-train stands in launch tests: it proves that a
// launcher (tango-run, mpirun under Slurm, srun --mpi=pmix) started N ranks that form one
// MPI_COMM_WORLD, and records what the batch script handed it (--resume, thread count), so that
// tests of launch/ do not depend on the trainer. It accepts tango-train's flags and ignores the rest.
//   launch_probe [--metrics FILE] [--summary FILE] [--checkpoint-dir DIR] [--resume] [--hold-seconds S]
//                [other flags]
// Rank 0 appends one JSON line to FILE: {"ranks":N,"allreduce":N,"resumed":true|false,
// "omp_num_threads":"T"} and creates DIR/probe.ckpt. Without --resume it then waits S seconds (a job
// that can be signalled and requeued meanwhile); at the end it writes {"ranks": N} to the summary FILE.
// Exit 1 when the ranks do not agree on the size.
#include <mpi.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>

namespace {

struct ProbeOptions {
  std::string metrics;
  std::string checkpoint_dir;
  std::string summary;
  bool resume = false;
  int hold_seconds = 0;
};

ProbeOptions parse_options(int argc, char** argv) {
  ProbeOptions options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--metrics" && has_value) {
      options.metrics = argv[++i];
    } else if (arg == "--summary" && has_value) {
      options.summary = argv[++i];
    } else if (arg == "--checkpoint-dir" && has_value) {
      options.checkpoint_dir = argv[++i];
    } else if (arg == "--hold-seconds" && has_value) {
      options.hold_seconds = std::atoi(argv[++i]);
    } else if (arg == "--resume") {
      options.resume = true;
    }
  }
  return options;
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0;
  int size = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  int one = 1;
  int total = 0;
  MPI_Allreduce(&one, &total, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
  const ProbeOptions options = parse_options(argc, argv);
  const char* threads = std::getenv("OMP_NUM_THREADS");
  std::cout << "launch_probe: rank " << rank << " of " << size << ", allreduce " << total
            << ", OMP_NUM_THREADS=" << (threads ? threads : "unset") << std::endl;

  if (rank == 0) {
    if (!options.metrics.empty()) {
      std::ofstream metrics(options.metrics, std::ios::app);
      metrics << "{\"ranks\":" << size << ",\"allreduce\":" << total
              << ",\"resumed\":" << (options.resume ? "true" : "false") << ",\"omp_num_threads\":\""
              << (threads ? threads : "") << "\"}\n";
    }
    if (!options.checkpoint_dir.empty()) {
      std::ofstream checkpoint(options.checkpoint_dir + "/probe.ckpt");
      checkpoint << "ranks=" << size << "\n";
    }
  }
  MPI_Barrier(MPI_COMM_WORLD);
  if (!options.resume && options.hold_seconds > 0) {
    std::this_thread::sleep_for(std::chrono::seconds(options.hold_seconds));
  }
  if (rank == 0 && !options.summary.empty()) {
    std::ofstream summary(options.summary);
    summary << "{\"ranks\": " << size << "}\n";
  }
  MPI_Finalize();
  return total == size ? 0 : 1;
}
