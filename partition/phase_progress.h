// Times the phases of a partitioning run (for the manifest) and, when enabled, shows them on stderr:
// a line per finished phase, and on a terminal a live "build+write parts 3/8" counter.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/timer.h"

namespace tango::partition {

class PhaseProgress {
 public:
  // `enabled`: print to stderr. `live`: also redraw a counter in place (stderr is a terminal).
  PhaseProgress(bool enabled, bool live) : enabled_(enabled), live_(live) {}

  // Turns printing on or off (e.g. on once the graph is known to be large).
  void set_enabled(bool enabled) { enabled_ = enabled; }
  void begin(std::string phase, int64_t total_steps = 0);
  void step(int64_t done);
  // Ends the current phase, records and returns its seconds.
  double end();
  // Records a phase timed elsewhere (e.g. summed over parts), printing it like end() does.
  void record(std::string phase, double seconds);

  const std::vector<std::pair<std::string, double>>& phase_seconds() const { return phases_; }

 private:
  bool enabled_, live_;
  std::string phase_;
  int64_t total_ = 0;
  Timer timer_;
  std::vector<std::pair<std::string, double>> phases_;
};

// True when stderr is a terminal.
bool stderr_is_terminal();

}  // namespace tango::partition
