#include "comm/fatal.h"

#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include "core/error.h"

namespace tango::comm {

namespace {
int world_rank_or_minus_one() {
  int initialized = 0, finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  if (!initialized || finalized) return -1;
  int rank = -1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  return rank;
}
}  // namespace

void abort_job(std::string_view why, int exit_code) {
  int rank = world_rank_or_minus_one();
  std::string line = fmt::format("tango: rank {} aborting the job: {}", rank, why);
  // Plain stderr as well as the log: the logger may be off (TANGO_LOG_LEVEL=off) or not set up.
  std::fprintf(stderr, "%s\n", line.c_str());
  std::fflush(stderr);
  spdlog::default_logger()->flush();
  if (rank >= 0) MPI_Abort(MPI_COMM_WORLD, exit_code);
  std::_Exit(exit_code);
}

int run_rank_main(const std::function<int()>& body) {
  try {
    return body();
  } catch (const Error& error) {
    abort_job(fmt::format("{} [{}]", error.what(), error.where()), error.exit_code());
  } catch (const std::exception& error) {
    abort_job(error.what(), 1);
  }
}

}  // namespace tango::comm
