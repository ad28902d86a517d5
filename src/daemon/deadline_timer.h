// One timer thread for the engine's next deadline (ARCHITECTURE P5: the loop
// sleeps until the next deadline; nothing polls). When the deadline passes it
// calls `fire` (which posts a Tick to the engine thread).
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>

#include "base/time.h"

namespace madre {

class DeadlineTimer {
 public:
  explicit DeadlineTimer(std::function<void()> fire);
  ~DeadlineTimer();
  DeadlineTimer(const DeadlineTimer&) = delete;
  DeadlineTimer& operator=(const DeadlineTimer&) = delete;

  // Thread-safe. Replaces the armed deadline; nullopt disarms.
  void ArmAt(std::optional<TimePoint> deadline);
  void Stop();

 private:
  void Run();

  std::function<void()> fire_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::optional<TimePoint> deadline_;  // guarded by mu_
  bool stop_ = false;                  // guarded by mu_
  std::thread thread_;
};

}  // namespace madre
