// Logging through spdlog. init_logging() sets the level from TANGO_LOG_LEVEL and a pattern that
// carries host and rank, so lines from many ranks can be told apart. Use spdlog::info(...) etc.
#pragma once

namespace tango {

// Call once per process (again after the MPI rank is known; rank < 0 means "not under MPI").
void init_logging(int rank = -1);

}  // namespace tango
