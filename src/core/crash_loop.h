// Crash-loop detection (SPEC §6): a service that dies `threshold` times within
// `window` is in a crash loop. Pure: the time of each death is an argument.
#pragma once

#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/time.h"

namespace madre {

class CrashLoopDetector {
 public:
  explicit CrashLoopDetector(int threshold = 3, Duration window = Seconds(60))
      : threshold_(threshold), window_(window) {}

  // Records one death. Returns true when this death makes the service cross
  // the threshold (once: further deaths of a looping service return false
  // until Reset).
  bool OnDie(const std::string& service, std::optional<int> exit_code, TimePoint now);
  bool InLoop(const std::string& service) const;
  // Exit codes of the deaths inside the window, oldest first.
  std::vector<int> RecentExitCodes(const std::string& service) const;
  // Forgets a service (it was stopped or started afresh).
  void Reset(const std::string& service);
  int threshold() const { return threshold_; }
  Duration window() const { return window_; }

 private:
  struct Deaths {
    std::deque<std::pair<TimePoint, int>> recent;  // (time, exit code or -1)
    bool looping = false;
  };
  int threshold_;
  Duration window_;
  std::map<std::string, Deaths> deaths_;
};

}  // namespace madre
