#include "comm/halo_plan.h"

#include <algorithm>

#include "comm/communicator.h"
#include "core/check_mpi.h"
#include "core/error.h"

namespace tango::comm {

namespace {
void check_offsets(const std::vector<int64_t>& offsets, int num_peers, const char* name) {
  TANGO_CHECK_INPUT(offsets.size() == static_cast<size_t>(num_peers) + 1,
                    "halo plan: {} has {} entries, expected num_peers + 1 = {}", name, offsets.size(),
                    num_peers + 1);
  TANGO_CHECK_INPUT(offsets[0] == 0, "halo plan: {}[0] = {}, expected 0", name, offsets[0]);
  for (int p = 0; p < num_peers; ++p)
    TANGO_CHECK_INPUT(offsets[p + 1] >= offsets[p], "halo plan: {} decreases at peer {} ({} -> {})", name, p,
                      offsets[p], offsets[p + 1]);
}
}  // namespace

HaloPlan HaloPlan::from_arrays(int self, int num_peers, int64_t num_owned, int64_t num_inner,
                               std::vector<int64_t> send_offsets, std::vector<int64_t> send_rows,
                               std::vector<int64_t> halo_offsets) {
  TANGO_CHECK_INPUT(num_peers >= 1 && self >= 0 && self < num_peers,
                    "halo plan: rank {} is not one of {} peers", self, num_peers);
  TANGO_CHECK_INPUT(num_owned >= 0 && num_inner >= 0 && num_inner <= num_owned,
                    "halo plan: need 0 <= num_inner ({}) <= num_owned ({})", num_inner, num_owned);
  check_offsets(send_offsets, num_peers, "send_offsets");
  check_offsets(halo_offsets, num_peers, "halo_offsets");
  TANGO_CHECK_INPUT(send_offsets.back() == static_cast<int64_t>(send_rows.size()),
                    "halo plan: send_offsets ends at {} but there are {} send rows", send_offsets.back(),
                    send_rows.size());
  HaloPlan plan;
  plan.num_peers = num_peers;
  plan.num_owned = num_owned;
  plan.num_inner = num_inner;
  plan.send_offsets = std::move(send_offsets);
  plan.send_rows = std::move(send_rows);
  plan.halo_offsets = std::move(halo_offsets);
  TANGO_CHECK_INPUT(plan.send_count(self) == 0 && plan.recv_count(self) == 0,
                    "halo plan: rank {} sends {} and receives {} rows to/from itself; expected none", self,
                    plan.send_count(self), plan.recv_count(self));
  std::vector<int64_t> sorted;
  for (int p = 0; p < num_peers; ++p) {
    const int64_t* rows = plan.send_rows_to(p);
    sorted.assign(rows, rows + plan.send_count(p));
    for (int64_t row : sorted)
      TANGO_CHECK_INPUT(row >= 0 && row < num_owned,
                        "halo plan: row {} sent to peer {} is not an owned row in [0, {})", row, p,
                        num_owned);
    std::sort(sorted.begin(), sorted.end());
    auto dup = std::adjacent_find(sorted.begin(), sorted.end());
    TANGO_CHECK_INPUT(dup == sorted.end(), "halo plan: row {} is sent to peer {} twice", *dup, p);
  }
  return plan;
}

HaloPlan HaloPlan::no_exchange(int num_peers, int64_t num_owned) {
  HaloPlan plan;
  plan.num_peers = num_peers;
  plan.num_owned = num_owned;
  plan.num_inner = num_owned;
  plan.send_offsets.assign(static_cast<size_t>(num_peers) + 1, 0);
  plan.halo_offsets.assign(static_cast<size_t>(num_peers) + 1, 0);
  return plan;
}

void check_plan_consistent(const HaloPlan& plan, Communicator& comm) {
  TANGO_CHECK_INPUT(plan.num_peers == comm.size(), "halo plan for {} ranks used on a communicator of {}",
                    plan.num_peers, comm.size());
  int size = comm.size();
  std::vector<int64_t> send_counts(static_cast<size_t>(size)), expected(static_cast<size_t>(size));
  for (int p = 0; p < size; ++p) send_counts[p] = plan.send_count(p);
  MPI_Request request = MPI_REQUEST_NULL;
  TANGO_MPI_CHECK(MPI_Ialltoall(send_counts.data(), 1, MPI_INT64_T, expected.data(), 1, MPI_INT64_T,
                                comm.mpi_comm(), &request));
  int no_peer = -1;
  comm.wait_all({&request, 1}, {&no_peer, 1}, "halo plan check");
  for (int p = 0; p < size; ++p)
    TANGO_CHECK_INPUT(expected[p] == plan.recv_count(p),
                      "halo plan: rank {} sends {} rows to rank {}, which expects {}; the part files "
                      "come from different partitions",
                      p, expected[p], comm.rank(), plan.recv_count(p));
}

}  // namespace tango::comm
