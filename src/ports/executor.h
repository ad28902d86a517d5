// Runs jobs somewhere else: a thread pool for slow docker work, or the engine
// thread for results coming back.
#pragma once

#include <functional>

namespace madre {

class Executor {
 public:
  virtual ~Executor() = default;
  // Thread-safe. The job runs later, never inside Submit.
  virtual void Submit(std::function<void()> job) = 0;
};

}  // namespace madre
