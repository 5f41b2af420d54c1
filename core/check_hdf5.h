// TANGO_HDF5_CHECK(call, path): HDF5 C calls return a negative value on failure; this turns that
// into a tango::Error naming the file. HDF5's own error stack printing is silenced by hdf5_quiet().
#pragma once

#include <hdf5.h>

#include "core/error.h"

namespace tango {
// Turns off HDF5's automatic error-stack printing (our errors carry the context instead).
inline void hdf5_quiet() {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
}
}  // namespace tango

#define TANGO_HDF5_CHECK(call, path)                                             \
  ([&]() {                                                                       \
    auto tango_h5_rc_ = (call);                                                  \
    if (tango_h5_rc_ < 0) [[unlikely]]                                           \
      TANGO_FAIL_INPUT(                                                          \
          "HDF5 call {} failed on '{}': the file is missing, unreadable or not " \
          "in Tango's layout (see docs/USAGE.md)",                               \
          #call, std::string(path));                                             \
    return tango_h5_rc_;                                                         \
  }())
