#include "adapters/exec/event_wakeup.h"

#include <gtest/gtest.h>

#include <thread>

namespace madre {
namespace {

// No test here waits for a timeout: every wait below ends through an event or a stop request
// (the limits are an hour, so a wait that did not end would fail the test by its time-out).

TEST(EventWakeupTest, AnEventBeforeTheWaitEndsItAtOnce) {
  EventWakeup wakeup;
  const std::uint64_t seen = wakeup.generation();
  wakeup.Notify();  // came while the worker looked at the containers
  wakeup.WaitPast(seen, Seconds(3600), {});
  EXPECT_EQ(wakeup.generation(), seen + 1);
}

TEST(EventWakeupTest, AnEventFromAnotherThreadEndsAWaitInProgress) {
  EventWakeup wakeup;
  const std::uint64_t seen = wakeup.generation();
  // Whether the notify comes before or during the wait, the wait ends.
  std::thread notifier([&] { wakeup.Notify(); });
  wakeup.WaitPast(seen, Seconds(3600), {});
  notifier.join();
  EXPECT_NE(wakeup.generation(), seen);
}

TEST(EventWakeupTest, AStopRequestEndsTheWait) {
  EventWakeup wakeup;
  std::stop_source stop;
  std::thread stopper([&] { stop.request_stop(); });
  wakeup.WaitPast(wakeup.generation(), Seconds(3600), stop.get_token());
  stopper.join();
  EXPECT_TRUE(stop.stop_requested());
}

}  // namespace
}  // namespace madre
