#include "core/log.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <string>

#include "core/env.h"
#include "core/error.h"

namespace tango {

void init_logging(int rank) {
  std::string level_name = env_string("TANGO_LOG_LEVEL");
  auto level = spdlog::level::from_str(level_name);
  // from_str maps unknown names to "off"; only accept that for the literal "off".
  TANGO_CHECK_INPUT(level != spdlog::level::off || level_name == "off",
                    "TANGO_LOG_LEVEL='{}' is not a level: use trace, debug, info, warn, error or off",
                    level_name);
  static bool sink_made = false;
  if (!sink_made) {
    // Logs go to stderr so that stdout stays for results (tables, JSON).
    spdlog::set_default_logger(spdlog::stderr_color_mt("tango"));
    sink_made = true;
  }
  char host[256] = "?";
  gethostname(host, sizeof host - 1);
  std::string who = rank >= 0 ? fmt::format("{}:{}", host, rank) : std::string(host);
  spdlog::set_pattern(fmt::format("[%H:%M:%S.%e] [{}] [%^%l%$] %v", who));
  spdlog::set_level(level);
}

}  // namespace tango
