# Finds OpenBLAS with its CBLAS header. Defines OpenBLAS::OpenBLAS.
#
# Prefers Debian's OpenMP build of OpenBLAS (libopenblas-openmp-dev, scripts/install-deps.sh) over its
# pthread build, which the system alternative picks by default. The kernels run OpenMP teams between BLAS
# calls: the pthread build's own thread pool and libgomp's spinning workers then take turns on the same
# cores (a 200k-node SAGE int8 epoch at 2 threads: 12.7 s with the pthread build, 5.9 s with the OpenMP
# build, 9.3 s on one thread; docs/BENCHMARKS.md). Both builds have the SONAME libopenblas.so.0, so the
# binaries carry the chosen directory in their RPATH (CMake adds it: not a system link directory).
find_library(OpenBLAS_LIBRARY NAMES openblas PATHS /usr/lib/${CMAKE_LIBRARY_ARCHITECTURE}/openblas-openmp
             NO_DEFAULT_PATH)
find_library(OpenBLAS_LIBRARY NAMES openblas)  # elsewhere: whichever the system has
get_filename_component(_openblas_dir "${OpenBLAS_LIBRARY}" DIRECTORY)
get_filename_component(_openblas_variant "${_openblas_dir}" NAME)
find_path(OpenBLAS_INCLUDE_DIR cblas.h PATH_SUFFIXES ${_openblas_variant} openblas-openmp openblas-pthread openblas)
include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(OpenBLAS REQUIRED_VARS OpenBLAS_LIBRARY OpenBLAS_INCLUDE_DIR)
if(OpenBLAS_FOUND AND NOT TARGET OpenBLAS::OpenBLAS)
  add_library(OpenBLAS::OpenBLAS UNKNOWN IMPORTED)
  set_target_properties(OpenBLAS::OpenBLAS PROPERTIES IMPORTED_LOCATION "${OpenBLAS_LIBRARY}"
                                                      INTERFACE_INCLUDE_DIRECTORIES "${OpenBLAS_INCLUDE_DIR}")
  message(STATUS "OpenBLAS: ${OpenBLAS_LIBRARY}")
endif()
mark_as_advanced(OpenBLAS_INCLUDE_DIR OpenBLAS_LIBRARY)
