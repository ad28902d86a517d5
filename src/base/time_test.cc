#include "base/time.h"

#include <gtest/gtest.h>

namespace madre {
namespace {

TEST(TimeTest, FormatsUtcWithSixFractionDigitsAndZ) {
  const TimePoint t = FromMicros(1'795'514'400'123'456);  // 2026-11-24T10:00:00.123456Z
  EXPECT_EQ(FormatRfc3339(t), "2026-11-24T10:00:00.123456Z");
}

TEST(TimeTest, ParseIsTheInverseOfFormat) {
  const TimePoint t = FromMicros(1'795'514'400'000'001);
  EXPECT_EQ(ParseRfc3339(FormatRfc3339(t)), t);
}

TEST(TimeTest, ParseAcceptsOffsetsAndRejectsGarbage) {
  EXPECT_EQ(ParseRfc3339("2026-11-24T11:00:00+01:00"), ParseRfc3339("2026-11-24T10:00:00Z"));
  EXPECT_FALSE(ParseRfc3339("2026-11-24T10:00:00+00:00Z").has_value());
  EXPECT_FALSE(ParseRfc3339("2026-11-24 10:00").has_value());
  EXPECT_FALSE(ParseRfc3339("").has_value());
  EXPECT_FALSE(ParseRfc3339("2026-11-24T10:00:00+99:99").has_value());
  EXPECT_FALSE(ParseRfc3339("0000-01-01T00:00:00+01:00").has_value());  // year -1 in UTC
}

TEST(TimeTest, SecondsUntilRoundsUpAndNeverGoesNegative) {
  const TimePoint now = FromMicros(0);
  EXPECT_EQ(SecondsUntil(now + Millis(1), now), 1);
  EXPECT_EQ(SecondsUntil(now + Seconds(60), now), 60);
  EXPECT_EQ(SecondsUntil(now - Seconds(5), now), 0);
}

TEST(TimeTest, HumanDurations) {
  EXPECT_EQ(ParseHumanDuration("90s"), Seconds(90));
  EXPECT_EQ(ParseHumanDuration("5m"), Seconds(300));
  EXPECT_EQ(ParseHumanDuration("1h"), Seconds(3600));
  EXPECT_EQ(ParseHumanDuration("1h30m"), Seconds(5400));
  EXPECT_EQ(ParseHumanDuration("42"), Seconds(42));
  EXPECT_FALSE(ParseHumanDuration("").has_value());
  EXPECT_FALSE(ParseHumanDuration("5x").has_value());
  EXPECT_FALSE(ParseHumanDuration("-5m").has_value());
  EXPECT_FALSE(ParseHumanDuration("1h30").has_value());
  EXPECT_EQ(FormatHumanDuration(Seconds(3725)), "1h2m5s");
}

}  // namespace
}  // namespace madre
