// The caching allocator: freed blocks come back for requests of the same size class, a block is never
// handed out twice while in use (also under many threads), the cap holds and evicts the least recently
// freed blocks, a cap of 0 (TANGO_ALLOC_CACHE_MB=0, the sanitizer build's default) turns caching off,
// and the statistics count what happened. Tensors on top: a reused block is still zeroed by zeros(),
// and on a GPU a device-to-device copy queued before the block's reuse keeps its data.
#include "core/allocator.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/env.h"
#include "core/error.h"
#include "core/tensor.h"

namespace tango {
namespace {

constexpr size_t kMiB = size_t{1} << 20;

TEST(CachingAllocator, SizeClassesArePowersOfTwoThenQuarterSteps) {
  EXPECT_EQ(CachingAllocator::size_class(1), 64u);
  EXPECT_EQ(CachingAllocator::size_class(64), 64u);
  EXPECT_EQ(CachingAllocator::size_class(65), 128u);
  EXPECT_EQ(CachingAllocator::size_class(1000), 1024u);
  EXPECT_EQ(CachingAllocator::size_class(kMiB), kMiB);
  EXPECT_EQ(CachingAllocator::size_class(kMiB + 1), kMiB + kMiB / 4);
  EXPECT_EQ(CachingAllocator::size_class(3 * kMiB), 3 * kMiB);
  EXPECT_EQ(CachingAllocator::size_class(100'000'000), 96 * kMiB);
  // Every class holds its request; above 1 MiB it wastes less than a quarter of it.
  std::mt19937_64 rng(7);
  for (int i = 0; i < 10000; ++i) {
    const size_t bytes = 1 + rng() % (size_t{1} << (1 + i % 34));
    const size_t cls = CachingAllocator::size_class(bytes);
    ASSERT_GE(cls, bytes);
    ASSERT_EQ(CachingAllocator::size_class(cls), cls) << bytes;  // a class is its own class
    if (bytes > kMiB) {
      ASSERT_LT(cls, bytes + bytes / 4) << bytes;
    }
  }
}

TEST(CachingAllocator, FreedBlockComesBackForTheSameSizeClass) {
  CachingAllocator a(Device::cpu(), 64 * kMiB);
  Block first = a.allocate(1000);
  EXPECT_EQ(first.bytes, 1024u);
  void* p = first.ptr;
  a.free(first);
  Block again = a.allocate(900);  // same class, 1024
  EXPECT_EQ(again.ptr, p);
  Block other = a.allocate(3000);  // another class: a new block
  EXPECT_NE(other.ptr, p);
  // Above 1 MiB, slightly different sizes share a quarter-step class.
  Block big = a.allocate(5'000'000);
  void* big_ptr = big.ptr;
  a.free(big);
  Block big_again = a.allocate(4'900'000);
  EXPECT_EQ(big_again.ptr, big_ptr);
  const AllocatorStats s = a.stats();
  EXPECT_EQ(s.hits, 2);
  EXPECT_EQ(s.misses, 3);
  EXPECT_EQ(s.cached_bytes, 0);
  EXPECT_EQ(s.in_use_bytes, static_cast<int64_t>(1024 + 4096 + CachingAllocator::size_class(5'000'000)));
  for (Block b : {again, other, big_again}) a.free(b);
  EXPECT_EQ(a.stats().in_use_bytes, 0);
  EXPECT_EQ(a.stats().cached_bytes,
            static_cast<int64_t>(1024 + 4096 + CachingAllocator::size_class(5'000'000)));
}

TEST(CachingAllocator, StatsTrackInUsePeakAndCachedBytes) {
  CachingAllocator a(Device::cpu(), 64 * kMiB);
  Block x = a.allocate(2 * kMiB);
  Block y = a.allocate(kMiB);
  EXPECT_EQ(a.stats().in_use_bytes, static_cast<int64_t>(3 * kMiB));
  a.free(x);
  AllocatorStats s = a.stats();
  EXPECT_EQ(s.in_use_bytes, static_cast<int64_t>(kMiB));
  EXPECT_EQ(s.peak_in_use_bytes, static_cast<int64_t>(3 * kMiB));
  EXPECT_EQ(s.cached_bytes, static_cast<int64_t>(2 * kMiB));
  a.reset_peak();
  EXPECT_EQ(a.stats().peak_in_use_bytes, static_cast<int64_t>(kMiB));
  a.free(y);
  a.release_cached();
  s = a.stats();
  EXPECT_EQ(s.cached_bytes, 0);
  EXPECT_EQ(s.evictions, 2);
  EXPECT_EQ(s.hits, 0);
  EXPECT_EQ(s.misses, 2);
}

TEST(CachingAllocator, CapIsRespectedAndTheLeastRecentlyFreedBlockIsEvicted) {
  CachingAllocator a(Device::cpu(), 3 * kMiB);
  std::vector<Block> blocks;
  for (int i = 0; i < 4; ++i) blocks.push_back(a.allocate(kMiB));
  for (Block b : blocks) a.free(b);  // the fourth pushes the first out
  AllocatorStats s = a.stats();
  EXPECT_EQ(s.cached_bytes, static_cast<int64_t>(3 * kMiB));
  EXPECT_EQ(s.evictions, 1);
  // Most recently freed first; the evicted one is a miss.
  EXPECT_EQ(a.allocate(kMiB).ptr, blocks[3].ptr);
  EXPECT_EQ(a.allocate(kMiB).ptr, blocks[2].ptr);
  EXPECT_EQ(a.allocate(kMiB).ptr, blocks[1].ptr);
  EXPECT_EQ(a.stats().hits, 3);
  Block fresh = a.allocate(kMiB);
  EXPECT_EQ(a.stats().misses, 5);
  a.free(fresh);
  for (int i = 1; i < 4; ++i) a.free(blocks[i]);
  EXPECT_LE(a.stats().cached_bytes, static_cast<int64_t>(3 * kMiB));
  // A block larger than the whole cap is released at once, evicting nothing.
  const int64_t evictions = a.stats().evictions;
  a.free(a.allocate(4 * kMiB));
  EXPECT_EQ(a.stats().evictions, evictions);
  EXPECT_EQ(a.stats().cached_bytes, static_cast<int64_t>(3 * kMiB));
  // Shrinking the cap evicts down to it.
  a.set_cap_bytes(kMiB);
  EXPECT_EQ(a.stats().cached_bytes, static_cast<int64_t>(kMiB));
}

TEST(CachingAllocator, ZeroCapAllocatesExactSizesAndCachesNothing) {
  CachingAllocator a(Device::cpu(), 0);
  Block b = a.allocate(1000);
  EXPECT_EQ(b.bytes, 1000u);
  a.free(b);
  Block c = a.allocate(1000);
  a.free(c);
  const AllocatorStats s = a.stats();
  EXPECT_EQ(s.hits, 0);
  EXPECT_EQ(s.misses, 2);
  EXPECT_EQ(s.cached_bytes, 0);
  EXPECT_EQ(s.in_use_bytes, 0);
}

class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    const char* old = std::getenv(name);
    if (old != nullptr) old_ = old, had_ = true;
    if (value != nullptr)
      setenv(name, value, 1);
    else
      unsetenv(name);
  }
  ~ScopedEnv() {
    if (had_)
      setenv(name_, old_.c_str(), 1);
    else
      unsetenv(name_);
  }

