#include "core/crash_loop.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace madre {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

const TimePoint kT0 = FromMicros(1'795'514'400'000'000);

TEST(CrashLoopDetectorTest, TheThirdDeathWithinTheWindowIsACrashLoopReportedOnce) {
  CrashLoopDetector detector(3, Seconds(60));
  EXPECT_FALSE(detector.OnDie("api", 1, kT0));
  EXPECT_FALSE(detector.OnDie("api", 2, kT0 + Seconds(10)));
  EXPECT_TRUE(detector.OnDie("api", 3, kT0 + Seconds(20)));
  EXPECT_TRUE(detector.InLoop("api"));
  EXPECT_FALSE(detector.OnDie("api", 4, kT0 + Seconds(30)));  // already reported
  EXPECT_FALSE(detector.InLoop("db"));
}

TEST(CrashLoopDetectorTest, DeathsOlderThanTheWindowDoNotCount) {
  CrashLoopDetector detector(3, Seconds(60));
  EXPECT_FALSE(detector.OnDie("api", 1, kT0));
  EXPECT_FALSE(detector.OnDie("api", 1, kT0 + Seconds(50)));
  EXPECT_FALSE(detector.OnDie("api", 1, kT0 + Seconds(61)));  // the first one fell out
  EXPECT_THAT(detector.RecentExitCodes("api"), ElementsAre(1, 1));
  EXPECT_TRUE(detector.OnDie("api", 1, kT0 + Seconds(70)));
}

TEST(CrashLoopDetectorTest, RecentExitCodesAreOldestFirstWithMinusOneForUnknown) {
  CrashLoopDetector detector;
  detector.OnDie("api", 137, kT0);
  detector.OnDie("api", std::nullopt, kT0 + Seconds(1));
  EXPECT_THAT(detector.RecentExitCodes("api"), ElementsAre(137, -1));
  EXPECT_THAT(detector.RecentExitCodes("db"), IsEmpty());
}

TEST(CrashLoopDetectorTest, ResetForgetsTheDeathsAndTheLoop) {
  CrashLoopDetector detector(2, Seconds(60));
  detector.OnDie("api", 1, kT0);
  EXPECT_TRUE(detector.OnDie("api", 1, kT0 + Seconds(1)));
  detector.Reset("api");
  EXPECT_FALSE(detector.InLoop("api"));
  EXPECT_THAT(detector.RecentExitCodes("api"), IsEmpty());
  EXPECT_FALSE(detector.OnDie("api", 1, kT0 + Seconds(2)));
  EXPECT_TRUE(detector.OnDie("api", 1, kT0 + Seconds(3)));  // reported again after the reset
}

TEST(CrashLoopDetectorTest, ServicesAreCountedApart) {
  CrashLoopDetector detector(2, Seconds(60));
  EXPECT_FALSE(detector.OnDie("api", 1, kT0));
  EXPECT_FALSE(detector.OnDie("db", 1, kT0));
  EXPECT_TRUE(detector.OnDie("db", 1, kT0 + Seconds(1)));
  EXPECT_FALSE(detector.InLoop("api"));
}

}  // namespace
}  // namespace madre
