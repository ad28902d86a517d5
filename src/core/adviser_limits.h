// The LLM adviser's limits (docs/autofix.md, "The adviser"): at most N calls per rolling
// hour, retries included, and the back-off before a retry. Pure: time is an argument.
#pragma once

#include <deque>

#include "base/time.h"

namespace madre {

// At most 2 retries per Advise (3 calls), each counted against the hourly limit.
inline constexpr int kAdviserMaxRetries = 2;

// The wait before retry `n` (1 for the first retry): min(2^n, 10) s, so 2 s then 4 s.
Duration AdviserBackoff(int n);

// N calls in any rolling hour.
class HourlyCallLimit {
 public:
  explicit HourlyCallLimit(int per_hour) : per_hour_(per_hour) {}
  // True, and the call is counted, when fewer than N calls were made in (now - 1 h, now].
  bool TryAcquire(TimePoint now);
  int Remaining(TimePoint now);
  int per_hour() const { return per_hour_; }

 private:
  void Forget(TimePoint now);
  int per_hour_;
  std::deque<TimePoint> calls_;  // oldest first
};

}  // namespace madre
