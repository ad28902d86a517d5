#include "core/health_exec.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace madre {
namespace {

using ::testing::ElementsAre;
using ::testing::Optional;

const TimePoint kT0 = FromMicros(1'795'514'400'000'000);

TEST(HealthcheckArgvTest, RunsCmdAsItIsAndCmdShellThroughShLikeDocker) {
  EXPECT_THAT(HealthcheckArgv({"CMD", "wget", "-q", "http://127.0.0.1/"}),
              Optional(ElementsAre("wget", "-q", "http://127.0.0.1/")));
  EXPECT_THAT(HealthcheckArgv({"CMD-SHELL", "test -f /tmp/ready && echo ok"}),
              Optional(ElementsAre("/bin/sh", "-c", "test -f /tmp/ready && echo ok")));
}

TEST(HealthcheckArgvTest, NoneEmptyAndMalformedTestsRunNothing) {
  EXPECT_EQ(HealthcheckArgv({"NONE"}), std::nullopt);
  EXPECT_EQ(HealthcheckArgv({}), std::nullopt);
  EXPECT_EQ(HealthcheckArgv({"CMD"}), std::nullopt);
  EXPECT_EQ(HealthcheckArgv({"CMD-SHELL"}), std::nullopt);
  EXPECT_EQ(HealthcheckArgv({"CMD-SHELL", "a", "b"}), std::nullopt);
  EXPECT_EQ(HealthcheckArgv({"true"}), std::nullopt);
}

HealthcheckConfig Config(Duration interval = Seconds(30), Duration start_period = Seconds(60),
                         int retries = 3, Duration timeout = Seconds(5)) {
  HealthcheckConfig config;
  config.test = {"CMD", "true"};
  config.interval = interval;
  config.start_period = start_period;
  config.retries = retries;
  config.timeout = timeout;
  return config;
}

TEST(ExecCheckScheduleTest, StartsAtOnceThenEveryIntervalOneAtATime) {
  ExecCheckSchedule s(Config(), {"true"}, Millis(250), kT0);
  EXPECT_TRUE(s.StartDue(kT0));
  EXPECT_EQ(s.NextLook(kT0, Millis(20)), kT0);
  s.Started(kT0);
  EXPECT_TRUE(s.in_flight());
  EXPECT_FALSE(s.StartDue(kT0 + Seconds(1))) << "at most one check in flight";
  EXPECT_EQ(s.NextLook(kT0, Millis(20)), kT0 + Millis(20));
  s.Finished(1);
  EXPECT_FALSE(s.passed());
  EXPECT_FALSE(s.StartDue(kT0 + Millis(100)));
  EXPECT_EQ(s.NextLook(kT0 + Millis(100), Millis(20)), kT0 + Millis(250));
  EXPECT_TRUE(s.StartDue(kT0 + Millis(250)));
  s.Started(kT0 + Millis(250));
  s.Finished(0);
  EXPECT_TRUE(s.passed());
  EXPECT_TRUE(s.Over(kT0 + Millis(260)));
  EXPECT_FALSE(s.StartDue(kT0 + Seconds(1))) << "nothing more after the first pass";
  EXPECT_EQ(s.NextLook(kT0 + Seconds(1), Millis(20)), std::nullopt);
  EXPECT_EQ(s.checks_started(), 2);
}

TEST(ExecCheckScheduleTest, StopsAfterStartPeriodPlusRetriesTimesInterval) {
  ExecCheckSchedule s(Config(Seconds(30), Seconds(60), 3), {"true"}, Millis(250), kT0);
  EXPECT_FALSE(s.Over(kT0 + Seconds(149)));
  EXPECT_TRUE(s.StartDue(kT0 + Seconds(149)));
  EXPECT_TRUE(s.Over(kT0 + Seconds(150)));
  EXPECT_FALSE(s.StartDue(kT0 + Seconds(150)));
  EXPECT_EQ(s.NextLook(kT0 + Seconds(150), Millis(20)), std::nullopt);
}

TEST(ExecCheckScheduleTest, ACheckPastItsTimeoutIsOverdueAndTheNextWaitsTheCadence) {
  ExecCheckSchedule s(Config(Seconds(30), Seconds(60), 3, Seconds(2)), {"true"}, Millis(250), kT0);
  s.Started(kT0);
  EXPECT_FALSE(s.Overdue(kT0 + Millis(1999)));
  EXPECT_EQ(s.NextLook(kT0 + Millis(1990), Millis(20)), kT0 + Seconds(2)) << "not past timeout";
  EXPECT_TRUE(s.Overdue(kT0 + Seconds(2)));
  s.Abandoned();
  EXPECT_FALSE(s.in_flight());
  EXPECT_FALSE(s.passed());
  // A refusal (the abandoned check still runs) is tried again after the cadence.
  EXPECT_TRUE(s.StartDue(kT0 + Seconds(2)));
  s.StartRefused(kT0 + Seconds(2));
  EXPECT_FALSE(s.StartDue(kT0 + Seconds(2) + Millis(100)));
  EXPECT_TRUE(s.StartDue(kT0 + Seconds(2) + Millis(250)));
}

TEST(ExecCheckScheduleTest, ARefusalWithARetryTimeIsTriedAgainSoonerThanTheCadence) {
  ExecCheckSchedule s(Config(), {"true"}, Millis(250), kT0);
  s.StartRefused(kT0, Millis(20));  // a check let go of earlier may end any moment
  EXPECT_FALSE(s.StartDue(kT0 + Millis(10)));
  EXPECT_EQ(s.NextLook(kT0 + Millis(10), Millis(20)), kT0 + Millis(20));
  EXPECT_TRUE(s.StartDue(kT0 + Millis(20)));
  s.Started(kT0 + Millis(20));
  s.Finished(1);
  EXPECT_FALSE(s.StartDue(kT0 + Millis(40))) << "after a start, the cadence again";
  EXPECT_TRUE(s.StartDue(kT0 + Millis(270)));
}

TEST(ExecCheckScheduleTest, ALostCheckDoesNotPass) {
  ExecCheckSchedule s(Config(), {"true"}, Millis(250), kT0);
  s.Started(kT0);
  s.Lost();
  EXPECT_FALSE(s.in_flight());
  EXPECT_FALSE(s.passed());
}

}  // namespace
}  // namespace madre
