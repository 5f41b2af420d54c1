// Counter-based random numbers: every draw is a pure function of (seed, stream, index), so work can be
// split over any number of threads, in any order, and still give the same bytes. Each (seed, stream,
// index) triple opens a short private splitmix64 sequence; `stream` separates independent uses
// (degrees, edges, features, ...) and `index` is the item (a node, an edge) being drawn for.
//
// splitmix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number generators", OOPSLA 2014)
// passes BigCrush; hashing the counter through its finalizer twice decorrelates neighbouring indices.
// The mixer is core/counter_hash.h's, shared with the quantizers' stochastic rounding.
#pragma once

#include <cmath>
#include <cstdint>

#include "core/counter_hash.h"

namespace tango::io {

class CounterRng {
 public:
  CounterRng(uint64_t seed, uint64_t stream, uint64_t index)
      : state_(splitmix64_mix(splitmix64_mix(seed ^ splitmix64_mix(stream * kGolden + kGolden)) + index)) {}

  uint64_t next_u64() {
    state_ += kGolden;
    return splitmix64_mix(state_);
  }
  // Uniform in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }
  // Uniform in (0, 1]: safe to take the log of.
  double uniform_positive() { return static_cast<double>((next_u64() >> 11) + 1) * 0x1.0p-53; }
  // Uniform integer in [0, bound) by Lemire's multiply-shift (bias below 2^-64 * bound: negligible).
  uint64_t below(uint64_t bound) {
    return static_cast<uint64_t>((static_cast<unsigned __int128>(next_u64()) * bound) >> 64);
  }
  // Two independent standard normals (Marsaglia's polar method: Box-Muller without the sine and cosine;
  // it rejects 21% of point pairs, which only moves this sequence along).
  void normal_pair(double& first, double& second) {
    double x, y, radius2;
    do {
      x = 2.0 * uniform() - 1.0;
      y = 2.0 * uniform() - 1.0;
      radius2 = x * x + y * y;
    } while (radius2 >= 1.0 || radius2 == 0.0);
    const double scale = std::sqrt(-2.0 * std::log(radius2) / radius2);
    first = x * scale;
    second = y * scale;
  }

 private:
  static constexpr uint64_t kGolden = kGoldenGamma64;
  uint64_t state_;
};

}  // namespace tango::io
