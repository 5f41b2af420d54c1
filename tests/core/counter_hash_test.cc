// The counter-based mixers of core/counter_hash.h: the 32-bit-lane hash is balanced bit by bit,
// uncorrelated between neighbouring indices and between keys, a bijection of the index's low word,
// and its split form (what the vectorised CPU loops call) equals the 64-bit form.
#include "core/counter_hash.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

namespace tango {
namespace {

constexpr int kDraws = 1 << 18;

double unit(uint32_t bits) {
  return static_cast<double>(bits) * 0x1.0p-32;
}

// Pearson correlation of two equally long samples.
double correlation(const std::vector<double>& a, const std::vector<double>& b) {
  double ma = 0, mb = 0;
  for (size_t i = 0; i < a.size(); ++i) ma += a[i], mb += b[i];
  ma /= static_cast<double>(a.size());
  mb /= static_cast<double>(b.size());
  double cov = 0, va = 0, vb = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    cov += (a[i] - ma) * (b[i] - mb);
    va += (a[i] - ma) * (a[i] - ma);
    vb += (b[i] - mb) * (b[i] - mb);
  }
  return cov / std::sqrt(va * vb);
}

TEST(Hash32, EveryBitIsSetHalfTheTime) {
  const uint64_t key = splitmix64_mix(42);
  int ones[32] = {};
  for (uint64_t i = 0; i < kDraws; ++i) {
    uint32_t h = hash32(key, i);
    for (int b = 0; b < 32; ++b) ones[b] += (h >> b) & 1u;
  }
  // Binomial(n, 1/2): 5 standard deviations.
  const double sd = std::sqrt(kDraws / 4.0);
  for (int b = 0; b < 32; ++b) EXPECT_NEAR(ones[b], kDraws / 2.0, 5 * sd) << "bit " << b;
}

TEST(Hash32, NeighbouringIndicesAndKeysAreUncorrelated) {
  const uint64_t key = splitmix64_mix(7), other_key = splitmix64_mix(8);
  std::vector<double> u(kDraws), next(kDraws), other(kDraws), stride(kDraws);
  for (uint64_t i = 0; i < kDraws; ++i) {
    u[i] = unit(hash32(key, i));
    next[i] = unit(hash32(key, i + 1));
    stride[i] = unit(hash32(key, i + 64));  // the next row of a 64-wide message
    other[i] = unit(hash32(other_key, i));
  }
  const double bound = 5.0 / std::sqrt(static_cast<double>(kDraws));
  EXPECT_LT(std::fabs(correlation(u, next)), bound);
  EXPECT_LT(std::fabs(correlation(u, stride)), bound);
  EXPECT_LT(std::fabs(correlation(u, other)), bound);
}

TEST(Hash32, BijectiveInTheLowWordAndSplitFormAgrees) {
  // Low words 0..2^16 for a fixed key give distinct outputs (a bijection on 2^32 has no collisions).
  const uint64_t key = 0x0123456789ABCDEFull;
  std::vector<uint32_t> seen;
  for (uint32_t i = 0; i < (1u << 16); ++i) seen.push_back(hash32(key, uint64_t{i}));
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(std::adjacent_find(seen.begin(), seen.end()), seen.end());
  // Across a 2^32 boundary the split form with the index's high word is the same function.
  for (uint64_t index : {0xFFFFFFFEull, 0xFFFFFFFFull, 0x100000000ull, 0x500000003ull}) {
    Hash32Key k = hash32_key(key, static_cast<uint32_t>(index >> 32));
    EXPECT_EQ(hash32(k, static_cast<uint32_t>(index)), hash32(key, index));
  }
  EXPECT_NE(hash32(key, 0x100000000ull), hash32(key, uint64_t{0}));  // the high word matters
}

TEST(Splitmix64, IsTheReferenceOutputFunction) {
  // splitmix64 seeded with 0: first output 0xE220A8397B1DCDAF (Vigna's reference implementation).
  EXPECT_EQ(splitmix64_mix(0 + kGoldenGamma64), 0xE220A8397B1DCDAFull);
}

}  // namespace
}  // namespace tango
