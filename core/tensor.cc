#include "core/tensor.h"

#include <fmt/format.h>

#include <atomic>
#include <cstring>

#include "core/allocator.h"

#ifdef TANGO_HAVE_CUDA
#include "core/check_cuda.h"
#include "core/cuda/stream.h"
#endif

namespace tango {

namespace {
struct Counters {
  std::atomic<int64_t> current{0};
  std::atomic<int64_t> peak{0};
};
Counters& counters(Device::Kind kind) {
  static Counters cpu, cuda;
  return kind == Device::Kind::kCPU ? cpu : cuda;
}
void count_alloc(Device::Kind kind, int64_t bytes) {
  Counters& c = counters(kind);
  int64_t now = c.current.fetch_add(bytes) + bytes;
  int64_t peak = c.peak.load();
  while (now > peak && !c.peak.compare_exchange_weak(peak, now)) {
  }
}
}  // namespace

MemoryStats memory_stats(Device::Kind kind) {
  return {counters(kind).current.load(), counters(kind).peak.load()};
}
void reset_peak_memory(Device::Kind kind) {
  counters(kind).peak.store(counters(kind).current.load());
}

// Owns one allocation on one device, from the device's caching allocator.
class Storage {
 public:
  Storage(size_t bytes, Device device) : bytes_(bytes), device_(device) {
    if (bytes == 0) return;
    block_ = device_allocator(device).allocate(bytes);
    count_alloc(device.kind, static_cast<int64_t>(bytes));
  }
  ~Storage() {
    if (block_.ptr == nullptr) return;
    device_allocator(device_).free(block_);
    count_alloc(device_.kind, -static_cast<int64_t>(bytes_));
  }
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
  void* ptr() const { return block_.ptr; }

 private:
  Block block_;
  size_t bytes_;
  Device device_;
};

std::string Shape::str() const {
  return ndim == 1 ? fmt::format("[{}]", dims[0]) : fmt::format("[{}, {}]", dims[0], dims[1]);
}

Tensor Tensor::empty(DType dtype, Shape shape, Device device) {
  TANGO_CHECK(shape.dims[0] >= 0 && shape.dims[1] >= 0, "negative shape {}", shape.str());
  Tensor t;
  t.storage_ = std::make_shared<Storage>(static_cast<size_t>(shape.numel()) * dtype_size(dtype), device);
  t.dtype_ = dtype;
  t.shape_ = shape;
  t.device_ = device;
  return t;
}

Tensor Tensor::zeros(DType dtype, Shape shape, Device device) {
  Tensor t = empty(dtype, shape, device);
  t.fill_zero();
  return t;
}

void* Tensor::raw_data() {
  TANGO_CHECK(defined(), "data() of an undefined tensor");
  return storage_->ptr() ? static_cast<char*>(storage_->ptr()) + offset_bytes_ : nullptr;
}
const void* Tensor::raw_data() const {
  return const_cast<Tensor*>(this)->raw_data();
}

void Tensor::check_dtype(DType want) const {
  TANGO_CHECK(dtype_ == want, "tensor {} accessed as {}", str(), dtype_name(want));
}

Tensor Tensor::slice_rows(int64_t begin, int64_t end) const {
  TANGO_CHECK(0 <= begin && begin <= end && end <= rows(), "rows [{}, {}) out of range for {}", begin, end,
              str());
  Tensor view = *this;
  view.offset_bytes_ += static_cast<size_t>(begin * cols()) * dtype_size(dtype_);
  view.shape_.dims[0] = end - begin;
  return view;
}

Tensor Tensor::reshaped(Shape shape) const {
  TANGO_CHECK(shape.numel() == numel(), "cannot reshape {} to {}", str(), shape.str());
  Tensor view = *this;
  view.shape_ = shape;
  return view;
}

Tensor Tensor::to(Device device) const {
  Tensor out = empty(dtype_, shape_, device);
  out.copy_from(*this);
  return out;
}

void Tensor::copy_from(const Tensor& src) {
  TANGO_CHECK(src.dtype_ == dtype_ && src.numel() == numel(), "copy from {} into {}", src.str(), str());
  if (nbytes() == 0) return;
  if (device_.is_cpu() && src.device_.is_cpu()) {
    std::memcpy(raw_data(), src.raw_data(), nbytes());
    return;
  }
#ifdef TANGO_HAVE_CUDA
  cudaMemcpyKind kind = src.device_.is_cpu() ? cudaMemcpyHostToDevice
                        : device_.is_cpu()   ? cudaMemcpyDeviceToHost
                                             : cudaMemcpyDeviceToDevice;
  // Queued on the device's stream, behind the kernels that produce the source (work on other
  // streams is joined to it by its owner), so nothing needs a device-wide wait first. Device to
  // device, the copy stays queued: every later use of the data is on the same stream. To the host,
  // the host needs the data now; from the host, the source may be freed as soon as this returns and
  // callers may hand the tensor to code on another stream, so both wait for the copy.
  // Between two GPUs (not Tango's one-GPU-per-rank layout, but allowed) the source's stream is
  // another stream: wait for it before, and for the copy after.
  cudaStream_t stream = cuda_stream(device_.is_cuda() ? device_ : src.device_);
  const bool across_gpus = kind == cudaMemcpyDeviceToDevice && device_ != src.device_;
  if (across_gpus) TANGO_CUDA_CHECK(cudaStreamSynchronize(cuda_stream(src.device_)));
  TANGO_CUDA_CHECK(cudaMemcpyAsync(raw_data(), src.raw_data(), nbytes(), kind, stream));
  if (kind != cudaMemcpyDeviceToDevice || across_gpus) TANGO_CUDA_CHECK(cudaStreamSynchronize(stream));
#else
  TANGO_FAIL("copy between {} and {}: this build has no CUDA backend", src.device_.str(), device_.str());
#endif
}

void Tensor::fill_zero() {
  if (nbytes() == 0) return;
  if (device_.is_cpu()) {
    std::memset(raw_data(), 0, nbytes());
    return;
  }
#ifdef TANGO_HAVE_CUDA
  // Stream-ordered like a device-to-device copy: no wait.
  TANGO_CUDA_CHECK(cudaMemsetAsync(raw_data(), 0, nbytes(), cuda_stream(device_)));
#endif
}

std::string Tensor::str() const {
  if (!defined()) return "undefined tensor";
  return fmt::format("{}{} on {}", dtype_name(dtype_), shape_.str(), device_.str());
}

}  // namespace tango
