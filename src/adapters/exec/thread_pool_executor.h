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
  // Told what a job threw (on the worker thread). Must not throw.
  using JobErrorHandler = std::function<void(const std::string& what)>;

  // Starts `threads` (>= 1) worker threads. `name` (at most 15 characters are kept) names them
  // for debuggers and `top -H`. `on_job_error` reports a job that threw; null: a line on stderr.
  explicit ThreadPoolExecutor(int threads, std::string name = "madre-pool",
                              JobErrorHandler on_job_error = nullptr);
  // Shutdown().
  ~ThreadPoolExecutor() override;

  ThreadPoolExecutor(const ThreadPoolExecutor&) = delete;
  ThreadPoolExecutor& operator=(const ThreadPoolExecutor&) = delete;

  // Executor. Thread-safe, also from inside a job. After Shutdown() the job is destroyed
  // without running. A job should not throw; if it does, the exception stops at the pool (an
  // exception barrier): it is reported to `on_job_error`, counted, and the worker goes on.
  void Submit(std::function<void()> job) override;

  // Stops accepting jobs, discards (destroys without running) the queued ones, waits for the
  // running ones to finish and joins the threads: when it returns, no job of this pool runs
  // any more, so what the jobs use may be destroyed. A running job is not interrupted; cancel
  // it first (the daemon's stop token, see daemon/serve.cc). Idempotent; thread-safe; must not
  // be called from one of the pool's own jobs. The destructor calls it.
  void Shutdown();

  // Jobs queued and not yet started. For tests and metrics.
  std::size_t QueuedJobs() const;
  // Jobs that threw, since the start.
  std::size_t FailedJobs() const;

 private:
  void WorkerLoop();
  void RunGuarded(std::function<void()>& job);

  const std::string name_;
  const JobErrorHandler on_job_error_;

  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> queue_;  // guarded by mu_
  bool stopping_ = false;                    // guarded by mu_
  std::size_t failed_jobs_ = 0;              // guarded by mu_
  std::mutex join_mu_;                       // serialises the joins of concurrent Shutdown() calls
  std::vector<std::thread> threads_;         // joined (and cleared) under join_mu_
};

}  // namespace madre
