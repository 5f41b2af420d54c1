// Ending a multi-rank job on an unrecoverable error, so that no rank ever hangs.
//
// A rank that fails (an exception, a timed-out wait, an NCCL async error) logs one line naming
// itself and the cause, then calls MPI_Abort: mpirun then kills every rank of the job and exits
// non-zero. run_rank_main() wraps a rank's whole program so an escaping exception takes that path.
#pragma once

#include <mpi.h>

#include <functional>
#include <string_view>

namespace tango::comm {

// Logs "rank R aborting the job: <why>" on stderr and calls MPI_Abort(MPI_COMM_WORLD, exit_code).
// Falls back to std::_Exit when MPI is not initialised. Never returns.
[[noreturn]] void abort_job(std::string_view why, int exit_code = 1);

// Runs body() and returns its exit code; a tango::Error or other exception escaping it is logged
// with the rank and ends the whole job through abort_job (exit code 2 for input errors, else 1).
int run_rank_main(const std::function<int()>& body);

}  // namespace tango::comm
