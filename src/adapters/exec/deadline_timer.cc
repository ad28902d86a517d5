#include "adapters/exec/deadline_timer.h"

#include <chrono>

namespace madre {

DeadlineTimer::DeadlineTimer(std::function<void()> fire, const Clock* clock)
    : fire_(std::move(fire)), clock_(clock ? *clock : system_clock_), thread_([this] { Run(); }) {}

DeadlineTimer::~DeadlineTimer() { Stop(); }

void DeadlineTimer::ArmAt(std::optional<TimePoint> deadline) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (deadline_ == deadline) return;
    deadline_ = deadline;
  }
  cv_.notify_one();
}

void DeadlineTimer::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void DeadlineTimer::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    if (!deadline_) {
      cv_.wait(lock);
      continue;
    }
    const TimePoint due = *deadline_;
    const TimePoint now = clock_.Now();
    if (now < due) {
      cv_.wait_until(lock, std::chrono::system_clock::now() + (due - now));
      continue;  // re-check: re-armed, stopped, spurious wake-up, or due now
    }
    deadline_.reset();  // the engine re-arms after its Tick
    lock.unlock();
    fire_();
    lock.lock();
  }
}

}  // namespace madre
