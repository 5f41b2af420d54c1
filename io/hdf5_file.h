// A small RAII wrapper over the HDF5 C API for what Tango stores: 1-D/2-D tensors of
// f32/i32/i64/i8/u8 under slash paths ("/graph/indptr"), and scalar attributes on the root.
// Readers get the dtype from the file; errors name the file and the dataset.
#pragma once

#include <hdf5.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace tango::io {

class H5File {
 public:
  static H5File open_read(const std::string& path);
  // Creates (truncates) `path`. Use it on an AtomicFile's temp path.
  static H5File create(const std::string& path);
  ~H5File();
  H5File(H5File&& other) noexcept;
  H5File& operator=(H5File&& other) noexcept;
  H5File(const H5File&) = delete;
  H5File& operator=(const H5File&) = delete;

  const std::string& path() const { return path_; }
  // True when a dataset or group exists at `name` (intermediate groups are checked too).
  bool has(const std::string& name) const;
  // Names of the links (datasets, groups) directly under a group, in name order.
  std::vector<std::string> list(const std::string& group) const;
  // Reads a whole dataset into a CPU tensor of the matching dtype.
  Tensor read(const std::string& name) const;
  // Like read(), but checks the dtype and (when >= 0) the number of rows, naming the file on mismatch.
  Tensor read_checked(const std::string& name, DType dtype, int64_t rows = -1) const;
  // Writes a CPU tensor; creates intermediate groups. Compressed with gzip level `deflate` (0: none).
  void write(const std::string& name, const Tensor& tensor, int deflate = 0);
  // Writing a big table in pieces: create_dataset makes an (uncompressed) 1-D or 2-D dataset of `shape`,
  // write_rows fills rows [first_row, first_row + rows.rows()) of it from a CPU tensor of its dtype and
  // width.
  void create_dataset(const std::string& name, DType dtype, Shape shape);
  void write_rows(const std::string& name, int64_t first_row, const Tensor& rows);

  void set_attr(const std::string& name, const std::string& value);
  void set_attr(const std::string& name, int64_t value);
  std::string attr_string(const std::string& name) const;
  int64_t attr_int(const std::string& name) const;
  bool has_attr(const std::string& name) const;

  void flush();
  void close();

 private:
  H5File(hid_t id, std::string path) : id_(id), path_(std::move(path)) {}
  hid_t id_ = -1;
  std::string path_;
};

}  // namespace tango::io
