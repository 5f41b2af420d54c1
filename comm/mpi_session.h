// MpiSession: MPI's lifetime as an RAII object, one per process, created first thing in main().
//
// It initialises MPI with MPI_THREAD_FUNNELED (only the main thread calls MPI; OpenMP threads never
// do) unless someone already did, sets MPI_ERRORS_RETURN on MPI_COMM_WORLD so failures become
// tango::Error instead of MPI's own abort, and finalises on destruction if it initialised.
#pragma once

namespace tango::comm {

class MpiSession {
 public:
  MpiSession(int* argc, char*** argv);
  ~MpiSession();
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;

 private:
  bool owns_mpi_ = false;
};

}  // namespace tango::comm
