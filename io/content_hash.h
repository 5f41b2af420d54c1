// A 64-bit hash of a byte stream, to tell a changed or damaged file or dataset from the one recorded:
// checkpoints hash their contents, and a dataset's identity sums the hashes of its nodes and edges
// (io/dataset_identity.h). Not cryptographic: it catches accidents (a flipped byte, a truncated copy,
// another dataset), not an adversary; two different inputs collide with probability about 2^-64.
//
// Each 8-byte word goes through core/counter_hash.h's splitmix64 mixer, chained (state = mix(state ^
// word) + gamma, so runs of zero words still move the state); the tail bytes and the total length
// close the stream. Words are read in the machine's byte order (every supported target is
// little-endian), so a value written on one machine checks on another.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "core/counter_hash.h"

namespace tango::io {

class ContentHash {
 public:
  explicit ContentHash(uint64_t seed = 0) : state_(splitmix64_mix(seed + kGoldenGamma64)) {}

  void add_u64(uint64_t word) {
    state_ = splitmix64_mix(state_ ^ word) + kGoldenGamma64;
    length_ += 8;
  }
  void add_bytes(const void* data, size_t bytes) {
    const auto* p = static_cast<const unsigned char*>(data);
    size_t i = 0;
    for (; i + 8 <= bytes; i += 8) {
      uint64_t word;
      std::memcpy(&word, p + i, 8);
      add_u64(word);
    }
    if (i < bytes) {
      uint64_t tail = 0;
      std::memcpy(&tail, p + i, bytes - i);
      add_u64(tail ^ (uint64_t{bytes - i} << 56));
    }
  }
  // The length first, so that ("ab", "c") and ("a", "bc") differ.
  void add_string(std::string_view text) {
    add_u64(text.size());
    add_bytes(text.data(), text.size());
  }
  uint64_t value() const { return splitmix64_mix(state_ ^ splitmix64_mix(length_)); }

 private:
  uint64_t state_;
  uint64_t length_ = 0;
};

// 16 lower-case hex digits.
std::string hex64(uint64_t value);
// Parses what hex64() wrote; false for anything else.
bool parse_hex64(std::string_view text, uint64_t* value);

}  // namespace tango::io
