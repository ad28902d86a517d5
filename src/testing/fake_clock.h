// A clock that moves only when the test says so.
#pragma once

#include "base/clock.h"

namespace madre {

class FakeClock final : public Clock {
 public:
  explicit FakeClock(TimePoint start = FromMicros(1'795'514'400'000'000)) : now_(start) {}
  TimePoint Now() const override { return now_; }
  void Advance(Duration d) { now_ += d; }
  void Set(TimePoint t) { now_ = t; }

 private:
  TimePoint now_;
};

}  // namespace madre
