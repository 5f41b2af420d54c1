// What one halo exchange (one layer, one direction) cost and how lossy it was: the accounting the
// trainer puts in its metrics stream, and the input of the adaptive bit policy.
#pragma once

#include <cmath>
#include <cstdint>
#include <nlohmann/json_fwd.hpp>

#include "comm/codec.h"

namespace tango::comm {

enum class Direction : uint8_t { kForward, kBackward };

inline const char* direction_name(Direction d) {
  return d == Direction::kForward ? "forward" : "backward";
}

struct ExchangeStats {
  int64_t calls = 0;
  int64_t rows_sent = 0;
  int64_t bytes_sent = 0;    // on the wire, scales included
  int64_t fp32_bytes = 0;    // what the same rows cost in fp32
  double encode_s = 0;       // fused gather + quantize + pack
  double overlap_s = 0;      // from post() returning to wait() being called: the caller's compute window
  double wait_s = 0;         // blocked in wait() for messages
  double decode_s = 0;       // fused unpack + dequantize + scatter
  EncodeStats quantization;  // exact squared error and signal energy of what was sent

  double bytes_ratio() const { return fp32_bytes > 0 ? static_cast<double>(bytes_sent) / fp32_bytes : 0.0; }
  double bytes_per_row() const { return rows_sent > 0 ? static_cast<double>(bytes_sent) / rows_sent : 0.0; }
  // ||x - decoded|| / ||x|| over every element sent.
  double relative_error() const {
    return quantization.squared_signal > 0
               ? std::sqrt(quantization.squared_error / quantization.squared_signal)
               : 0.0;
  }
  void add(const ExchangeStats& other) {
    calls += other.calls;
    rows_sent += other.rows_sent;
    bytes_sent += other.bytes_sent;
    fp32_bytes += other.fp32_bytes;
    encode_s += other.encode_s;
    overlap_s += other.overlap_s;
    wait_s += other.wait_s;
    decode_s += other.decode_s;
    quantization.add(other.quantization);
  }
};

// {"calls", "rows_sent", "bytes_sent", "fp32_bytes", "bytes_ratio", "bytes_per_row", "encode_s",
//  "overlap_s", "wait_s", "decode_s", "relative_error"}: one entry of the metrics stream.
nlohmann::json to_json(const ExchangeStats& stats);

}  // namespace tango::comm
