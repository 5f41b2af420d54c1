// safetensors, the tensor file format of Hugging Face's `safetensors` library (what
// safetensors.torch.load_file / save_file read and write):
//   8 bytes      N, the header's length (u64, little-endian)
//   N bytes      JSON: {"__metadata__": {string: string, ...},
//                       "<name>": {"dtype": "F32", "shape": [d0, d1, ...], "data_offsets": [begin, end]},
//                       ...}
//                (padded with spaces to a multiple of 8)
//   the rest     the tensors' raw little-endian bytes, row-major; tensor t is bytes [begin, end) of this
//                buffer, and the tensors tile it from 0 to its end without gaps or overlaps.
// The reader checks exactly that (and the byte counts against dtype x shape), so a truncated, padded or
// foreign file is a one-line input error naming the file and what is wrong, never a half-read model.
// Dtypes read and written: F32, I32, I64, I8, U8 (the ones core/tensor.h holds).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace tango::io {

struct SafetensorsEntry {
  std::vector<int64_t> shape;  // the file's shape (any rank; [] is a scalar)
  Tensor values;               // CPU; [d0, d1] when the shape has 2 dims, else a vector of all elements
};

struct SafetensorsFile {
  std::map<std::string, SafetensorsEntry> tensors;
  std::map<std::string, std::string> metadata;  // "__metadata__" (string values only, as the format says)
};

// An entry holding `values` (a CPU tensor) under the file shape `shape` (same number of elements).
SafetensorsEntry safetensors_entry(const Tensor& values, std::vector<int64_t> shape);

// Writes `file` to `path` atomically (io/atomic_file.h); tensors are laid out in name order.
void write_safetensors(const std::string& path, const SafetensorsFile& file);
// Reads and validates a whole file. Input errors (exit 2) name the file and the defect.
SafetensorsFile read_safetensors(const std::string& path);

// "[1, 8, 8]": a shape as the messages print it.
std::string shape_str(const std::vector<int64_t>& shape);

}  // namespace tango::io
