// One function that turns any dataset spec into a Dataset:
//   a directory in the OGB node-property raw layout (raw/*.csv.gz, split/<name>/*.csv.gz),
//   a .h5 file in Tango's HDF5 layout, or "synthetic:..." (see synthetic.h).
#pragma once

#include <string>

#include "io/dataset.h"

namespace tango::io {

struct LoadOptions {
  // Which split/<name>/ of an OGB directory to use; empty = the only one (an error if several).
  std::string split;
};

Dataset load_dataset(const std::string& spec, const LoadOptions& options = {});

}  // namespace tango::io
