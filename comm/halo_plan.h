// HaloPlan: which rows a rank sends to and receives from each peer in a halo exchange.
//
// Built from plain arrays, so the trainer can make it straight from a partition's part file.
// Local row layout of a layer's input table: [0, num_owned) owned rows, of which [0, num_inner) have
// no remote neighbour (they need no halo and can be computed while the exchange is in flight), then
// the halo rows: those received from peer p are rows num_owned + [halo_offsets[p], halo_offsets[p+1]).
// To peer p we send the owned rows send_rows[send_offsets[p] .. send_offsets[p+1]), in the order of
// p's halo rows for us. The backward exchange runs the same lists in reverse: halo-row gradients go
// back to their owners and are summed into send_rows.
#pragma once

#include <cstdint>
#include <vector>

namespace tango::comm {

class Communicator;

struct HaloPlan {
  int num_peers = 1;                  // P: ranks in the communicator (this rank included, with empty lists)
  int64_t num_owned = 0;              // owned rows
  int64_t num_inner = 0;              // owned rows [0, num_inner) need no halo
  std::vector<int64_t> send_offsets;  // [P+1]
  std::vector<int64_t> send_rows;     // local owned row ids, per peer
  std::vector<int64_t> halo_offsets;  // [P+1]

  // Validates the arrays (sizes, monotone offsets, send rows in range and distinct per peer, nothing
  // sent to or received from `self`); bad arrays are an input error naming the value.
  static HaloPlan from_arrays(int self, int num_peers, int64_t num_owned, int64_t num_inner,
                              std::vector<int64_t> send_offsets, std::vector<int64_t> send_rows,
                              std::vector<int64_t> halo_offsets);
  // A plan with no exchange at all (K = 1, or a rank with no boundary).
  static HaloPlan no_exchange(int num_peers, int64_t num_owned);

  int64_t num_halo() const { return halo_offsets.back(); }
  int64_t num_rows() const { return num_owned + num_halo(); }  // rows of the exchanged table
  int64_t send_count(int peer) const { return send_offsets[peer + 1] - send_offsets[peer]; }
  int64_t recv_count(int peer) const { return halo_offsets[peer + 1] - halo_offsets[peer]; }
  int64_t total_send_rows() const { return send_offsets.back(); }
  const int64_t* send_rows_to(int peer) const { return send_rows.data() + send_offsets[peer]; }
  int64_t first_halo_row_from(int peer) const { return num_owned + halo_offsets[peer]; }
};

// Checks collectively that every rank's send count to p equals p's receive count from it (one
// all-to-all of counts); a mismatch (part files from different partitions) is an input error.
void check_plan_consistent(const HaloPlan& plan, Communicator& comm);

}  // namespace tango::comm
