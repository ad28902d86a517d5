#include "core/intent.h"

#include <gtest/gtest.h>

namespace madre {
namespace {

const TimePoint kT0 = FromMicros(1'795'514'400'000'000);

TEST(IntentTest, StatusNamesRoundTrip) {
  for (IntentStatus s : {IntentStatus::kPending, IntentStatus::kApproved, IntentStatus::kRejected,
                         IntentStatus::kRunning, IntentStatus::kDone, IntentStatus::kFailed,
                         IntentStatus::kExpired}) {
    EXPECT_EQ(ParseIntentStatus(IntentStatusName(s)), s);
  }
  EXPECT_EQ(ParseIntentStatus("nope"), std::nullopt);
}

TEST(IntentTest, WordsAndCorrelationIdsAreChecked) {
  EXPECT_TRUE(IsValidIntentWord("hormiguero"));
  EXPECT_TRUE(IsValidIntentWord("build:switch-v2.1"));
  EXPECT_FALSE(IsValidIntentWord(""));
  EXPECT_FALSE(IsValidIntentWord("two words"));
  EXPECT_FALSE(IsValidIntentWord(std::string(65, 'a')));
  EXPECT_TRUE(IsValidCorrelationId("3f2a-9c/1"));
  EXPECT_FALSE(IsValidCorrelationId("has space"));
  EXPECT_FALSE(IsValidCorrelationId(std::string(129, 'a')));
  EXPECT_FALSE(IsValidCorrelationId("nul\x01"));
}

TEST(RateLimiterTest, AdmitsABurstThenOnePerIntervalPerKey) {
  RateLimiter limiter(3, Seconds(2));
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.Admit("queen", kT0)) << i;
  EXPECT_FALSE(limiter.Admit("queen", kT0));
  EXPECT_TRUE(limiter.Admit("other", kT0)) << "each key has its own bucket";
  EXPECT_FALSE(limiter.Admit("queen", kT0 + Seconds(1)));
  EXPECT_TRUE(limiter.Admit("queen", kT0 + Seconds(3))) << "one token back after 2 s";
  EXPECT_FALSE(limiter.Admit("queen", kT0 + Seconds(3)));
  EXPECT_TRUE(limiter.Admit("queen", kT0 + Seconds(60)));
  EXPECT_TRUE(limiter.Admit("queen", kT0 + Seconds(60)));
  EXPECT_TRUE(limiter.Admit("queen", kT0 + Seconds(60)));
  EXPECT_FALSE(limiter.Admit("queen", kT0 + Seconds(60))) << "never more than the burst";
}

}  // namespace
}  // namespace madre
