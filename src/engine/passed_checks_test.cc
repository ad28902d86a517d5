#include "engine/passed_checks.h"

#include <gtest/gtest.h>

namespace madre {
namespace {

ContainerState RunOf(std::string id, std::string started_at, int restarts = 0) {
  ContainerState c;
  c.id = std::move(id);
  c.started_at = std::move(started_at);
  c.restart_count = restarts;
  c.state = "running";
  return c;
}

TEST(PassedChecksTest, ARunIsItsIdStartTimeAndRestartCount) {
  PassedChecks passed;
  passed.Record(RunOf("a", "t1"));
  EXPECT_TRUE(passed.Passed(RunOf("a", "t1")));
  ContainerState paused = RunOf("a", "t1");
  paused.state = "paused";
  paused.health = "unhealthy";
  EXPECT_TRUE(passed.Passed(paused)) << "a pause keeps the run";
  EXPECT_FALSE(passed.Passed(RunOf("a", "t2"))) << "started again";
  EXPECT_FALSE(passed.Passed(RunOf("a", "t1", 1))) << "restarted by its policy";
  EXPECT_FALSE(passed.Passed(RunOf("b", "t1")));
}

TEST(PassedChecksTest, AContainerWithoutIdOrStartTimeIsNeverRemembered) {
  PassedChecks passed;
  passed.Record(RunOf("", "t1"));
  passed.Record(RunOf("a", ""));
  EXPECT_FALSE(passed.Passed(RunOf("", "t1")));
  EXPECT_FALSE(passed.Passed(RunOf("a", "")));
}

TEST(PassedChecksTest, TheOldestRunsAreForgottenFirstBeyondTheCapacity) {
  PassedChecks passed(2);
  passed.Record(RunOf("a", "t"));
  passed.Record(RunOf("b", "t"));
  passed.Record(RunOf("a", "t"));  // already there: not a new entry
  passed.Record(RunOf("c", "t"));
  EXPECT_FALSE(passed.Passed(RunOf("a", "t")));
  EXPECT_TRUE(passed.Passed(RunOf("b", "t")));
  EXPECT_TRUE(passed.Passed(RunOf("c", "t")));
}

}  // namespace
}  // namespace madre
