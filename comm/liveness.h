// Liveness: which peers still answer while this rank waits long on a collective.
//
// A timed-out collective cannot say which rank it waits for. So, once a wait has lasted one
// interval, the waiting rank sends a one-int heartbeat to every other rank each interval and
// receives theirs (a tag of its own on the communicator). Every rank waiting on the same stuck
// collective does the same, so after a few intervals the peers not heard from are those that are
// gone, unreachable (a host's link is down) or busy outside Tango's waits (hung). Timeout messages
// name them: "no heartbeat for 8 s from rank 2 on node07". Fast waits send nothing.
#pragma once

#include <mpi.h>

#include <vector>

#include "core/timer.h"

namespace tango::comm {

class Liveness {
 public:
  Liveness(MPI_Comm comm, int rank, int size);

  // Seconds between heartbeats; a wait starts sending them after one interval.
  double interval_seconds() const { return interval_s_; }
  void set_interval_seconds(double seconds) { interval_s_ = seconds; }

  // One step inside a wait that has lasted `waited` seconds: sends this interval's heartbeats when
  // due and takes every heartbeat that has arrived.
  void tick(double waited);
  // Peers not heard from for at least `seconds` of the current wait's heartbeats; empty until this
  // rank has sent heartbeats for that long.
  std::vector<int> silent_peers(double seconds) const;
  // Seconds of the current wait's heartbeats since `peer` was last heard from.
  double silent_for(int peer) const;

 private:
  void drain();

  MPI_Comm comm_;
  int rank_;
  int size_;
  double interval_s_ = 1.0;
  Timer clock_;
  double first_sent_ = -1;          // clock_ time of the current wait's first heartbeat (-1: none)
  double last_sent_ = -1;           // and of its latest
  std::vector<double> last_heard_;  // clock_ time of each peer's latest heartbeat (-1: never)
};

}  // namespace tango::comm
