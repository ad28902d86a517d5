#include "adapters/exec/interruptible_sleep.h"

#include <condition_variable>
#include <mutex>

namespace madre {

bool SleepUnlessStopped(Duration duration, std::stop_token stop) {
  std::mutex mu;
  std::condition_variable_any wake;
  std::unique_lock lock(mu);
  // Nothing notifies `wake`: only the stop request or the timeout ends the wait.
  wake.wait_for(lock, stop, duration, [] { return false; });
  return !stop.stop_requested();
}

}  // namespace madre
