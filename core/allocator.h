// CachingAllocator: where Storage (core/tensor.cc) gets its memory, one per device. A freed block is
// kept in a cache keyed by its size class and handed back to the next request of that class, instead
// of going back to the system. Why: the trainer allocates the same big per-epoch tensors every epoch;
// on the CPU glibc returns blocks above its mmap threshold to the kernel, so every epoch faults (and
// zeroes) those pages again; on CUDA each cudaFree synchronises the whole device.
//
// Size classes: powers of two up to 1 MiB, then four steps per power of two (1, 1.25, 1.5, 1.75 x 2^k),
// so tensors whose row counts vary a little still share a class and at most 25% (CPU: of address space
// only, the tail is never touched) is wasted. The cache is bounded (TANGO_ALLOC_CACHE_MB per device):
// a block that would overflow it evicts the least recently freed blocks first; 0 turns caching off,
// and then every block has its exact size and is released at once, which is the default in the
// sanitizer build so that AddressSanitizer still sees use-after-free and overflows.
//
// CUDA: blocks come from cudaMalloc and are reused in stream order. A block freed while kernels on
// the device's stream (core/cuda/stream.h) still use it can be handed out again at once, because all
// later work that touches it is queued behind them on that same stream. Work on any other stream must
// be joined back (event or synchronize) before its tensors are destroyed, as Tango's comm code does.
// cudaMallocAsync would give the same ordering, but its pool is opaque (no hit/miss or cached-byte
// figures, no cap shared with the CPU path) and blocks used on the NCCL streams would need events;
// evicting a cudaMalloc'd block with cudaFree synchronises the device, which keeps eviction safe.
//
// Thread-safe: one mutex per allocator; blocks are returned to the system outside it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "core/device.h"

namespace tango {

struct AllocatorStats {
  int64_t hits = 0;               // requests served from the cache
  int64_t misses = 0;             // requests that went to the system allocator
  int64_t evictions = 0;          // cached blocks returned to the system (cap, trim or out of memory)
  int64_t cached_bytes = 0;       // bytes in free blocks kept for reuse
  int64_t in_use_bytes = 0;       // bytes of blocks handed out and not yet freed (block sizes)
  int64_t peak_in_use_bytes = 0;  // the most in_use_bytes since construction or reset_peak()
};

// One allocation: the pointer and the block's real size (at least what was asked for).
struct Block {
  void* ptr = nullptr;
  size_t bytes = 0;
};

class CachingAllocator {
 public:
  // An allocator for `device` keeping at most `cap_bytes` of free blocks (0: no caching).
  CachingAllocator(Device device, size_t cap_bytes);
  // Returns the cached blocks to the system. Blocks still in use must not be freed after this.
  ~CachingAllocator();
  CachingAllocator(const CachingAllocator&) = delete;
  CachingAllocator& operator=(const CachingAllocator&) = delete;

  // A block of at least `bytes` (> 0). Throws tango::Error when the device is out of memory even
  // after the cache was emptied.
  Block allocate(size_t bytes);
  // Gives back a block from allocate(). Never throws.
  void free(Block block) noexcept;

  // Changes the cap; shrinking evicts down to it.
  void set_cap_bytes(size_t cap_bytes);
  size_t cap_bytes() const;
  // Returns every cached block to the system.
  void release_cached();
  AllocatorStats stats() const;
  void reset_peak();

  // The block size a request of `bytes` gets while caching is on.
  static size_t size_class(size_t bytes);

 private:
  struct Cached {
    void* ptr;
    size_t bytes;
  };
  using Lru = std::list<Cached>;  // front: freed longest ago

  void* system_allocate(size_t bytes);  // nullptr when out of memory
  void system_release(const Block& block) noexcept;
  // Moves least recently freed blocks into `out` until cached bytes + `incoming` fit the cap.
  void evict_locked(size_t incoming, std::vector<Block>& out);
  void take_locked(Lru::iterator it);

  const Device device_;
  mutable std::mutex mutex_;
  size_t cap_bytes_;
  Lru lru_;
  std::unordered_map<size_t, std::vector<Lru::iterator>> by_class_;  // back: freed most recently
  AllocatorStats stats_;
};

// TANGO_ALLOC_CACHE_MB in bytes (per device; negative values are an input error).
size_t cache_cap_bytes_from_env();

// The process-wide allocator of a device, created on first use with the cap from TANGO_ALLOC_CACHE_MB.
// Never destroyed, so tensors in static objects can still be freed at exit.
CachingAllocator& device_allocator(Device device);

}  // namespace tango
