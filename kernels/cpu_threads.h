// The CPU threads of a process that runs kernels: OpenMP's team and OpenBLAS's own thread pool.
//
// TANGO_NUM_THREADS > 0 sets OpenMP's team size (0 keeps OpenMP's own: OMP_NUM_THREADS, else every core);
// OpenBLAS then gets the same count. The build links OpenBLAS's OpenMP build where it is installed
// (cmake/FindOpenBLAS.cmake), whose threads are OpenMP's; a pthread build, left alone, starts one thread
// per core of the machine whatever OMP_NUM_THREADS says, so K ranks on a node would run K x cores BLAS
// threads beside their OpenMP teams (launch/tango-run gives each rank cores / K).
#pragma once

namespace tango::kernels {

// Applies the settings above once at start-up (before the first kernel); returns the thread count. A
// malformed or negative TANGO_NUM_THREADS is an input error naming it.
int configure_cpu_threads();

}  // namespace tango::kernels
