// A fixed pool of threads that runs submitted jobs in FIFO order: the executor for slow,
// blocking work (compose runs, Docker Engine API calls, store writes) off the engine thread.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "ports/executor.h"

namespace madre {

class ThreadPoolExecutor final : public Executor {
 public:
  // Starts `threads` (>= 1) worker threads. `name` (at most 15 characters are kept) names them
  // for debuggers and `top -H`.
  explicit ThreadPoolExecutor(int threads, std::string name = "madre-pool");
  // Shutdown().
  ~ThreadPoolExecutor() override;

  ThreadPoolExecutor(const ThreadPoolExecutor&) = delete;
  ThreadPoolExecutor& operator=(const ThreadPoolExecutor&) = delete;

  // Executor. Thread-safe, also from inside a job. After Shutdown() the job is destroyed
  // without running. A job must not throw (a throwing job terminates the process).
  void Submit(std::function<void()> job) override;

  // Stops accepting jobs, discards (destroys without running) the queued ones, waits for the
  // running ones to finish and joins the threads: when it returns, no job of this pool runs
  // any more, so what the jobs use may be destroyed. A running job is not interrupted; cancel
  // it first (the daemon's stop token, see daemon/serve.cc). Idempotent; thread-safe; must not
  // be called from one of the pool's own jobs. The destructor calls it.
  void Shutdown();

  // Jobs queued and not yet started. For tests and metrics.
  std::size_t QueuedJobs() const;

 private:
  void WorkerLoop();

  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> queue_;  // guarded by mu_
  bool stopping_ = false;                    // guarded by mu_
  std::mutex join_mu_;                // serialises the joins of concurrent Shutdown() calls
  std::vector<std::thread> threads_;  // joined (and cleared) under join_mu_
};

}  // namespace madre
