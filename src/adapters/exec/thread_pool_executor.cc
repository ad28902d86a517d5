#include "adapters/exec/thread_pool_executor.h"

#include <pthread.h>

#include <cstdio>
#include <exception>
#include <utility>

#include "base/exceptions.h"
#include "base/status.h"

namespace madre {

ThreadPoolExecutor::ThreadPoolExecutor(int threads, std::string name, JobErrorHandler on_job_error)
    : name_(name.substr(0, 15)),  // the kernel's limit for thread names
      on_job_error_(std::move(on_job_error)) {
  MADRE_CHECK_MSG(threads >= 1, "a thread pool needs at least one thread");
  threads_.reserve(static_cast<std::size_t>(threads));
  for (int i = 0; i < threads; ++i) {
    threads_.emplace_back([this] { WorkerLoop(); });
    pthread_setname_np(threads_.back().native_handle(), name_.c_str());
  }
}

ThreadPoolExecutor::~ThreadPoolExecutor() { Shutdown(); }

void ThreadPoolExecutor::Submit(std::function<void()> job) {
  {
    std::lock_guard lock(mu_);
    if (!stopping_) {
      queue_.push_back(std::move(job));
      wake_.notify_one();
      return;
    }
  }
  // Dropped: `job` is destroyed here, outside the lock, in case what it captured submits.
}

void ThreadPoolExecutor::Shutdown() {
  std::deque<std::function<void()>> discarded;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    discarded.swap(queue_);
  }
  wake_.notify_all();
  discarded.clear();  // outside the lock, in case what a job captured submits
  std::lock_guard join_lock(join_mu_);
  for (std::thread& t : threads_) {
    MADRE_CHECK_MSG(t.get_id() != std::this_thread::get_id(),
                    "a ThreadPoolExecutor shut down from one of its own jobs");
    t.join();
  }
  threads_.clear();
}

std::size_t ThreadPoolExecutor::QueuedJobs() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

std::size_t ThreadPoolExecutor::FailedJobs() const {
  std::lock_guard lock(mu_);
  return failed_jobs_;
}

void ThreadPoolExecutor::RunGuarded(std::function<void()>& job) {
  const std::optional<std::string> what = ThrownBy(job);
  if (!what) return;
  {
    std::lock_guard lock(mu_);
    ++failed_jobs_;
  }
  const std::string message = "a job of thread pool " + name_ + " threw: " + *what;
  if (on_job_error_) {
    on_job_error_(message);
  } else {
    std::fprintf(stderr, "madre: %s\n", message.c_str());
  }
}

void ThreadPoolExecutor::WorkerLoop() {
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock lock(mu_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;  // Shutdown() emptied the queue already
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    RunGuarded(job);
  }
}

}  // namespace madre
