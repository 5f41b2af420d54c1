// Tensor: an owning, reference-counted buffer with a dtype, a 1-D or 2-D row-major shape and a
// device (CPU or a CUDA ordinal). All memory in Tango is allocated here: no raw new/malloc/cudaMalloc
// elsewhere. Copies are explicit (clone, to, copy_from). slice_rows() returns a view that shares the
// storage (no copy) and keeps it alive; writing through a view writes the parent.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/device.h"
#include "core/dtype.h"
#include "core/error.h"

namespace tango {

class Storage;

struct Shape {
  int ndim = 1;
  int64_t dims[2] = {0, 1};

  static Shape vec(int64_t n) { return {1, {n, 1}}; }
  static Shape mat(int64_t rows, int64_t cols) { return {2, {rows, cols}}; }
  int64_t numel() const { return dims[0] * dims[1]; }
  bool operator==(const Shape& o) const {
    return ndim == o.ndim && dims[0] == o.dims[0] && dims[1] == o.dims[1];
  }
  std::string str() const;  // "[n]" or "[r, c]"
};

class Tensor {
 public:
  Tensor() = default;  // undefined: no storage

  static Tensor empty(DType dtype, Shape shape, Device device = Device::cpu());
  static Tensor zeros(DType dtype, Shape shape, Device device = Device::cpu());
  // A CPU tensor holding a copy of `values` (1-D, or 2-D when rows*cols == values.size()).
  template <class T>
  static Tensor from(const std::vector<T>& values);
  template <class T>
  static Tensor from(const std::vector<T>& values, int64_t rows, int64_t cols);

  bool defined() const { return storage_ != nullptr; }
  DType dtype() const { return dtype_; }
  Device device() const { return device_; }
  const Shape& shape() const { return shape_; }
  int ndim() const { return shape_.ndim; }
  int64_t rows() const { return shape_.dims[0]; }
  int64_t cols() const { return shape_.dims[1]; }
  int64_t numel() const { return shape_.numel(); }
  size_t nbytes() const { return static_cast<size_t>(numel()) * dtype_size(dtype_); }

  // Typed pointer to the first element (a device pointer for CUDA tensors). Checks the dtype.
  template <class T>
  T* data() {
    check_dtype(dtype_of<T>());
    return static_cast<T*>(raw_data());
  }
  template <class T>
  const T* data() const {
    check_dtype(dtype_of<T>());
    return static_cast<const T*>(raw_data());
  }
  void* raw_data();
  const void* raw_data() const;

  // Rows [begin, end) as a view sharing this tensor's storage.
  Tensor slice_rows(int64_t begin, int64_t end) const;
  // The same elements under another shape with the same element count (shares storage).
  Tensor reshaped(Shape shape) const;
  // A deep copy on `device` (a copy even when the device is the same).
  Tensor to(Device device) const;
  Tensor clone() const { return to(device_); }
  // Copies src's elements into this tensor (same dtype and element count; any devices).
  void copy_from(const Tensor& src);
  void fill_zero();
  // Copies a CPU or CUDA tensor's elements into a host vector.
  template <class T>
  std::vector<T> to_vector() const;

  std::string str() const;  // "f32[100, 16] on cpu"

 private:
  void check_dtype(DType want) const;

  std::shared_ptr<Storage> storage_;
  size_t offset_bytes_ = 0;
  DType dtype_ = DType::kF32;
  Shape shape_;
  Device device_;
};

template <class T>
Tensor Tensor::from(const std::vector<T>& values) {
  return from(values, static_cast<int64_t>(values.size()), -1);
}

template <class T>
Tensor Tensor::from(const std::vector<T>& values, int64_t rows, int64_t cols) {
  Shape shape = cols < 0 ? Shape::vec(rows) : Shape::mat(rows, cols);
  TANGO_CHECK(shape.numel() == static_cast<int64_t>(values.size()), "{} values cannot fill shape {}",
              values.size(), shape.str());
  Tensor t = empty(dtype_of<T>(), shape);
  std::copy(values.begin(), values.end(), t.data<T>());
  return t;
}

template <class T>
std::vector<T> Tensor::to_vector() const {
  check_dtype(dtype_of<T>());
  Tensor host = device_.is_cpu() ? *this : to(Device::cpu());
  const T* p = host.data<T>();
  return std::vector<T>(p, p + numel());
}

}  // namespace tango
