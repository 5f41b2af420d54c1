// main() of the multi-rank comm tests: MPI up, gtest on every rank, one verdict for the job.
// Rank 0 prints the usual gtest output; other ranks print only their failures, prefixed with the
// rank. The exit code is the worst over all ranks, so a test failing on any rank fails the program
// on every rank (and mpiexec exits non-zero).
#include "tests/comm/mpi/mpi_test_main.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <memory>

#include "comm/mpi_session.h"
#include "core/log.h"

namespace tango::testing {

namespace {
std::unique_ptr<comm::Communicator> world_comm;

class RankFailurePrinter : public ::testing::EmptyTestEventListener {
 public:
  explicit RankFailurePrinter(int rank) : rank_(rank) {}
  void OnTestPartResult(const ::testing::TestPartResult& result) override {
    if (!result.failed()) return;
    std::fprintf(stderr, "[rank %d] %s:%d: %s\n", rank_, result.file_name() ? result.file_name() : "?",
                 result.line_number(), result.message());
  }

 private:
  int rank_;
};
}  // namespace

comm::Communicator& world() {
  return *world_comm;
}

}  // namespace tango::testing

int main(int argc, char** argv) {
  // A hung peer must fail the test quickly, not after the 300 s default.
  setenv("TANGO_COMM_TIMEOUT_S", "20", 0);
  tango::comm::MpiSession mpi(&argc, &argv);
  ::testing::InitGoogleTest(&argc, argv);
  tango::testing::world_comm = std::make_unique<tango::comm::Communicator>();
  int rank = tango::testing::world().rank();
  tango::init_logging(rank);
  if (rank != 0) {
    auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
    listeners.Append(new tango::testing::RankFailurePrinter(rank));
  }
  int64_t result = RUN_ALL_TESTS();
  result = tango::testing::world().allreduce(result, tango::comm::ReduceOp::kMax);
  tango::testing::world_comm.reset();
  return static_cast<int>(result);
}
