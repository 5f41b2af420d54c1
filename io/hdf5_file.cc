#include "io/hdf5_file.h"

#include <filesystem>
#include <vector>

#include "core/check_hdf5.h"

namespace tango::io {

namespace {

hid_t native_type(DType dtype) {
  switch (dtype) {
    case DType::kF32: return H5T_NATIVE_FLOAT;
    case DType::kI32: return H5T_NATIVE_INT32;
    case DType::kI64: return H5T_NATIVE_INT64;
    case DType::kI8: return H5T_NATIVE_INT8;
    case DType::kU8: return H5T_NATIVE_UINT8;
    case DType::kBF16: return H5T_NATIVE_UINT16;
  }
  return H5T_NATIVE_FLOAT;
}

// Maps a file datatype to the dtype Tango reads it as.
bool dtype_of_file_type(hid_t type, DType* out) {
  H5T_class_t cls = H5Tget_class(type);
  size_t size = H5Tget_size(type);
  if (cls == H5T_FLOAT && size == 4) return *out = DType::kF32, true;
  if (cls == H5T_INTEGER) {
    bool is_signed = H5Tget_sign(type) == H5T_SGN_2;
    if (size == 8 && is_signed) return *out = DType::kI64, true;
    if (size == 4 && is_signed) return *out = DType::kI32, true;
    if (size == 1 && is_signed) return *out = DType::kI8, true;
    if (size == 1 && !is_signed) return *out = DType::kU8, true;
  }
  return false;
}

struct Handle {  // closes an HDF5 id with the right function
  hid_t id;
  herr_t (*close)(hid_t);
  ~Handle() {
    if (id >= 0) close(id);
  }
};

}  // namespace

H5File H5File::open_read(const std::string& path) {
  hdf5_quiet();
  TANGO_CHECK_INPUT(std::filesystem::is_regular_file(path), "'{}' does not exist or is not a file", path);
  hid_t id = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  TANGO_CHECK_INPUT(id >= 0, "'{}' is not a readable HDF5 file", path);
  return H5File(id, path);
}

H5File H5File::create(const std::string& path) {
  hdf5_quiet();
  hid_t id = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  TANGO_CHECK_INPUT(id >= 0, "cannot create HDF5 file '{}': check that the folder exists and is writable",
                    path);
  return H5File(id, path);
}

H5File::~H5File() {
  close();
}

H5File::H5File(H5File&& other) noexcept : id_(other.id_), path_(std::move(other.path_)) {
  other.id_ = -1;
}

H5File& H5File::operator=(H5File&& other) noexcept {
  if (this != &other) {
    close();
    id_ = other.id_;
    path_ = std::move(other.path_);
    other.id_ = -1;
  }
  return *this;
}

void H5File::close() {
  if (id_ >= 0) H5Fclose(id_);
  id_ = -1;
}

void H5File::flush() {
  TANGO_HDF5_CHECK(H5Fflush(id_, H5F_SCOPE_GLOBAL), path_);
}

bool H5File::has(const std::string& name) const {
  // H5Lexists needs each intermediate link to exist, so walk the path.
  std::string prefix;
  size_t pos = 0;
  while (pos != std::string::npos) {
    size_t next = name.find('/', pos + 1);
    prefix = name.substr(0, next);
    if (!prefix.empty() && prefix != "/" && H5Lexists(id_, prefix.c_str(), H5P_DEFAULT) <= 0) return false;
    pos = next;
  }
  return true;
}

std::vector<std::string> H5File::list(const std::string& group) const {
  TANGO_CHECK_INPUT(has(group), "'{}' has no group '{}'", path_, group);
  std::vector<std::string> names;
  auto collect = [](hid_t, const char* name, const H5L_info_t*, void* out) -> herr_t {
    static_cast<std::vector<std::string>*>(out)->push_back(name);
    return 0;
  };
  TANGO_HDF5_CHECK(H5Literate_by_name(id_, group.c_str(), H5_INDEX_NAME, H5_ITER_INC, nullptr, collect,
                                      &names, H5P_DEFAULT),
                   path_);
  return names;
}

Tensor H5File::read(const std::string& name) const {
  TANGO_CHECK_INPUT(has(name), "'{}' has no dataset '{}': it is not in Tango's layout (see docs/USAGE.md)",
                    path_, name);
  Handle dset{H5Dopen2(id_, name.c_str(), H5P_DEFAULT), H5Dclose};
  TANGO_CHECK_INPUT(dset.id >= 0, "'{}': '{}' is not a dataset", path_, name);
  Handle type{H5Dget_type(dset.id), H5Tclose};
  DType dtype;
  TANGO_CHECK_INPUT(
      dtype_of_file_type(type.id, &dtype),
      "'{}': dataset '{}' has an element type Tango does not read (want f32, i64, i32, i8 or u8)", path_,
      name);
  Handle space{H5Dget_space(dset.id), H5Sclose};
  int ndim = H5Sget_simple_extent_ndims(space.id);
  TANGO_CHECK_INPUT(ndim == 1 || ndim == 2, "'{}': dataset '{}' has {} dimensions, expected 1 or 2", path_,
                    name, ndim);
  hsize_t dims[2] = {0, 1};
  H5Sget_simple_extent_dims(space.id, dims, nullptr);
  Shape shape = ndim == 1 ? Shape::vec(static_cast<int64_t>(dims[0]))
                          : Shape::mat(static_cast<int64_t>(dims[0]), static_cast<int64_t>(dims[1]));
  Tensor out = Tensor::empty(dtype, shape);
  if (out.numel() > 0)
    TANGO_HDF5_CHECK(H5Dread(dset.id, native_type(dtype), H5S_ALL, H5S_ALL, H5P_DEFAULT, out.raw_data()),
                     path_ + ":" + name);
  return out;
}

Tensor H5File::read_checked(const std::string& name, DType dtype, int64_t rows) const {
  Tensor t = read(name);
  TANGO_CHECK_INPUT(t.dtype() == dtype, "'{}': dataset '{}' holds {}, expected {}", path_, name,
                    dtype_name(t.dtype()), dtype_name(dtype));
  TANGO_CHECK_INPUT(rows < 0 || t.rows() == rows, "'{}': dataset '{}' has {} rows, expected {}", path_, name,
                    t.rows(), rows);
  return t;
}

void H5File::write(const std::string& name, const Tensor& tensor, int deflate) {
  TANGO_CHECK(tensor.device().is_cpu(), "HDF5 writes take CPU tensors, got {}", tensor.str());
  Handle lcpl{H5Pcreate(H5P_LINK_CREATE), H5Pclose};
  H5Pset_create_intermediate_group(lcpl.id, 1);
  hsize_t dims[2] = {static_cast<hsize_t>(tensor.rows()), static_cast<hsize_t>(tensor.cols())};
  Handle space{H5Screate_simple(tensor.ndim(), dims, nullptr), H5Sclose};
  Handle dcpl{H5Pcreate(H5P_DATASET_CREATE), H5Pclose};
  H5Pset_obj_track_times(dcpl.id, 0);  // no creation timestamps: same data, same bytes, same checksum
  if (deflate > 0 && tensor.numel() > 0) {
    hsize_t chunk[2] = {
        std::min<hsize_t>(dims[0], std::max<hsize_t>(1, (1 << 20) / std::max<hsize_t>(1, dims[1]))), dims[1]};
    if (tensor.ndim() == 1) chunk[0] = std::min<hsize_t>(dims[0], 1 << 20);
    H5Pset_chunk(dcpl.id, tensor.ndim(), chunk);
    H5Pset_deflate(dcpl.id, static_cast<unsigned>(deflate));
  }
  hid_t type = native_type(tensor.dtype());
  Handle dset{H5Dcreate2(id_, name.c_str(), type, space.id, lcpl.id, dcpl.id, H5P_DEFAULT), H5Dclose};
  TANGO_CHECK_INPUT(dset.id >= 0, "cannot create dataset '{}' in '{}' (does it exist already?)", name, path_);
  if (tensor.numel() > 0)
    TANGO_HDF5_CHECK(H5Dwrite(dset.id, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, tensor.raw_data()),
                     path_ + ":" + name);
}

void H5File::create_dataset(const std::string& name, DType dtype, Shape shape) {
  Handle lcpl{H5Pcreate(H5P_LINK_CREATE), H5Pclose};
  H5Pset_create_intermediate_group(lcpl.id, 1);
  hsize_t dims[2] = {static_cast<hsize_t>(shape.dims[0]), static_cast<hsize_t>(shape.dims[1])};
  Handle space{H5Screate_simple(shape.ndim, dims, nullptr), H5Sclose};
  Handle dcpl{H5Pcreate(H5P_DATASET_CREATE), H5Pclose};
  H5Pset_obj_track_times(dcpl.id, 0);
  Handle dset{H5Dcreate2(id_, name.c_str(), native_type(dtype), space.id, lcpl.id, dcpl.id, H5P_DEFAULT),
              H5Dclose};
  TANGO_CHECK_INPUT(dset.id >= 0, "cannot create dataset '{}' in '{}' (does it exist already?)", name, path_);
}

void H5File::write_rows(const std::string& name, int64_t first_row, const Tensor& rows) {
  TANGO_CHECK(rows.device().is_cpu(), "HDF5 writes take CPU tensors, got {}", rows.str());
  Handle dset{H5Dopen2(id_, name.c_str(), H5P_DEFAULT), H5Dclose};
  TANGO_CHECK(dset.id >= 0, "'{}' has no dataset '{}' to write rows into", path_, name);
  Handle file_space{H5Dget_space(dset.id), H5Sclose};
  const int ndim = H5Sget_simple_extent_ndims(file_space.id);
  hsize_t dims[2] = {0, 1};
  H5Sget_simple_extent_dims(file_space.id, dims, nullptr);
  TANGO_CHECK(ndim == rows.ndim() && (ndim == 1 || static_cast<int64_t>(dims[1]) == rows.cols()) &&
                  first_row >= 0 && static_cast<hsize_t>(first_row + rows.rows()) <= dims[0],
              "rows [{}, {}) of {} do not fit dataset '{}' of '{}'", first_row, first_row + rows.rows(),
              rows.str(), name, path_);
  if (rows.numel() == 0) return;
  hsize_t start[2] = {static_cast<hsize_t>(first_row), 0};
  hsize_t count[2] = {static_cast<hsize_t>(rows.rows()), dims[1]};
  TANGO_HDF5_CHECK(H5Sselect_hyperslab(file_space.id, H5S_SELECT_SET, start, nullptr, count, nullptr), path_);
  Handle memory_space{H5Screate_simple(ndim, count, nullptr), H5Sclose};
  TANGO_HDF5_CHECK(H5Dwrite(dset.id, native_type(rows.dtype()), memory_space.id, file_space.id, H5P_DEFAULT,
                            rows.raw_data()),
                   path_ + ":" + name);
}

void H5File::set_attr(const std::string& name, const std::string& value) {
  if (H5Aexists(id_, name.c_str()) > 0) H5Adelete(id_, name.c_str());
  Handle type{H5Tcopy(H5T_C_S1), H5Tclose};
  H5Tset_size(type.id, std::max<size_t>(1, value.size()));
  Handle space{H5Screate(H5S_SCALAR), H5Sclose};
  Handle attr{H5Acreate2(id_, name.c_str(), type.id, space.id, H5P_DEFAULT, H5P_DEFAULT), H5Aclose};
  TANGO_CHECK(attr.id >= 0, "cannot create attribute '{}' in '{}'", name, path_);
  std::string padded = value.empty() ? std::string(1, '\0') : value;
  TANGO_HDF5_CHECK(H5Awrite(attr.id, type.id, padded.data()), path_);
}

void H5File::set_attr(const std::string& name, int64_t value) {
  if (H5Aexists(id_, name.c_str()) > 0) H5Adelete(id_, name.c_str());
  Handle space{H5Screate(H5S_SCALAR), H5Sclose};
  Handle attr{H5Acreate2(id_, name.c_str(), H5T_NATIVE_INT64, space.id, H5P_DEFAULT, H5P_DEFAULT), H5Aclose};
  TANGO_CHECK(attr.id >= 0, "cannot create attribute '{}' in '{}'", name, path_);
  TANGO_HDF5_CHECK(H5Awrite(attr.id, H5T_NATIVE_INT64, &value), path_);
}

bool H5File::has_attr(const std::string& name) const {
  return H5Aexists(id_, name.c_str()) > 0;
}

std::string H5File::attr_string(const std::string& name) const {
  TANGO_CHECK_INPUT(has_attr(name), "'{}' has no attribute '{}'", path_, name);
  Handle attr{H5Aopen(id_, name.c_str(), H5P_DEFAULT), H5Aclose};
  Handle type{H5Aget_type(attr.id), H5Tclose};
  TANGO_CHECK_INPUT(H5Tget_class(type.id) == H5T_STRING, "'{}': attribute '{}' is not a string", path_, name);
  size_t size = H5Tget_size(type.id);
  std::vector<char> buffer(size + 1, '\0');
  Handle mem{H5Tcopy(H5T_C_S1), H5Tclose};
  H5Tset_size(mem.id, size);
  TANGO_HDF5_CHECK(H5Aread(attr.id, mem.id, buffer.data()), path_);
  return std::string(buffer.data());
}

int64_t H5File::attr_int(const std::string& name) const {
  TANGO_CHECK_INPUT(has_attr(name), "'{}' has no attribute '{}'", path_, name);
  Handle attr{H5Aopen(id_, name.c_str(), H5P_DEFAULT), H5Aclose};
  int64_t value = 0;
  TANGO_HDF5_CHECK(H5Aread(attr.id, H5T_NATIVE_INT64, &value), path_);
  return value;
}

}  // namespace tango::io
