// A step of a multi-rank program in which an error may hit some ranks only (a rank's own part file) or
// all of them (a model file that does not fit the data): every rank finishes the step, then every rank
// learns the worst exit code of all, so no rank is left waiting in a collective for a peer that already
// quit. The error is printed once per distinct cause: by rank 0 when it had one, else by each rank that did
// ("<program>: error: rank R: ..."). The step itself must not call collectives (a failing rank skips them).
#pragma once

#include <functional>
#include <string>

#include "comm/communicator.h"

namespace tango::trainer {

// 0 when `step` returned on every rank; else the worst exit code (2 bad input, 1 runtime) on every rank.
int run_collective_step(comm::Communicator& comm, const std::string& program,
                        const std::function<void()>& step);

// Runs `work` on rank 0 only (a file only rank 0 writes) while the others wait. An error there is raised on
// every rank as a CollectiveError (trainer/collective_error.h: rank 0 prints its message, the others say
// that rank 0 failed at `what`), so the job ends with one line and without an abort.
void run_on_rank0(comm::Communicator& comm, const std::string& what, const std::function<void()>& work);

// "<program>: error: <what>" on stderr: the one-line form of every error of Tango's binaries.
void print_error(const std::string& program, const std::string& what);

}  // namespace tango::trainer
