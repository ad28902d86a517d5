#include "adapters/exec/thread_pool_executor.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <latch>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace madre {
namespace {

// Upper bound for waits that succeed at once when the pool works; never reached otherwise.
constexpr auto kBound = std::chrono::seconds(10);

TEST(ThreadPoolExecutorTest, RunsEverySubmittedJob) {
  ThreadPoolExecutor pool(2);
  std::latch done(100);
  std::atomic<int> runs = 0;
  for (int i = 0; i < 100; ++i) {
    pool.Submit([&] {
      runs.fetch_add(1);
      done.count_down();
    });
  }
  done.wait();
  EXPECT_EQ(runs.load(), 100);
}

TEST(ThreadPoolExecutorTest, RunsJobsOnPoolThreadsNotInsideSubmit) {
  ThreadPoolExecutor pool(1);
  std::promise<std::thread::id> ran_on;
  pool.Submit([&] { ran_on.set_value(std::this_thread::get_id()); });
  auto future = ran_on.get_future();
  ASSERT_EQ(future.wait_for(kBound), std::future_status::ready);
  EXPECT_NE(future.get(), std::this_thread::get_id());
}

TEST(ThreadPoolExecutorTest, RunsJobsInParallelOnSeveralThreads) {
  ThreadPoolExecutor pool(2);
  // Each job waits for the other one to start: they can only finish if both run at once.
  std::promise<void> first_started, second_started;
  std::promise<bool> first_done, second_done;
  auto first_sees = second_started.get_future();
  auto second_sees = first_started.get_future();
  pool.Submit([&] {
    first_started.set_value();
    first_done.set_value(first_sees.wait_for(kBound) == std::future_status::ready);
  });
  pool.Submit([&] {
    second_started.set_value();
    second_done.set_value(second_sees.wait_for(kBound) == std::future_status::ready);
  });
  EXPECT_TRUE(first_done.get_future().get());
  EXPECT_TRUE(second_done.get_future().get());
}

TEST(ThreadPoolExecutorTest, OneThreadRunsJobsInSubmissionOrder) {
  ThreadPoolExecutor pool(1);
  std::vector<int> order;  // touched by the single worker only, read after the latch
  std::latch done(50);
  for (int i = 0; i < 50; ++i) {
    pool.Submit([&, i] {
      order.push_back(i);
      done.count_down();
    });
  }
  done.wait();
  for (int i = 0; i < 50; ++i) EXPECT_EQ(order[static_cast<std::size_t>(i)], i);
}

TEST(ThreadPoolExecutorTest, SubmitIsSafeFromManyThreadsAtOnce) {
  constexpr int kSubmitters = 4;
  constexpr int kJobsEach = 500;
  ThreadPoolExecutor pool(2);
  std::latch done(kSubmitters * kJobsEach);
  std::atomic<int> runs = 0;
  std::vector<std::thread> submitters;
  for (int s = 0; s < kSubmitters; ++s) {
    submitters.emplace_back([&] {
      for (int i = 0; i < kJobsEach; ++i) {
        pool.Submit([&] {
          runs.fetch_add(1);
          done.count_down();
        });
      }
    });
  }
  for (std::thread& t : submitters) t.join();
  done.wait();
  EXPECT_EQ(runs.load(), kSubmitters * kJobsEach);
}

TEST(ThreadPoolExecutorTest, AJobMaySubmitAnotherJob) {
  ThreadPoolExecutor pool(1);
  std::promise<void> inner_ran;
  pool.Submit([&] { pool.Submit([&] { inner_ran.set_value(); }); });
  EXPECT_EQ(inner_ran.get_future().wait_for(kBound), std::future_status::ready);
}

TEST(ThreadPoolExecutorTest, ShutdownDiscardsQueuedJobsAndReturnsOnlyAfterTheRunningOneFinished) {
  ThreadPoolExecutor pool(1);
  std::promise<void> started, gate;
  std::atomic<bool> running_finished = false;
  std::atomic<bool> queued_ran = false;
  auto token = std::make_shared<int>(0);  // captured by the queued job: shows it was destroyed

  pool.Submit([&, gate_future = gate.get_future().share()] {
    started.set_value();
    gate_future.wait();
    running_finished = true;
  });
  started.get_future().wait();
  pool.Submit([&queued_ran, token] { queued_ran = true; });
  EXPECT_EQ(pool.QueuedJobs(), 1u);
  EXPECT_EQ(token.use_count(), 2);

  // Lets the running job finish only after Shutdown() discarded the queued one, so Shutdown()
  // has to wait for it.
  std::thread opener([&] {
    while (token.use_count() != 1) std::this_thread::yield();
    gate.set_value();
  });
  pool.Shutdown();
  EXPECT_TRUE(running_finished) << "Shutdown() returned while a job was still running";
  EXPECT_FALSE(queued_ran);
  EXPECT_EQ(pool.QueuedJobs(), 0u);
  opener.join();
  pool.Shutdown();  // idempotent
}

TEST(ThreadPoolExecutorTest, DestructorDiscardsQueuedJobsAndWaitsForTheRunningOne) {
  std::atomic<int> queued_runs = 0;
  std::atomic<bool> running_finished = false;
  std::promise<void> started, all_queued;
  {
    ThreadPoolExecutor pool(1);
    pool.Submit([&, queued = all_queued.get_future().share()] {
      started.set_value();
      queued.wait();
      // The one worker is busy here, so only the destructor can empty the queue.
      while (pool.QueuedJobs() != 0) std::this_thread::yield();
      running_finished = true;
    });
    started.get_future().wait();
    for (int i = 0; i < 10; ++i) pool.Submit([&] { queued_runs.fetch_add(1); });
    all_queued.set_value();
  }
  EXPECT_TRUE(running_finished);
  EXPECT_EQ(queued_runs.load(), 0);
}

TEST(ThreadPoolExecutorTest, SubmitAfterShutdownDropsTheJob) {
  ThreadPoolExecutor pool(1);
  pool.Shutdown();
  auto token = std::make_shared<int>(0);
  pool.Submit([token] {});
  EXPECT_EQ(token.use_count(), 1);
  EXPECT_EQ(pool.QueuedJobs(), 0u);
}

TEST(ThreadPoolExecutorTest, AThrowingJobIsReportedAndTheWorkerGoesOnWithTheNextJob) {
  std::mutex mu;
  std::vector<std::string> reports;
  ThreadPoolExecutor pool(1, "throwing", [&](const std::string& what) {
    std::lock_guard lock(mu);
    reports.push_back(what);
  });
  pool.Submit([] { throw std::runtime_error("boom"); });
  pool.Submit([] { throw 42; });
  std::promise<void> next_ran;
  pool.Submit([&] { next_ran.set_value(); });
  ASSERT_EQ(next_ran.get_future().wait_for(kBound), std::future_status::ready);
  EXPECT_EQ(pool.FailedJobs(), 2u);
  std::lock_guard lock(mu);
  ASSERT_EQ(reports.size(), 2u);
  EXPECT_NE(reports[0].find("boom"), std::string::npos) << reports[0];
  EXPECT_NE(reports[0].find("throwing"), std::string::npos) << reports[0];
  EXPECT_NE(reports[1].find("not a std::exception"), std::string::npos) << reports[1];
}

}  // namespace
}  // namespace madre
