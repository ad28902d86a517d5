// One timer thread for the engine's next deadline (ARCHITECTURE P5: the loop
// sleeps until the next deadline; nothing polls). When the deadline passes it
// calls `fire` (which posts a Tick to the engine thread).
//
// Time: deadlines are wall-clock TimePoints read from `clock` (default: the system clock). The
// thread waits on the real-time clock for `deadline - clock.Now()`, so a step of the system
// clock moves the wake-up with it; with a FakeClock a deadline at or before Now() fires at once.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>

#include "base/clock.h"
#include "base/time.h"

namespace madre {

class DeadlineTimer {
 public:
  // Starts the timer thread. `clock` (borrowed, outlives the timer) is for tests; null: the
  // system clock.
  explicit DeadlineTimer(std::function<void()> fire, const Clock* clock = nullptr);
  ~DeadlineTimer();
  DeadlineTimer(const DeadlineTimer&) = delete;
  DeadlineTimer& operator=(const DeadlineTimer&) = delete;

  // Thread-safe. Replaces the armed deadline (earlier or later); nullopt disarms. After a fire
  // the timer is disarmed until the next ArmAt. `fire` runs on the timer thread.
  void ArmAt(std::optional<TimePoint> deadline);
  // Joins the timer thread (a `fire` in progress finishes first); nothing fires afterwards.
  // Idempotent; not from `fire`. The destructor calls it.
  void Stop();

 private:
  void Run();

  std::function<void()> fire_;
  SystemClock system_clock_;
  const Clock& clock_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::optional<TimePoint> deadline_;  // guarded by mu_
  bool stop_ = false;                  // guarded by mu_
  std::thread thread_;
};

}  // namespace madre
