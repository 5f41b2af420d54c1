#include "comm/mpi_session.h"

#include <mpi.h>

#include "core/check_mpi.h"

namespace tango::comm {

MpiSession::MpiSession(int* argc, char*** argv) {
  int initialized = 0;
  TANGO_MPI_CHECK(MPI_Initialized(&initialized));
  if (!initialized) {
    int provided = 0;
    TANGO_MPI_CHECK(MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided));
    owns_mpi_ = true;
    TANGO_CHECK(provided >= MPI_THREAD_FUNNELED, "MPI provides thread level {}, Tango needs FUNNELED ({})",
                provided, MPI_THREAD_FUNNELED);
  }
  TANGO_MPI_CHECK(MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN));
}

MpiSession::~MpiSession() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (owns_mpi_ && !finalized) MPI_Finalize();
}

}  // namespace tango::comm
