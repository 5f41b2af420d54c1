// A Dataset as one HDF5 file in Tango's layout, so a converted graph loads without parsing text:
//   /graph/indptr  i64 [n + 1]        /node/feat   f32 [n, F]
//   /graph/indices i32 or i64 [E]     /node/label  i32 [n]
//   /split/train, /split/valid, /split/test   i64 node-id lists
//   root attributes: name, split_name (strings), num_classes, format_version (integers)
// The graph is stored as Tango holds it: symmetric, rows sorted, no self-loops or duplicates.
// Writing is atomic (temp name, fsync, rename); reading checks every invariant and names the file.
#pragma once

#include <cstdint>
#include <string>

#include "io/dataset.h"

namespace tango::io {

// The layout version written to the root attribute `format_version`; readers refuse other versions.
inline constexpr int64_t kHdf5DatasetFormatVersion = 1;

Dataset read_hdf5_dataset(const std::string& path);

// Validates `dataset` first (an invalid one writes nothing), then writes `path` atomically.
void write_hdf5_dataset(const Dataset& dataset, const std::string& path);

}  // namespace tango::io
