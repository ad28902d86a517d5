// Engine commands beside open and close: hold, extend, service restart, a close while the
// window is still opening, and the open's wait timeout.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "engine/engine_test_fixture.h"

namespace madre {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;

TEST_F(EngineTest, HoldKeepsAWindowPastItsDeadlineAndUnholdClosesItWhenOverdue) {
  Boot();
  auto opened = OpenAndWait({"api"}, 10);
  ASSERT_TRUE(opened.ok());
  const std::string id = opened->window.id;
  std::optional<Result<Window>> held;
  engine_->Hold(id, true, "127.0.0.1", [&](Result<Window> w) { held = std::move(w); });
  ASSERT_TRUE(held && held->ok());
  EXPECT_TRUE((*held)->hold);
  EXPECT_TRUE(store_.Get(id)->value().hold);  // recorded before the answer
  AdvanceTo(Seconds(60));
  EXPECT_EQ(engine_->planner().FindWindow(id)->state, WindowState::kOpen);
  EXPECT_THAT(docker_.running(), Contains("api"));
  std::optional<Result<Window>> unheld;
  engine_->Hold(id, false, "127.0.0.1", [&](Result<Window> w) { unheld = std::move(w); });
  ASSERT_TRUE(unheld && unheld->ok());
  RunUntilIdle();
  EXPECT_EQ(store_.Get(id)->value().state, WindowState::kClosed);
  EXPECT_EQ(store_.Get(id)->value().close_reason, CloseReason::kTtlExpired);
  EXPECT_EQ(docker_.running(), std::set<std::string>{"redis"});
  EXPECT_THAT(audit_.actions(), Contains("window.unhold"));
}

TEST_F(EngineTest, ExtendMovesTheDeadlineAndTheWindowClosesOnlyThen) {
  Boot();
  auto opened = OpenAndWait({"api"}, 10);
  ASSERT_TRUE(opened.ok());
  const std::string id = opened->window.id;
  std::optional<Result<Window>> extended;
  engine_->Extend(id, 20, "127.0.0.1", [&](Result<Window> w) { extended = std::move(w); });
  ASSERT_TRUE(extended && extended->ok());
  EXPECT_EQ((*extended)->deadline, *opened->window.deadline + Seconds(20));
  EXPECT_EQ(store_.Get(id)->value().deadline, (*extended)->deadline);
  EXPECT_EQ(engine_->NextDeadline(), (*extended)->deadline);
  AdvanceTo(Seconds(10));
  EXPECT_THAT(docker_.running(), Contains("api"));
  AdvanceTo(Seconds(20));
  EXPECT_EQ(docker_.running(), std::set<std::string>{"redis"});
  EXPECT_EQ(audit_.records().back().action, "window.closed");
}

TEST_F(EngineTest, ExtendOfAClosedWindowIsAConflictAndAudited) {
  Boot();
  auto opened = OpenAndWait({"api"}, 10);
  ASSERT_TRUE(opened.ok());
  AdvanceTo(Seconds(10));
  std::optional<Result<Window>> extended;
  engine_->Extend(opened->window.id, 20, "127.0.0.1",
                  [&](Result<Window> w) { extended = std::move(w); });
  ASSERT_TRUE(extended.has_value());
  EXPECT_EQ(extended->code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(audit_.records().back().outcome, AuditOutcome::kRejected);
}

TEST_F(EngineTest, ServiceRestartRestartsARunningServiceAndAuditsTheRequestAndTheResult) {
  Boot();
  ASSERT_TRUE(OpenAndWait({"api"}, 60).ok());
  std::optional<Result<ServiceOpOutcome>> answer;
  engine_->ServiceRestart("api", "127.0.0.1",
                          [&](Result<ServiceOpOutcome> r) { answer = std::move(r); });
  EXPECT_FALSE(answer.has_value());  // after the restart ran
  RunUntilIdle();
  ASSERT_TRUE(answer && answer->ok());
  EXPECT_TRUE((*answer)->ok);
  EXPECT_EQ((*answer)->action, "restart");
  EXPECT_THAT(docker_.calls(), Contains("restart api"));
  std::vector<AuditOutcome> outcomes;
  for (const auto& record : audit_.records()) {
    if (record.action == "service.restart") outcomes.push_back(record.outcome);
  }
  EXPECT_THAT(outcomes, ElementsAre(AuditOutcome::kAccepted, AuditOutcome::kOk));
}

TEST_F(EngineTest, ServiceRestartOfAStoppedServiceIsRefused) {
  Boot();
  std::optional<Result<ServiceOpOutcome>> answer;
  engine_->ServiceRestart("api", "127.0.0.1",
                          [&](Result<ServiceOpOutcome> r) { answer = std::move(r); });
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(answer->code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(audit_.records().back().outcome, AuditOutcome::kRejected);
}

TEST_F(EngineTest, CloseWhileOpeningCancelsTheOpenAndStopsWhatItStarted) {
  Boot();
  OpenRequest request;
  request.services = {"api"};
  request.ttl_sec = 60;
  std::optional<Result<OpenOutcome>> opened;
  engine_->Open(request, true, Seconds(300), [&](Result<OpenOutcome> r) { opened = std::move(r); });
  const std::string id = engine_->planner().windows().begin()->first;
  std::optional<Result<Window>> closed;
  engine_->Close(id, "127.0.0.1", [&](Result<Window> w) { closed = std::move(w); });
  RunUntilIdle();
  ASSERT_TRUE(opened && opened->ok());
  EXPECT_NE((*opened)->window.state, WindowState::kOpen);
  ASSERT_TRUE(closed && closed->ok());
  EXPECT_EQ((*closed)->state, WindowState::kClosed);
  EXPECT_EQ(docker_.running(), std::set<std::string>{"redis"});
  for (const auto& record : audit_.records()) {
    if (record.action == "window.opened") {
      EXPECT_EQ(record.outcome, AuditOutcome::kCancelled);
    }
  }
  EXPECT_THAT(audit_.actions(), Contains("window.closed"));
}

TEST_F(EngineTest, OpenWaitTimeoutAnswersWithTheWindowStillOpening) {
  Boot();
  OpenRequest request;
  request.services = {"api"};
  request.ttl_sec = 60;
  std::optional<Result<OpenOutcome>> answer;
  engine_->Open(request, true, Seconds(5), [&](Result<OpenOutcome> r) { answer = std::move(r); });
  EXPECT_EQ(engine_->NextDeadline(), clock_.Now() + Seconds(5));
  clock_.Advance(Seconds(5));  // the workers have not run the start yet
  engine_->Tick();
  ASSERT_TRUE(answer && answer->ok());
  EXPECT_FALSE((*answer)->finished);
  EXPECT_EQ((*answer)->window.state, WindowState::kOpening);
  RunUntilIdle();  // the open goes on and is audited when it is done
  EXPECT_EQ(audit_.records().back().action, "window.opened");
  EXPECT_EQ(audit_.records().back().outcome, AuditOutcome::kOk);
}

TEST_F(EngineTest, ATtlCloseWithNothingToStopIsAuditedAsTtl) {
  Boot();
  ASSERT_TRUE(OpenAndWait({"api"}, 60).ok());
  auto shorter = OpenAndWait({"api"}, 10);  // api stays up for the first window
  ASSERT_TRUE(shorter.ok());
  AdvanceTo(Seconds(10));
  EXPECT_EQ(store_.Get(shorter->window.id)->value().state, WindowState::kClosed);
  EXPECT_EQ(audit_.records().back().action, "window.closed");
  EXPECT_EQ(audit_.records().back().actor, "ttl");
  EXPECT_THAT(docker_.running(), Contains("api"));
}

TEST_F(EngineTest, ServiceStartsAreHoldsThatTakeNoWindowSlot) {
  config_.max_concurrent = 1;
  Boot();
  auto start = [&](const std::string& service) {
    std::optional<Result<ServiceOpOutcome>> answer;
    engine_->ServiceStart(service, "127.0.0.1", Seconds(4),
                          [&](Result<ServiceOpOutcome> r) { answer = std::move(r); });
    RunUntilIdle();
    EXPECT_TRUE(answer.has_value());
    return answer.value_or(Status::Internal("no answer"));
  };
  Result<ServiceOpOutcome> api = start("api");
  ASSERT_TRUE(api.ok()) << api.status().ToString();
  EXPECT_TRUE(api->ok);
  ASSERT_TRUE(api->window.has_value());
  EXPECT_EQ(api->window->kind, WindowKind::kServiceHold);
  EXPECT_FALSE(api->window->ttl_sec.has_value()) << "a hold has no TTL by default";
  Result<ServiceOpOutcome> again = start("api");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->window->id, api->window->id) << "one hold per service";
  Result<ServiceOpOutcome> web = start("web");
  ASSERT_TRUE(web.ok());
  EXPECT_TRUE(web->ok);
  EXPECT_NE(web->window->id, api->window->id);
  auto opened = OpenAndWait({"db"}, 60);
  ASSERT_TRUE(opened.ok()) << "the holds left the one window slot free: "
                           << opened.status().ToString();
  EXPECT_EQ(OpenAndWait({"cache"}, 60).status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(store_.Get(api->window->id)->value().kind, WindowKind::kServiceHold)
      << "the kind is recorded";
}

TEST_F(EngineTest, ServiceHoldTtlComesFromTheOption) {
  options_.service_hold_ttl_sec = 30;
  Boot();
  std::optional<Result<ServiceOpOutcome>> answer;
  engine_->ServiceStart("api", "127.0.0.1", Seconds(4),
                        [&](Result<ServiceOpOutcome> r) { answer = std::move(r); });
  RunUntilIdle();
  ASSERT_TRUE(answer && answer->ok());
  EXPECT_EQ((*answer)->window->ttl_sec, 30);
  AdvanceTo(Seconds(30));
  EXPECT_EQ(docker_.running(), std::set<std::string>{"redis"});
}

TEST_F(EngineTest, AServiceStartedByHandIsAdoptedAuditedAndStoppedWhenItsTtlEnds) {
  config_.external_start = ExternalStart::kAdopt;
  config_.external_start_ttl_sec = 60;
  Boot();
  docker_.SetRunning("api", true);  // docker compose up -d api, by hand
  DockerEvent event;
  event.action = "start";
  event.service = "api";
  event.container_id = "id-api";
  engine_->OnDockerEvent(event);
  RunUntilIdle();
  EXPECT_THAT(docker_.running(), Contains("api")) << "adopted, not stopped";
  const AuditRecord adopted = audit_.records().back();  // a copy: more records follow
  EXPECT_EQ(adopted.action, "window.adopted");
  EXPECT_EQ(adopted.actor, "external");
  EXPECT_THAT(adopted.services, ElementsAre("api"));
  Result<std::optional<Window>> stored = store_.Get(adopted.window_id);
  ASSERT_TRUE(stored.ok() && stored->has_value()) << "recorded";
  EXPECT_EQ((*stored)->kind, WindowKind::kAdopted);
  AdvanceTo(Seconds(59));
  EXPECT_THAT(docker_.running(), Contains("api"));
  AdvanceTo(Seconds(1));
  EXPECT_EQ(docker_.running(), std::set<std::string>{"redis"});
  EXPECT_EQ(store_.Get(adopted.window_id)->value().state, WindowState::kClosed);
}

}  // namespace
}  // namespace madre
