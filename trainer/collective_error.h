// An error every rank of the run raised at the same point (after a collective that told each rank
// what the others found), so the job can end without MPI_Abort: every rank returns the exit code,
// and only one rank prints the message. Resuming from a checkpoint that is damaged or belongs to
// another configuration or dataset fails this way (trainer/run_checkpoints.h): one
// "tango-train: error: ..." line and exit 2, instead of one line per rank and the launcher's abort
// report. Still a tango::Error (its kind gives the exit code); callers that do not know this type
// treat it as any other. (trainer/collective_step.h does the same for a step outside train() that
// calls no collective, such as loading the graph, and returns the exit code instead.)
#pragma once

#include <string>

#include "core/error.h"

namespace tango::trainer {

class CollectiveError : public Error {
 public:
  // `print_here`: whether this rank should print the message (rank 0, or the rank whose own error
  // rank 0 does not have).
  CollectiveError(ErrorKind kind, std::string message, bool print_here)
      : Error(kind, std::move(message)), print_here_(print_here) {}
  bool print_here() const { return print_here_; }

 private:
  bool print_here_;
};

}  // namespace tango::trainer
