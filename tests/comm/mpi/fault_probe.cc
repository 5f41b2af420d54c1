// A 3-rank job in which rank 1 fails during a halo exchange, for tests/comm/expect_job_failure.sh.
//   throw: rank 1 throws after posting its exchange; run_rank_main aborts the whole job.
//   hang:  rank 1 never posts its exchange and sleeps; its peers time out (TANGO_COMM_TIMEOUT_S)
//          and abort the job, naming rank 1 as the peer they were waiting for.
//   hang-collective: rank 1 sleeps instead of joining an allreduce; its peers time out, and their
//          heartbeats (comm/liveness.h) name rank 1 as the one that stopped answering.
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "comm/fatal.h"
#include "comm/halo_exchange.h"
#include "comm/mpi_session.h"
#include "core/log.h"

using namespace tango;
using namespace tango::comm;

int main(int argc, char** argv) {
  MpiSession mpi(&argc, &argv);
  std::string mode = argc > 1 ? argv[1] : "throw";
  return run_rank_main([&] {
    Communicator world;
    init_logging(world.rank());
    TANGO_CHECK_INPUT(world.size() == 3, "fault_probe needs 3 ranks, got {}", world.size());
    // A ring: every rank sends one row to each other rank and receives one from each.
    int r = world.rank();
    std::vector<int64_t> send_offsets(4, 0), halo_offsets(4, 0), send_rows;
    for (int p = 0; p < 3; ++p) {
      send_offsets[p + 1] = send_offsets[p] + (p == r ? 0 : 1);
      halo_offsets[p + 1] = halo_offsets[p] + (p == r ? 0 : 1);
      if (p != r) send_rows.push_back(0);
    }
    HaloExchange exchange(world, HaloPlan::from_arrays(r, 3, 1, 0, send_offsets, send_rows, halo_offsets));
    Tensor table = Tensor::zeros(DType::kF32, Shape::mat(3, 4));
    exchange.exchange(Direction::kForward, table, Codec::fp32());  // one good round first
    if (r == 1 && (mode == "hang" || mode == "hang-collective")) {
      std::this_thread::sleep_for(std::chrono::seconds(120));
      return 0;
    }
    if (mode == "hang-collective") {
      world.allreduce(1.0F, ReduceOp::kSum);
      return 0;
    }
    exchange.post(Direction::kForward, table, Codec::integer(8));
    if (r == 1) TANGO_FAIL("rank {} fails on purpose in the middle of a halo exchange", r);
    exchange.wait();
    world.barrier();
    return 0;
  });
}
