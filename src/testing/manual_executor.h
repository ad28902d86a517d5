// An executor that queues jobs until the test runs them, in the order it chooses.
#pragma once

#include <deque>
#include <functional>

#include "ports/executor.h"

namespace madre {

class ManualExecutor final : public Executor {
 public:
  void Submit(std::function<void()> job) override { jobs_.push_back(std::move(job)); }
  // Runs queued jobs (including ones they submit) until none is left. Returns how many ran.
  int RunAll() {
    int ran = 0;
    while (!jobs_.empty()) {
      RunOne();
      ++ran;
    }
    return ran;
  }
  bool RunOne() {
    if (jobs_.empty()) return false;
    auto job = std::move(jobs_.front());
    jobs_.pop_front();
    job();
    return true;
  }
  std::size_t size() const { return jobs_.size(); }

 private:
  std::deque<std::function<void()>> jobs_;
};

}  // namespace madre