 private:
  const char* name_;
  std::string old_;
  bool had_ = false;
};

TEST(CachingAllocator, CapComesFromTangoAllocCacheMb) {
  {
    ScopedEnv env("TANGO_ALLOC_CACHE_MB", "0");
    EXPECT_EQ(cache_cap_bytes_from_env(), 0u);
  }
  {
    ScopedEnv env("TANGO_ALLOC_CACHE_MB", "16");
    EXPECT_EQ(cache_cap_bytes_from_env(), 16 * kMiB);
  }
  {
    ScopedEnv env("TANGO_ALLOC_CACHE_MB", "-1");
    EXPECT_THROW(cache_cap_bytes_from_env(), Error);
  }
  ScopedEnv env("TANGO_ALLOC_CACHE_MB", nullptr);
#if defined(__SANITIZE_ADDRESS__)
  constexpr bool kAsan = true;
#elif defined(__has_feature)
  constexpr bool kAsan = __has_feature(address_sanitizer);
#else
  constexpr bool kAsan = false;
#endif
  // Off by default under AddressSanitizer, so that it still reports use-after-free.
  if (kAsan)
    EXPECT_EQ(cache_cap_bytes_from_env(), 0u);
  else
    EXPECT_GT(cache_cap_bytes_from_env(), 0u);
}

