// Wakes the readiness waits of the workers when Docker reports a container event of the project,
// so that a service is seen ready when Docker's health_status event arrives instead of at the
// next poll. The engine thread calls Notify() for each event; a worker remembers generation()
// before it looks at the containers and then waits with WaitPast(), which returns at once if an
// event came meanwhile.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <stop_token>

#include "base/time.h"

namespace madre {

class EventWakeup {
 public:
  void Notify();
  std::uint64_t generation() const;
  // Returns when the generation is no longer `seen`, after `max`, or when `stop` is requested,
  // whichever comes first.
  void WaitPast(std::uint64_t seen, Duration max, std::stop_token stop);

 private:
  mutable std::mutex mu_;
  std::condition_variable_any changed_;
  std::uint64_t generation_ = 0;  // guarded by mu_
};

}  // namespace madre
