#include "adapters/exec/deadline_timer.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include "testing/fake_clock.h"

namespace madre {
namespace {

// Upper bound for waits that end at once when the timer works. The deadlines the tests arm in
// the future are an hour away: a test that waited for one would hang, never pass.
constexpr auto kBound = std::chrono::seconds(10);

// Counts fires; Await(n) waits until there were at least n.
class Fires {
 public:
  void Fire() {
    std::lock_guard lock(mu_);
    ++count_;
    cv_.notify_all();
  }
  bool Await(int n) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, kBound, [&] { return count_ >= n; });
  }
  int count() {
    std::lock_guard lock(mu_);
    return count_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int count_ = 0;
};

TEST(DeadlineTimerTest, ADeadlineAlreadyPastFiresAtOnce) {
  FakeClock clock;
  Fires fires;
  DeadlineTimer timer([&] { fires.Fire(); }, &clock);
  timer.ArmAt(clock.Now() - Seconds(1));
  EXPECT_TRUE(fires.Await(1));
}

TEST(DeadlineTimerTest, AnEarlierArmAtReplacesAFarDeadline) {
  FakeClock clock;
  Fires fires;
  DeadlineTimer timer([&] { fires.Fire(); }, &clock);
  timer.ArmAt(clock.Now() + Seconds(3600));  // the thread now waits for an hour
  timer.ArmAt(clock.Now());                  // must wake it
  EXPECT_TRUE(fires.Await(1));
}

TEST(DeadlineTimerTest, AFireDisarmsUntilTheNextArmAtWhichFiresAgain) {
  FakeClock clock;
  Fires fires;
  DeadlineTimer timer([&] { fires.Fire(); }, &clock);
  timer.ArmAt(clock.Now());
  ASSERT_TRUE(fires.Await(1));
  timer.ArmAt(clock.Now() - Seconds(5));
  EXPECT_TRUE(fires.Await(2));
}

TEST(DeadlineTimerTest, StopWaitsForAFireInProgress) {
  FakeClock clock;
  std::promise<void> started;
  std::promise<void> gate;
  std::atomic<bool> stop_called = false;
  std::atomic<bool> fire_finished = false;
  DeadlineTimer timer(
      [&, gate_future = gate.get_future().share()] {
        started.set_value();
        gate_future.wait();
        fire_finished = true;
      },
      &clock);
  timer.ArmAt(clock.Now());
  ASSERT_EQ(started.get_future().wait_for(kBound), std::future_status::ready);
  // Lets the fire finish only once Stop() was called: Stop() has to wait for it.
  std::thread opener([&] {
    while (!stop_called) std::this_thread::yield();
    gate.set_value();
  });
  stop_called = true;
  timer.Stop();
  EXPECT_TRUE(fire_finished) << "Stop() returned while fire was running";
  opener.join();
}

TEST(DeadlineTimerTest, NothingFiresAfterStop) {
  FakeClock clock;
  Fires fires;
  DeadlineTimer timer([&] { fires.Fire(); }, &clock);
  timer.ArmAt(clock.Now() + Seconds(3600));
  timer.Stop();  // joins the thread: no one is left to fire
  timer.ArmAt(clock.Now() - Seconds(1));
  timer.Stop();  // idempotent
  EXPECT_EQ(fires.count(), 0);
}

TEST(DeadlineTimerTest, ADisarmedTimerStopsWithoutFiring) {
  FakeClock clock;
  Fires fires;
  {
    DeadlineTimer timer([&] { fires.Fire(); }, &clock);
    timer.ArmAt(clock.Now() + Seconds(3600));
    timer.ArmAt(std::nullopt);
  }  // the destructor stops it
  EXPECT_EQ(fires.count(), 0);
}

}  // namespace
}  // namespace madre
