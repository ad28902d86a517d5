// The one way code outside the core learns the time. The core takes `now` as an argument.
#pragma once

#include <chrono>

#include "base/time.h"

namespace madre {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint Now() const = 0;
};

class SystemClock final : public Clock {
 public:
  TimePoint Now() const override {
    return std::chrono::time_point_cast<Duration>(std::chrono::system_clock::now());
  }
};

}  // namespace madre
