#include "adapters/exec/event_wakeup.h"

namespace madre {

void EventWakeup::Notify() {
  {
    std::lock_guard lock(mu_);
    ++generation_;
  }
  changed_.notify_all();
}

std::uint64_t EventWakeup::generation() const {
  std::lock_guard lock(mu_);
  return generation_;
}

void EventWakeup::WaitPast(std::uint64_t seen, Duration max, std::stop_token stop) {
  std::unique_lock lock(mu_);
  changed_.wait_for(lock, stop, max, [&] { return generation_ != seen; });
}

}  // namespace madre
