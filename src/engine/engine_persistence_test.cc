// "Never acknowledge what is not recorded": a window save that fails after a request was
// accepted fails the waiting reply with 500, keeps the window in memory and is retried with
// back-off until it succeeds.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "engine/engine_test_fixture.h"

namespace madre {
namespace {

using ::testing::HasSubstr;

const Status kDiskFull = Status::Internal("disk full");

class EnginePersistenceTest : public EngineTest {
 protected:
  WindowState StoredState(const std::string& id) { return store_.Get(id)->value().state; }
};

TEST_F(EnginePersistenceTest, ExtendThatCannotBeRecordedIsAnswered500AndSavedByALaterRetry) {
  Boot();
  auto opened = OpenAndWait({"api"}, 60);
  ASSERT_TRUE(opened.ok());
  const std::string id = opened->window.id;
  const TimePoint old_deadline = *opened->window.deadline;
  store_.FailSavesOf(WindowState::kOpen, kDiskFull);
  std::optional<Result<Window>> answer;
  engine_->Extend(id, 30, "127.0.0.1", [&](Result<Window> w) { answer = std::move(w); });
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(answer->code(), StatusCode::kInternal);
  EXPECT_THAT(answer->status().message(), HasSubstr("disk full"));
  EXPECT_EQ(audit_.records().back().action, "window.extend");
  EXPECT_EQ(audit_.records().back().outcome, AuditOutcome::kFail);
  EXPECT_EQ(store_.Get(id)->value().deadline, old_deadline);  // not durable...
  EXPECT_EQ(engine_->planner().FindWindow(id)->deadline,
            old_deadline + Seconds(30));  // ...in force
  // Retried after 1 s, then 2 s (still failing), then it goes through.
  EXPECT_EQ(engine_->NextDeadline(), clock_.Now() + Seconds(1));
  AdvanceTo(Seconds(1));
  EXPECT_EQ(engine_->NextDeadline(), clock_.Now() + Seconds(2));
  store_.Heal();
  AdvanceTo(Seconds(2));
  EXPECT_EQ(store_.Get(id)->value().deadline, old_deadline + Seconds(30));
  EXPECT_EQ(engine_->NextDeadline(), old_deadline + Seconds(30));  // only the TTL is left
}

TEST_F(EnginePersistenceTest, HoldThatCannotBeRecordedIsAnswered500AndSavedByALaterRetry) {
  Boot();
  auto opened = OpenAndWait({"api"}, 60);
  ASSERT_TRUE(opened.ok());
  const std::string id = opened->window.id;
  store_.FailSavesOf(WindowState::kOpen, kDiskFull);
  std::optional<Result<Window>> answer;
  engine_->Hold(id, true, "127.0.0.1", [&](Result<Window> w) { answer = std::move(w); });
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(answer->code(), StatusCode::kInternal);
  EXPECT_FALSE(store_.Get(id)->value().hold);
  store_.Heal();
  AdvanceTo(Seconds(1));
  EXPECT_TRUE(store_.Get(id)->value().hold);
}

TEST_F(EnginePersistenceTest, CloseWhoseClosingCannotBeRecordedIsAnswered500AndStillCloses) {
  Boot();
  auto opened = OpenAndWait({"api"}, 60);
  ASSERT_TRUE(opened.ok());
  const std::string id = opened->window.id;
  store_.FailSavesOf(WindowState::kClosing, kDiskFull);
  std::optional<Result<Window>> answer;
  engine_->Close(id, "127.0.0.1", [&](Result<Window> w) { answer = std::move(w); });
  ASSERT_TRUE(answer.has_value());  // at once, before the stops ran
  EXPECT_EQ(answer->code(), StatusCode::kInternal);
  RunUntilIdle();
  EXPECT_EQ(docker_.running(), std::set<std::string>{"redis"});
  EXPECT_EQ(StoredState(id), WindowState::kClosed);  // the later save went through
  EXPECT_EQ(engine_->planner().FindWindow(id), nullptr);
  EXPECT_EQ(audit_.records().back().action, "window.closed");
}

TEST_F(EnginePersistenceTest, ClosedWindowThatCannotBeRecordedStaysInMemoryUntilARetrySavesIt) {
  Boot();
  auto opened = OpenAndWait({"api"}, 60);
  ASSERT_TRUE(opened.ok());
  const std::string id = opened->window.id;
  store_.FailSavesOf(WindowState::kClosed, kDiskFull);
  std::optional<Result<Window>> answer;
  engine_->Close(id, "127.0.0.1", [&](Result<Window> w) { answer = std::move(w); });
  RunUntilIdle();
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(answer->code(), StatusCode::kInternal);
  // The store still says `closing`: a restart would finish the close, not reopen the window.
  EXPECT_EQ(StoredState(id), WindowState::kClosing);
  ASSERT_NE(engine_->planner().FindWindow(id), nullptr);
  auto found = engine_->FindWindow(id);
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->state, WindowState::kClosed);  // readers see the truth from memory
  store_.Heal();
  AdvanceTo(Seconds(1));
  EXPECT_EQ(StoredState(id), WindowState::kClosed);
  EXPECT_EQ(engine_->planner().FindWindow(id), nullptr);
}

TEST_F(EnginePersistenceTest, TtlCloseThatCannotBeRecordedIsRetriedAndTheWindowNeverComesBack) {
  Boot();
  auto opened = OpenAndWait({"api"}, 10);
  ASSERT_TRUE(opened.ok());
  const std::string id = opened->window.id;
  store_.FailSavesOf(WindowState::kClosing, kDiskFull);
  store_.FailSavesOf(WindowState::kClosed, kDiskFull);
  AdvanceTo(Seconds(10));
  EXPECT_EQ(docker_.running(), std::set<std::string>{"redis"});
  EXPECT_EQ(StoredState(id), WindowState::kOpen);  // nothing recorded the close yet
  ASSERT_NE(engine_->planner().FindWindow(id), nullptr);
  EXPECT_EQ(engine_->planner().FindWindow(id)->state, WindowState::kClosed);
  AdvanceTo(Seconds(1));  // the retry fails again
  EXPECT_EQ(StoredState(id), WindowState::kOpen);
  store_.Heal();
  AdvanceTo(Seconds(2));
  EXPECT_EQ(StoredState(id), WindowState::kClosed);
  EXPECT_EQ(engine_->planner().FindWindow(id), nullptr);
  // A restart now finds nothing to restore.
  engine_.reset();
  Boot();
  EXPECT_TRUE(engine_->planner().windows().empty());
  EXPECT_EQ(docker_.running(), std::set<std::string>{"redis"});
}

TEST_F(EnginePersistenceTest, OpenWithWaitIsAnswered500WhenItsOpenStateCannotBeRecorded) {
  Boot();
  store_.FailSavesOf(WindowState::kOpen, kDiskFull);
  auto opened = OpenAndWait({"api"}, 60);
  EXPECT_EQ(opened.code(), StatusCode::kInternal);
  EXPECT_EQ(docker_.running(), (std::set<std::string>{"api", "db", "redis"}));
  const std::string id = engine_->planner().windows().begin()->first;
  EXPECT_EQ(StoredState(id), WindowState::kOpening);
  store_.Heal();
  AdvanceTo(Seconds(1));
  EXPECT_EQ(StoredState(id), WindowState::kOpen);
}

TEST_F(EnginePersistenceTest, OpenWithoutWaitIsAnswered500WhenItsStateCannotBeRecorded) {
  Boot();
  ASSERT_TRUE(OpenAndWait({"api"}, 60).ok());  // a second window for api opens at once
  store_.FailSavesOf(WindowState::kOpen, kDiskFull);
  OpenRequest request;
  request.services = {"api"};
  request.ttl_sec = 60;
  request.actor = "127.0.0.1";
  std::optional<Result<OpenOutcome>> answer;
  engine_->Open(request, false, Seconds(300),
                [&](Result<OpenOutcome> r) { answer = std::move(r); });
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(answer->code(), StatusCode::kInternal);
}

TEST_F(EnginePersistenceTest, OpenWithoutWaitAnswersWithTheSettledWindow) {
  Boot();
  ASSERT_TRUE(OpenAndWait({"api"}, 60).ok());  // a second window for api opens at once
  OpenRequest request;
  request.services = {"api"};
  request.ttl_sec = 60;
  std::optional<Result<OpenOutcome>> answer;
  engine_->Open(request, false, Seconds(300),
                [&](Result<OpenOutcome> r) { answer = std::move(r); });
  ASSERT_TRUE(answer.has_value() && answer->ok());
  EXPECT_EQ((*answer)->window.state, WindowState::kOpen);
  EXPECT_FALSE((*answer)->finished);
  EXPECT_EQ(StoredState((*answer)->window.id), WindowState::kOpen);
}

}  // namespace
}  // namespace madre
