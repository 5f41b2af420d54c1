// main() of the trainer's multi-rank tests: MPI up (comm::MpiSession), gtest on every rank, and the
// job's exit code non-zero when any rank failed a test.
#include <gtest/gtest.h>

#include "comm/communicator.h"
#include "comm/mpi_session.h"

int main(int argc, char** argv) {
  tango::comm::MpiSession mpi(&argc, &argv);
  ::testing::InitGoogleTest(&argc, argv);
  int failed = RUN_ALL_TESTS() != 0 ? 1 : 0;
  int any_failed = 0;
  MPI_Allreduce(&failed, &any_failed, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  return any_failed;
}
