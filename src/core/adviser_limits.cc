#include "core/adviser_limits.h"

#include <algorithm>

namespace madre {

Duration AdviserBackoff(int n) {
  if (n < 0) n = 0;
  if (n >= 4) return Seconds(10);  // 2^4 = 16 > 10
  return Seconds(std::min<std::int64_t>(std::int64_t{1} << n, 10));
}

void HourlyCallLimit::Forget(TimePoint now) {
  while (!calls_.empty() && calls_.front() <= now - Seconds(3600)) calls_.pop_front();
}

bool HourlyCallLimit::TryAcquire(TimePoint now) {
  Forget(now);
  if (static_cast<int>(calls_.size()) >= per_hour_) return false;
  calls_.push_back(now);
  return true;
}

int HourlyCallLimit::Remaining(TimePoint now) {
  Forget(now);
  return std::max(0, per_hour_ - static_cast<int>(calls_.size()));
}

}  // namespace madre
