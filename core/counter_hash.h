// The counter-based mixers behind every random draw of the project: a draw is a pure function of
// (seed, stream, index), so work splits over any number of threads, ranks or GPU threads and still
// gives the same bytes.
//
// - splitmix64_mix: the splitmix64 output function (Steele, Lea and Flood, OOPSLA 2014), a bijective
//   64-bit mixer. io/counter_rng.h (synthetic data, weight init) runs splitmix64 sequences through it;
//   kernels/quant_math.h derives the per-(seed, stream) key of stochastic rounding and dropout with it.
// - hash32: the per-element draw of stochastic rounding and dropout. Two rounds of Wellons' 32-bit
//   "lowbias32" xorshift-multiply mixer (hash-prospector, bias 0.108), the key's low word entering
//   before the first round and its high word (xor the index's high word) before the second. It uses
//   32-bit integer lanes only, so a CPU loop over consecutive indices vectorises (AVX2 vpmulld, 8
//   lanes; AVX-512, 16), where a 64-bit mixer stays scalar (AVX2 has no 64-bit multiply). For a fixed
//   key and index high word it is a bijection of the index's low word: no two elements of a 2^32 run
//   share a draw.
// constexpr and self-contained, so CUDA device code can call it (nvcc --expt-relaxed-constexpr).
#pragma once

#include <cstdint>

namespace tango {

constexpr uint64_t kGoldenGamma64 = 0x9E3779B97F4A7C15ull;

// The splitmix64 output function: a bijective 64-bit mixer.
constexpr uint64_t splitmix64_mix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// lowbias32 (C. Wellons, hash-prospector): a bijective 32-bit mixer.
constexpr uint32_t lowbias32(uint32_t x) {
  x ^= x >> 16;
  x *= 0x21F0AAADu;
  x ^= x >> 15;
  x *= 0xD35A2D97u;
  x ^= x >> 15;
  return x;
}

// A 64-bit key with the high word of the index folded in: what the per-element loop needs.
struct Hash32Key {
  uint32_t low;
  uint32_t high;
};

constexpr Hash32Key hash32_key(uint64_t key, uint32_t index_high) {
  return {static_cast<uint32_t>(key), static_cast<uint32_t>(key >> 32) ^ index_high};
}

// 32 random bits for the element whose index has low word `index_low` (32-bit lanes only).
constexpr uint32_t hash32(Hash32Key key, uint32_t index_low) {
  return lowbias32(lowbias32(index_low ^ key.low) + key.high);
}

// 32 random bits for (key, index): hash32 with the index split into its words.
constexpr uint32_t hash32(uint64_t key, uint64_t index) {
  return hash32(hash32_key(key, static_cast<uint32_t>(index >> 32)), static_cast<uint32_t>(index));
}

}  // namespace tango
