#include "comm/liveness.h"

namespace tango::comm {

namespace {
// Tango's halo tags are 7301/7302; collectives use no tags of the user space.
constexpr int kHeartbeatTag = 7399;
}  // namespace

Liveness::Liveness(MPI_Comm comm, int rank, int size)
    : comm_(comm), rank_(rank), size_(size), last_heard_(static_cast<size_t>(size), -1.0) {}

void Liveness::drain() {
  for (;;) {
    int arrived = 0;
    MPI_Status status;
    if (MPI_Iprobe(MPI_ANY_SOURCE, kHeartbeatTag, comm_, &arrived, &status) != MPI_SUCCESS || !arrived)
      return;
    int beat = 0;
    if (MPI_Recv(&beat, 1, MPI_INT, status.MPI_SOURCE, kHeartbeatTag, comm_, MPI_STATUS_IGNORE) !=
        MPI_SUCCESS)
      return;
    last_heard_[static_cast<size_t>(status.MPI_SOURCE)] = clock_.seconds();
  }
}

void Liveness::tick(double waited) {
  if (size_ < 2 || waited < interval_s_) return;
  const double now = clock_.seconds();
  // A wait that began after this rank's first heartbeat is a new one: count silence from now on.
  if (first_sent_ >= 0 && now - waited > first_sent_) first_sent_ = last_sent_ = -1;
  if (last_sent_ < 0 || now - last_sent_ >= interval_s_) {
    static const int beat = 1;
    for (int peer = 0; peer < size_; ++peer) {
      if (peer == rank_) continue;
      // Fire and forget: a heartbeat to an unreachable peer never completes, and nothing waits on it.
      MPI_Request request = MPI_REQUEST_NULL;
      if (MPI_Isend(&beat, 1, MPI_INT, peer, kHeartbeatTag, comm_, &request) == MPI_SUCCESS)
        MPI_Request_free(&request);
    }
    if (first_sent_ < 0) first_sent_ = now;
    last_sent_ = now;
  }
  drain();
}

double Liveness::silent_for(int peer) const {
  const double now = clock_.seconds();
  if (first_sent_ < 0) return 0.0;
  const double heard = last_heard_[static_cast<size_t>(peer)];
  return now - (heard > first_sent_ ? heard : first_sent_);
}

std::vector<int> Liveness::silent_peers(double seconds) const {
  std::vector<int> silent;
  if (first_sent_ < 0 || clock_.seconds() - first_sent_ < seconds) return silent;
  for (int peer = 0; peer < size_; ++peer)
    if (peer != rank_ && silent_for(peer) >= seconds) silent.push_back(peer);
  return silent;
}

}  // namespace tango::comm
