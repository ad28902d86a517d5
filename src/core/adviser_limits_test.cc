#include "core/adviser_limits.h"

#include <gtest/gtest.h>

namespace madre {
namespace {

TEST(AdviserBackoffTest, IsTwoToTheNSecondsCappedAtTen) {
  EXPECT_EQ(AdviserBackoff(0), Seconds(1));
  EXPECT_EQ(AdviserBackoff(1), Seconds(2));
  EXPECT_EQ(AdviserBackoff(2), Seconds(4));
  EXPECT_EQ(AdviserBackoff(3), Seconds(8));
  EXPECT_EQ(AdviserBackoff(4), Seconds(10));
  EXPECT_EQ(AdviserBackoff(40), Seconds(10));
}

TEST(HourlyCallLimitTest, AdmitsNCallsPerRollingHour) {
  HourlyCallLimit limit(3);
  TimePoint t0 = FromMicros(1'795'514'400'000'000);
  EXPECT_TRUE(limit.TryAcquire(t0));
  EXPECT_TRUE(limit.TryAcquire(t0 + Seconds(600)));
  EXPECT_TRUE(limit.TryAcquire(t0 + Seconds(1200)));
  EXPECT_FALSE(limit.TryAcquire(t0 + Seconds(1800)));
  EXPECT_EQ(limit.Remaining(t0 + Seconds(1800)), 0);
  // One hour after the first call, its slot is free again; the refused call took none.
  EXPECT_FALSE(limit.TryAcquire(t0 + Seconds(3599)));
  EXPECT_TRUE(limit.TryAcquire(t0 + Seconds(3600)));
  EXPECT_FALSE(limit.TryAcquire(t0 + Seconds(3601)));
  EXPECT_EQ(limit.Remaining(t0 + Seconds(4800)), 2);  // only the call at 3600 s is in the hour
}

}  // namespace
}  // namespace madre
