#include "partition/phase_progress.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>

namespace tango::partition {

bool stderr_is_terminal() {
  return ::isatty(STDERR_FILENO) == 1;
}

void PhaseProgress::begin(std::string phase, int64_t total_steps) {
  phase_ = std::move(phase);
  total_ = total_steps;
  timer_.reset();
  if (enabled_ && live_) fmt::print(stderr, "tango-partition: {} ...", phase_);
  if (enabled_ && live_) std::fflush(stderr);
}

void PhaseProgress::step(int64_t done) {
  if (!enabled_) return;
  if (live_) {
    fmt::print(stderr, "\rtango-partition: {} {}/{} ({:.1f} s)", phase_, done, total_, timer_.seconds());
    std::fflush(stderr);
  }
}

double PhaseProgress::end() {
  const double seconds = timer_.seconds();
  if (enabled_ && live_) fmt::print(stderr, "\r\033[K");
  record(phase_, seconds);
  return seconds;
}

void PhaseProgress::record(std::string phase, double seconds) {
  if (enabled_) fmt::print(stderr, "tango-partition: {:<22} {:8.2f} s\n", phase, seconds);
  phases_.emplace_back(std::move(phase), seconds);
}

}  // namespace tango::partition
