// TANGO_MPI_CHECK(call): turns a failed MPI call into a tango::Error naming the call and MPI's text.
#pragma once

#include <mpi.h>

#include "core/error.h"

namespace tango::detail {
inline std::string mpi_error_string(int code) {
  char text[MPI_MAX_ERROR_STRING];
  int len = 0;
  if (MPI_Error_string(code, text, &len) != MPI_SUCCESS) return "unknown MPI error " + std::to_string(code);
  return std::string(text, static_cast<size_t>(len));
}
}  // namespace tango::detail

#define TANGO_MPI_CHECK(call)                                                                        \
  do {                                                                                               \
    int tango_mpi_rc_ = (call);                                                                      \
    if (tango_mpi_rc_ != MPI_SUCCESS) [[unlikely]]                                                   \
      TANGO_FAIL("MPI call {} failed: {}", #call, ::tango::detail::mpi_error_string(tango_mpi_rc_)); \
  } while (0)
