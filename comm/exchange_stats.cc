#include "comm/exchange_stats.h"

#include <nlohmann/json.hpp>

namespace tango::comm {

nlohmann::json to_json(const ExchangeStats& stats) {
  return {{"calls", stats.calls},
          {"rows_sent", stats.rows_sent},
          {"bytes_sent", stats.bytes_sent},
          {"fp32_bytes", stats.fp32_bytes},
          {"bytes_ratio", stats.bytes_ratio()},
          {"bytes_per_row", stats.bytes_per_row()},
          {"encode_s", stats.encode_s},
          {"overlap_s", stats.overlap_s},
          {"wait_s", stats.wait_s},
          {"decode_s", stats.decode_s},
          {"relative_error", stats.relative_error()}};
}

}  // namespace tango::comm
