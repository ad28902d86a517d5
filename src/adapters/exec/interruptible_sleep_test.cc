#include "adapters/exec/interruptible_sleep.h"

#include <gtest/gtest.h>

#include <future>
#include <thread>

namespace madre {
namespace {

TEST(SleepUnlessStoppedTest, AStopRequestedBeforeReturnsAtOnceWithFalse) {
  std::stop_source stop;
  stop.request_stop();
  // An hour: the test would hang (and time out) if the request were not seen.
  EXPECT_FALSE(SleepUnlessStopped(Seconds(3600), stop.get_token()));
}

TEST(SleepUnlessStoppedTest, AStopRequestedFromAnotherThreadWakesTheSleeper) {
  std::stop_source stop;
  std::promise<bool> result;
  std::thread sleeper(
      [&] { result.set_value(SleepUnlessStopped(Seconds(3600), stop.get_token())); });
  stop.request_stop();
  EXPECT_FALSE(result.get_future().get());
  sleeper.join();
}

TEST(SleepUnlessStoppedTest, ASleepThatRunsItsCourseReturnsTrue) {
  std::stop_source stop;
  EXPECT_TRUE(SleepUnlessStopped(Duration::zero(), stop.get_token()));
  EXPECT_TRUE(SleepUnlessStopped(Millis(1), std::stop_token{}));  // a token nobody can stop
}

}  // namespace
}  // namespace madre
