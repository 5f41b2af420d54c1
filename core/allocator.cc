#include "core/allocator.h"

#include <algorithm>
#include <bit>
#include <cstdlib>
#include <memory>

#include "core/env.h"
#include "core/error.h"

#ifdef TANGO_HAVE_CUDA
#include "core/check_cuda.h"
#endif

namespace tango {

namespace {
constexpr size_t kCpuAlignment = 64;             // a cache line; also AVX-512 friendly
constexpr size_t kSmallLimit = size_t{1} << 20;  // powers of two up to here, quarter steps above

size_t round_up(size_t bytes, size_t multiple) {
  return (bytes + multiple - 1) / multiple * multiple;
}
}  // namespace

size_t CachingAllocator::size_class(size_t bytes) {
  TANGO_CHECK(bytes <= (size_t{1} << 62), "allocation of {} bytes is beyond any device", bytes);
  if (bytes <= kCpuAlignment) return kCpuAlignment;
  if (bytes <= kSmallLimit) return std::bit_ceil(bytes);
  // A quarter of the largest power of two not above `bytes`: 2^k, 1.25 2^k, 1.5 2^k, 1.75 2^k.
  const size_t step = std::bit_floor(bytes) / 4;
  return round_up(bytes, step);
}

CachingAllocator::CachingAllocator(Device device, size_t cap_bytes)
    : device_(device), cap_bytes_(cap_bytes) {}

CachingAllocator::~CachingAllocator() {
  release_cached();
}

void* CachingAllocator::system_allocate(size_t bytes) {
  if (device_.is_cpu()) return std::aligned_alloc(kCpuAlignment, round_up(bytes, kCpuAlignment));
#ifdef TANGO_HAVE_CUDA
  TANGO_CUDA_CHECK(cudaSetDevice(device_.ordinal));
  void* ptr = nullptr;
  cudaError_t rc = cudaMalloc(&ptr, bytes);
  if (rc == cudaErrorMemoryAllocation) {
    (void)cudaGetLastError();  // clear it: the caller empties the cache and tries again
    return nullptr;
  }
  TANGO_CUDA_CHECK(rc);
  return ptr;
#else
  TANGO_FAIL("cannot allocate on {}: this build has no CUDA backend", device_.str());
#endif
}

void CachingAllocator::system_release(const Block& block) noexcept {
  if (device_.is_cpu()) {
    std::free(block.ptr);
    return;
  }
#ifdef TANGO_HAVE_CUDA
  // On the block's own device (a release can run while another device is current), which stays
  // current for the caller afterwards. No throwing from a release: a failure here means the
  // context is gone.
  int current = -1;
  const bool switch_device = cudaGetDevice(&current) == cudaSuccess && current != device_.ordinal;
  if (switch_device) cudaSetDevice(device_.ordinal);
  cudaFree(block.ptr);
  if (switch_device) cudaSetDevice(current);
#endif
}

Block CachingAllocator::allocate(size_t bytes) {
  TANGO_CHECK(bytes > 0, "allocate(0) on {}", device_.str());
  Block block;
  {
    std::lock_guard lock(mutex_);
    // Without caching a block has its exact size, so the sanitizer sees overflows past the tensor.
    block.bytes = cap_bytes_ > 0 ? size_class(bytes) : bytes;
    auto it = by_class_.find(block.bytes);
    if (it != by_class_.end() && !it->second.empty()) {
      Lru::iterator cached = it->second.back();
      block.ptr = cached->ptr;
      take_locked(cached);
      ++stats_.hits;
    } else {
      ++stats_.misses;
    }
    if (block.ptr != nullptr) {
      stats_.in_use_bytes += static_cast<int64_t>(block.bytes);
      stats_.peak_in_use_bytes = std::max(stats_.peak_in_use_bytes, stats_.in_use_bytes);
      return block;
    }
  }
  block.ptr = system_allocate(block.bytes);
  if (block.ptr == nullptr) {
    // Blocks of other size classes may be what stands between this request and success.
    release_cached();
    block.ptr = system_allocate(block.bytes);
  }
  if (block.ptr == nullptr)
    TANGO_FAIL("out of {} memory allocating {} bytes: use more ranks or a smaller graph",
               device_.is_cpu() ? "host" : device_.str(), bytes);
  std::lock_guard lock(mutex_);
  stats_.in_use_bytes += static_cast<int64_t>(block.bytes);
  stats_.peak_in_use_bytes = std::max(stats_.peak_in_use_bytes, stats_.in_use_bytes);
  return block;
}

void CachingAllocator::free(Block block) noexcept {
  if (block.ptr == nullptr) return;
  std::vector<Block> evicted;
  bool cached = false;
  {
    std::lock_guard lock(mutex_);
    stats_.in_use_bytes -= static_cast<int64_t>(block.bytes);
    // Only class-sized blocks can serve later requests (an exact-size block from a time caching was
    // off is released).
    if (block.bytes <= cap_bytes_ && block.bytes == size_class(block.bytes)) {
      evict_locked(block.bytes, evicted);
      lru_.push_back({block.ptr, block.bytes});
      by_class_[block.bytes].push_back(std::prev(lru_.end()));
      stats_.cached_bytes += static_cast<int64_t>(block.bytes);
      cached = true;
    }
  }
  if (!cached) system_release(block);
  for (const Block& b : evicted) system_release(b);
}

void CachingAllocator::take_locked(Lru::iterator it) {
  std::vector<Lru::iterator>& same = by_class_[it->bytes];
  same.erase(std::find(same.begin(), same.end(), it));
  stats_.cached_bytes -= static_cast<int64_t>(it->bytes);
  lru_.erase(it);
}

void CachingAllocator::evict_locked(size_t incoming, std::vector<Block>& out) {
  while (!lru_.empty() && static_cast<size_t>(stats_.cached_bytes) + incoming > cap_bytes_) {
    Lru::iterator oldest = lru_.begin();
    out.push_back({oldest->ptr, oldest->bytes});
    take_locked(oldest);
    ++stats_.evictions;
  }
}

void CachingAllocator::set_cap_bytes(size_t cap_bytes) {
  std::vector<Block> evicted;
  {
    std::lock_guard lock(mutex_);
    cap_bytes_ = cap_bytes;
    evict_locked(0, evicted);
  }
  for (const Block& b : evicted) system_release(b);
}

size_t CachingAllocator::cap_bytes() const {
  std::lock_guard lock(mutex_);
  return cap_bytes_;
}

void CachingAllocator::release_cached() {
  std::vector<Block> evicted;
  {
    std::lock_guard lock(mutex_);
    stats_.evictions += static_cast<int64_t>(lru_.size());
    for (const Cached& c : lru_) evicted.push_back({c.ptr, c.bytes});
    lru_.clear();
    by_class_.clear();
    stats_.cached_bytes = 0;
  }
  for (const Block& b : evicted) system_release(b);
}

AllocatorStats CachingAllocator::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

void CachingAllocator::reset_peak() {
  std::lock_guard lock(mutex_);
  stats_.peak_in_use_bytes = stats_.in_use_bytes;
}

size_t cache_cap_bytes_from_env() {
  const int64_t mib = env_int("TANGO_ALLOC_CACHE_MB");
  TANGO_CHECK_INPUT(mib >= 0, "TANGO_ALLOC_CACHE_MB={} is negative: set it to 0 (no caching) or more", mib);
  return static_cast<size_t>(mib) << 20;
}

CachingAllocator& device_allocator(Device device) {
  static std::mutex mutex;
  // By ordinal. The registry is leaked like the allocators: a static vector would be destroyed at
  // exit, before tensors in other static objects are freed (and LeakSanitizer would lose the
  // allocators it points to).
  if (device.is_cpu()) {
    static CachingAllocator* cpu = new CachingAllocator(Device::cpu(), cache_cap_bytes_from_env());
    return *cpu;
  }
  static auto* cuda = new std::vector<CachingAllocator*>;
  std::lock_guard lock(mutex);
  if (cuda->size() <= static_cast<size_t>(device.ordinal)) cuda->resize(device.ordinal + 1, nullptr);
  CachingAllocator*& slot = (*cuda)[device.ordinal];
  if (slot == nullptr) slot = new CachingAllocator(device, cache_cap_bytes_from_env());
  return *slot;
}

}  // namespace tango
