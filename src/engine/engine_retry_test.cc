// Failed reconcile work backs off and gives up, and is audited the first time and at the give-up.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "engine/engine_test_fixture.h"

namespace madre {
namespace {

int Count(const std::vector<AuditRecord>& records, const std::string& action,
          AuditOutcome outcome) {
  int n = 0;
  for (const auto& record : records) n += record.action == action && record.outcome == outcome;
  return n;
}

TEST_F(EngineTest, AStopThatKeepsFailingIsAuditedOnceAndAtTheGiveUp) {
  docker_.SetRunning("api", true);  // by hand: reconcile stops it
  docker_.FailNext("stop", Status::Unavailable("stuck"));
  Boot();
  for (int attempt = 2; attempt <= 10 && engine_->NextDeadline(); ++attempt) {
    docker_.FailNext("stop", Status::Unavailable("stuck"));
    AdvanceTo(*engine_->NextDeadline() - clock_.Now());
  }
  const auto records = audit_.records();
  EXPECT_EQ(Count(records, "reconcile.stop", AuditOutcome::kFail), 1);
  EXPECT_EQ(Count(records, "reconcile.stop", AuditOutcome::kGaveUp), 1);
  EXPECT_THAT(records.back().detail, ::testing::HasSubstr("gave up after 8 failed attempts"));
  EXPECT_TRUE(engine_->planner().services().at("api").gave_up);
  EXPECT_EQ(engine_->NextDeadline(), std::nullopt);
  EXPECT_THAT(docker_.running(), ::testing::Contains("api"));
}

TEST_F(EngineTest, SoloMadreApplyRetriesAServiceMadreGaveUpOn) {
  docker_.SetRunning("api", true);
  docker_.FailNext("stop", Status::Unavailable("stuck"));
  Boot();
  while (engine_->NextDeadline()) {
    docker_.FailNext("stop", Status::Unavailable("stuck"));
    AdvanceTo(*engine_->NextDeadline() - clock_.Now());
  }
  ASSERT_TRUE(engine_->planner().services().at("api").gave_up);
  std::optional<Result<SoloMadreOutcome>> answer;
  engine_->ApplySoloMadre("127.0.0.1", [&](Result<SoloMadreOutcome> r) { answer = std::move(r); });
  RunUntilIdle();
  ASSERT_TRUE(answer && answer->ok());
  EXPECT_THAT((*answer)->services_stopped, ::testing::ElementsAre("api"));
  EXPECT_EQ(docker_.running(), std::set<std::string>{"redis"});
  EXPECT_FALSE(engine_->planner().services().at("api").gave_up);
}

}  // namespace
}  // namespace madre
