#include "kernels/cpu/int8_matmul.h"

#include <functional>
#include <mutex>
#include <oneapi/dnnl/dnnl.hpp>
#include <unordered_map>

#include "core/error.h"

namespace tango::kernels::cpu {
namespace {

using dnnl::memory;

struct ShapeHash {
  size_t operator()(const Int8MatmulShape& s) const {
    size_t h = 0;
    for (int64_t v : {s.m, s.n, s.k, s.lda, s.ldb,
                      int64_t{s.transpose_a} | int64_t{s.transpose_b} << 1 | int64_t{s.a_unsigned} << 2})
      h = h * 1000003u ^ std::hash<int64_t>{}(v);
    return h;
  }
};

struct Entry {
  dnnl::matmul primitive;
  memory::desc a, b, c;
};

// Bounded: a long-lived process that sees many shapes (tests, benchmarks) drops the cache and refills it.
constexpr size_t kMaxCachedPrimitives = 256;

class Cache {
 public:
  static Cache& instance() {
    static Cache cache;
    return cache;
  }

  const dnnl::engine& engine() const { return engine_; }

  Entry find(const Int8MatmulShape& s) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (auto it = entries_.find(s); it != entries_.end()) return it->second;
    if (entries_.size() >= kMaxCachedPrimitives) entries_.clear();
    Entry e;
    e.a = memory::desc({s.m, s.k}, s.a_unsigned ? memory::data_type::u8 : memory::data_type::s8,
                       s.transpose_a ? memory::dims{1, s.lda} : memory::dims{s.lda, 1});
    e.b = memory::desc({s.k, s.n}, memory::data_type::s8,
                       s.transpose_b ? memory::dims{1, s.ldb} : memory::dims{s.ldb, 1});
    e.c = memory::desc({s.m, s.n}, memory::data_type::s32, memory::dims{s.n, 1});
    e.primitive = dnnl::matmul(dnnl::matmul::primitive_desc(dnnl::matmul::desc(e.a, e.b, e.c), engine_));
    ++created_;
    entries_.emplace(s, e);
    return e;
  }

  int64_t created() {
    std::lock_guard<std::mutex> lock(mutex_);
    return created_;
  }

 private:
  Cache() : engine_(dnnl::engine::kind::cpu, 0) {}

  dnnl::engine engine_;
  std::mutex mutex_;
  std::unordered_map<Int8MatmulShape, Entry, ShapeHash> entries_;
  int64_t created_ = 0;
};

}  // namespace

void int8_matmul(const Int8MatmulShape& shape, const void* a, const int8_t* b, int32_t* c) {
  try {
    Cache& cache = Cache::instance();
    const Entry e = cache.find(shape);
    dnnl::stream stream(cache.engine());
    // oneDNN takes non-const handles; the primitive only reads a and b.
    memory am(e.a, cache.engine(), const_cast<void*>(a));
    memory bm(e.b, cache.engine(), const_cast<int8_t*>(b));
    memory cm(e.c, cache.engine(), c);
    e.primitive.execute(stream, {{DNNL_ARG_SRC, am}, {DNNL_ARG_WEIGHTS, bm}, {DNNL_ARG_DST, cm}});
    stream.wait();
  } catch (const dnnl::error& error) {
    TANGO_CHECK(false, "oneDNN INT8 matmul {}x{}x{} failed: {} (status {})", shape.m, shape.n, shape.k,
                error.what(), static_cast<int>(error.status));
  }
}

int64_t int8_matmul_primitives_created() {
  return Cache::instance().created();
}

}  // namespace tango::kernels::cpu