TEST(CachingAllocator, NoBlockIsHandedOutTwiceUnderConcurrentUse) {
  // A small cap so that threads also evict while others allocate.
  CachingAllocator a(Device::cpu(), 2 * kMiB);
  std::mutex live_mutex;
  std::set<void*> live;
  constexpr int kThreads = 8, kRounds = 3000;
  std::vector<std::thread> threads;
  std::vector<int> failures(kThreads, 0);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(static_cast<unsigned>(t));
      struct Held {
        Block block;
        unsigned char tag;
      };
      std::vector<Held> held;
      for (int round = 0; round < kRounds; ++round) {
        if (held.size() < 6 && (held.empty() || rng() % 2 == 0)) {
          const size_t bytes = size_t{48} << (rng() % 14);  // 48 B .. 384 KiB: a few classes
          Block b = a.allocate(bytes);
          {
            std::lock_guard lock(live_mutex);
            if (!live.insert(b.ptr).second) ++failures[t];
          }
          const auto tag = static_cast<unsigned char>(t * 31 + round);
          std::memset(b.ptr, tag, b.bytes);
          held.push_back({b, tag});
        } else {
          const size_t i = rng() % held.size();
          Held h = held[i];
          held.erase(held.begin() + static_cast<std::ptrdiff_t>(i));
          // Both ends of the block still hold this thread's tag: nobody else wrote into it.
          const auto* p = static_cast<const unsigned char*>(h.block.ptr);
          for (size_t k = 0; k < 48; ++k)
            if (p[k] != h.tag || p[h.block.bytes - 1 - k] != h.tag) {
              ++failures[t];
              break;
            }
          {
            std::lock_guard lock(live_mutex);
            live.erase(h.block.ptr);
          }
          a.free(h.block);
        }
      }
      for (const Held& h : held) {
        {
          std::lock_guard lock(live_mutex);
          live.erase(h.block.ptr);
        }
        a.free(h.block);
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(failures[t], 0) << "thread " << t;
  const AllocatorStats s = a.stats();
  EXPECT_EQ(s.in_use_bytes, 0);
  EXPECT_GT(s.hits, 0);
  EXPECT_LE(s.cached_bytes, static_cast<int64_t>(2 * kMiB));
}

// Turns the CPU tensors' allocator cache on for one test (the sanitizer build has it off).
class CpuCacheOn {
 public:
  CpuCacheOn() : old_(device_allocator(Device::cpu()).cap_bytes()) {
    device_allocator(Device::cpu()).set_cap_bytes(256 * kMiB);
  }
  ~CpuCacheOn() { device_allocator(Device::cpu()).set_cap_bytes(old_); }

 private:
  size_t old_;
};

TEST(CachingAllocator, TensorsReuseBlocksAndZerosStillZeroes) {
  CpuCacheOn cache_on;
  const Shape shape = Shape::mat(1000, 300);  // 1.2 MB: above glibc's first mmap threshold
  void* p = nullptr;
  {
    Tensor t = Tensor::empty(DType::kF32, shape);
    std::memset(t.raw_data(), 0xff, t.nbytes());  // NaNs, left behind in the block
    p = t.raw_data();
  }
  const int64_t hits = device_allocator(Device::cpu()).stats().hits;
  Tensor z = Tensor::zeros(DType::kF32, Shape::mat(999, 300));  // same size class
  EXPECT_EQ(z.raw_data(), p);
  EXPECT_EQ(device_allocator(Device::cpu()).stats().hits, hits + 1);
  const float* v = z.data<float>();
  for (int64_t i = 0; i < z.numel(); ++i) ASSERT_EQ(v[i], 0.0f) << i;
  // The live-bytes figure the trainer reports counts requested bytes, not the cache.
  EXPECT_GE(memory_stats(Device::Kind::kCPU).current_bytes, static_cast<int64_t>(z.nbytes()));
}

TEST(CachingAllocatorCuda, ReusedBlockDoesNotOvertakeAQueuedCopy) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no GPU: the CUDA allocator cannot run here";
  const Device gpu = Device::cuda(0);
  CachingAllocator& a = device_allocator(gpu);
  const size_t old_cap = a.cap_bytes();
  a.set_cap_bytes(256 * kMiB);
  {
    std::vector<float> values(1 << 20);
    for (size_t i = 0; i < values.size(); ++i) values[i] = static_cast<float>(i % 977) - 3.5f;
    Tensor copy;
    void* reused = nullptr;
    {
      Tensor src = Tensor::from(values).to(gpu);
      copy = src.clone();  // queued on the stream, not waited for
      reused = src.raw_data();
    }
    // src's block comes straight back; zeroing it is queued behind the copy that reads it.
    Tensor z = Tensor::zeros(DType::kF32, Shape::vec(static_cast<int64_t>(values.size())), gpu);
    EXPECT_EQ(z.raw_data(), reused);
    EXPECT_EQ(copy.to_vector<float>(), values);
    EXPECT_EQ(z.to_vector<float>(), std::vector<float>(values.size(), 0.0f));
  }
  a.set_cap_bytes(old_cap);
}

}  // namespace
}  // namespace tango
