#include "engine/engine.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "engine/engine_metrics.h"
#include "engine/engine_test_fixture.h"

namespace madre {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Not;

TEST_F(EngineTest, OpenAnswersAfterTheServicesRunAndEverythingIsDurable) {
  Boot();
  OpenRequest request;
  request.services = {"web"};
  request.ttl_sec = 60;
  request.actor = "127.0.0.1";
  std::optional<Result<OpenOutcome>> answer;
  engine_->Open(request, true, Seconds(300), [&](Result<OpenOutcome> r) { answer = std::move(r); });
  EXPECT_FALSE(answer.has_value());    // docker work is still queued
  ASSERT_EQ(store_.All().size(), 1u);  // ...but the window is already recorded
  EXPECT_EQ(store_.All()[0].state, WindowState::kOpening);
  RunUntilIdle();
  ASSERT_TRUE(answer.has_value());
  ASSERT_TRUE(answer->ok());
  const Window& window = (*answer)->window;
  EXPECT_EQ(window.state, WindowState::kOpen);
  EXPECT_THAT(window.services_started, ElementsAre("db", "web"));
  EXPECT_EQ(docker_.running(), (std::set<std::string>{"db", "redis", "web"}));
  EXPECT_EQ(store_.Get(window.id)->value().state, WindowState::kOpen);
  EXPECT_THAT(audit_.actions(), Contains("window.opened"));
}

TEST_F(EngineTest, TtlExpiryStopsExactlyWhatTheWindowStartedAndAuditsIt) {
  Boot();
  auto opened = OpenAndWait({"web"}, 10);
  ASSERT_TRUE(opened.ok());
  AdvanceTo(Seconds(10));
  EXPECT_EQ(docker_.running(), std::set<std::string>{"redis"});
  auto stored = store_.Get(opened->window.id);
  ASSERT_TRUE(stored.ok() && stored->has_value());
  EXPECT_EQ((*stored)->state, WindowState::kClosed);
  EXPECT_EQ((*stored)->close_reason, CloseReason::kTtlExpired);
  auto records = audit_.records();
  ASSERT_FALSE(records.empty());
  EXPECT_EQ(records.back().action, "window.closed");
  EXPECT_EQ(records.back().actor, "ttl");
  EXPECT_THAT(records.back().services, ElementsAre("web", "db"));
  ASSERT_FALSE(records.back().ops.empty());  // the stop's compose operation travels with it
  EXPECT_EQ(records.back().ops[0].exit_code, 0);
}

TEST_F(EngineTest, CloseAnswersWithTheServicesStopped) {
  Boot();
  auto opened = OpenAndWait({"api"}, 60);
  ASSERT_TRUE(opened.ok());
  std::optional<Result<Window>> closed;
  engine_->Close(std::nullopt, "127.0.0.1", [&](Result<Window> w) { closed = std::move(w); });
  RunUntilIdle();
  ASSERT_TRUE(closed && closed->ok());
  EXPECT_EQ((*closed)->state, WindowState::kClosed);
  EXPECT_THAT((*closed)->services_stopped, ElementsAre("api", "db"));
}

TEST_F(EngineTest, CloseWithoutWindowIsNotFoundAndAudited) {
  Boot();
  std::optional<Result<Window>> closed;
  engine_->Close(std::nullopt, "127.0.0.1", [&](Result<Window> w) { closed = std::move(w); });
  ASSERT_TRUE(closed.has_value());
  EXPECT_EQ(closed->code(), StatusCode::kNotFound);
  EXPECT_EQ(closed->status().message(), "No active window");
  EXPECT_EQ(audit_.records().back().outcome, AuditOutcome::kRejected);
}

TEST_F(EngineTest, StoreFailureRefusesTheOpenAndStartsNothing) {
  Boot();
  store_.FailNextSave(Status::Internal("disk full"));
  auto opened = OpenAndWait({"api"}, 60);
  EXPECT_EQ(opened.code(), StatusCode::kInternal);
  EXPECT_EQ(docker_.running(), std::set<std::string>{"redis"});
  EXPECT_THAT(docker_.calls(), IsEmpty());
  EXPECT_TRUE(engine_->planner().windows().empty());
}

TEST_F(EngineTest, AuditFailureRefusesTheOpenAndStartsNothing) {
  Boot();
  audit_.FailNextAppend(Status::Internal("disk full"));
  auto opened = OpenAndWait({"api"}, 60);
  EXPECT_EQ(opened.code(), StatusCode::kInternal);
  EXPECT_THAT(docker_.calls(), IsEmpty());
  ASSERT_EQ(store_.All().size(), 1u);
  EXPECT_EQ(store_.All()[0].state, WindowState::kFailed);  // never left looking open
}

TEST_F(EngineTest, FailedStartIsAuditedWithTheComposeOutputAndRolledBack) {
  Boot();
  docker_.FailNext("up", Status::Unavailable("image not found"));
  auto opened = OpenAndWait({"api"}, 60);
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(opened->window.state, WindowState::kFailed);
  EXPECT_EQ(opened->window.close_reason, CloseReason::kExecFailed);
  EXPECT_THAT(opened->window.services_started, IsEmpty());
  bool found = false;
  for (const auto& record : audit_.records()) {
    if (record.action == "window.opened") {
      found = true;
      EXPECT_EQ(record.outcome, AuditOutcome::kFail);
      ASSERT_FALSE(record.ops.empty());
      EXPECT_EQ(record.ops[0].exit_code, 1);
    }
  }
  EXPECT_TRUE(found);
  EXPECT_EQ(docker_.running(), std::set<std::string>{"redis"});
}

TEST_F(EngineTest, ServiceThatExitsRightAfterUpIsAFailure) {
  Boot();
  docker_.CrashOnStart("api");
  auto opened = OpenAndWait({"api"}, 60);
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(opened->window.state, WindowState::kOpen);  // db started: partial
  EXPECT_EQ(opened->window.services_status.at("api").state, ServiceState::kFailed);
  EXPECT_THAT(opened->window.services_status.at("api").error, ::testing::HasSubstr("exit code 1"));
  EXPECT_THAT(opened->window.services_started, ElementsAre("db"));
}

TEST_F(EngineTest, RecoveryKeepsAnOpenWindowWithItsDeadlineAndExpiresItOnTime) {
  Boot();
  auto opened = OpenAndWait({"api"}, 30);
  ASSERT_TRUE(opened.ok());
  const std::string id = opened->window.id;
  engine_.reset();  // kill -9: nothing but the store and the containers survive
  clock_.Advance(Seconds(10));
  Boot();
  ASSERT_NE(engine_->planner().FindWindow(id), nullptr);
  EXPECT_EQ(engine_->NextDeadline(), opened->window.deadline);
  EXPECT_THAT(docker_.running(), Contains("api"));
  AdvanceTo(Seconds(20));
  EXPECT_EQ(docker_.running(), std::set<std::string>{"redis"});
  EXPECT_EQ(store_.Get(id)->value().close_reason, CloseReason::kTtlExpired);
}

TEST_F(EngineTest, RecoveryClosesWindowsThatExpiredWhileDown) {
  Boot();
  auto opened = OpenAndWait({"api"}, 30);
  ASSERT_TRUE(opened.ok());
  engine_.reset();
  clock_.Advance(Seconds(120));
  Boot();
  EXPECT_EQ(docker_.running(), std::set<std::string>{"redis"});
  auto stored = store_.Get(opened->window.id)->value();
  EXPECT_EQ(stored.state, WindowState::kClosed);
  EXPECT_EQ(stored.close_reason, CloseReason::kTtlExpired);
  EXPECT_EQ(stored.error, "expired while madre was down");
}

TEST_F(EngineTest, ReconcileStopsWhatWasStartedByHandAndAuditsIt) {
  docker_.SetRunning("api", true);
  Boot();
  EXPECT_EQ(docker_.running(), std::set<std::string>{"redis"});
  EXPECT_THAT(audit_.actions(), Contains("reconcile.stop"));
}

TEST_F(EngineTest, ReconcileStartsAStoppedAlwaysOnService) {
  docker_.SetRunning("redis", false);
  Boot();
  EXPECT_THAT(docker_.running(), Contains("redis"));
  EXPECT_THAT(audit_.actions(), Contains("reconcile.start"));
}

// The engine never waits for Docker: a hold is answered (and the open is not) while the open's
// docker work is still queued on the workers. (Whether a real worker can block the engine
// thread is a question for the integration tier: a ManualExecutor never blocks.)
TEST_F(EngineTest, HoldIsAnsweredWhileTheOpensDockerWorkIsStillQueued) {
  Boot();
  OpenRequest request;
  request.services = {"api"};
  request.ttl_sec = 60;
  std::optional<Result<OpenOutcome>> answer;
  engine_->Open(request, true, Seconds(300), [&](Result<OpenOutcome> r) { answer = std::move(r); });
  // The up has not run: the engine still answers other requests at once.
  std::optional<Result<Window>> held;
  const std::string id = engine_->planner().windows().begin()->first;
  engine_->Hold(id, true, "127.0.0.1", [&](Result<Window> w) { held = std::move(w); });
  ASSERT_TRUE(held.has_value());
  EXPECT_TRUE(held->ok());
  EXPECT_FALSE(answer.has_value());
  RunUntilIdle();
  EXPECT_TRUE(answer.has_value());
}

TEST_F(EngineTest, SoloMadreApplyClosesWindowsAndStopsHandStartedServices) {
  Boot();
  auto opened = OpenAndWait({"api"}, 60);
  ASSERT_TRUE(opened.ok());
  docker_.SetRunning("web", true);  // by hand, after the startup reconcile
  std::optional<Result<SoloMadreOutcome>> answer;
  engine_->ApplySoloMadre("127.0.0.1", [&](Result<SoloMadreOutcome> r) { answer = std::move(r); });
  RunUntilIdle();
  ASSERT_TRUE(answer && answer->ok());
  EXPECT_EQ((*answer)->exec_status, AuditOutcome::kOk);
  EXPECT_THAT((*answer)->services_stopped, ElementsAre("api", "db", "web"));
  EXPECT_EQ(docker_.running(), std::set<std::string>{"redis"});
}

TEST_F(EngineTest, ServiceStopClosesAWindowLeftEmpty) {
  Boot();
  auto opened = OpenAndWait({"api"}, 60);
  ASSERT_TRUE(opened.ok());
  std::optional<Result<ServiceOpOutcome>> answer;
  engine_->ServiceStop("api", "127.0.0.1",
                       [&](Result<ServiceOpOutcome> r) { answer = std::move(r); });
  RunUntilIdle();
  ASSERT_TRUE(answer && answer->ok());
  EXPECT_TRUE((*answer)->ok);
  EXPECT_THAT((*answer)->windows_closed, ElementsAre(opened->window.id));
  EXPECT_EQ(store_.Get(opened->window.id)->value().close_reason, CloseReason::kServiceStopped);
  EXPECT_THAT(docker_.running(), Not(Contains("api")));
}

TEST_F(EngineTest, DockerDownAtStartIsRetriedAndConvergesLater) {
  docker_.SetRunning("api", true);
  docker_.SetDown(true);
  Boot();
  EXPECT_FALSE(engine_->planner().observed_once());
  docker_.SetDown(false);
  AdvanceTo(Seconds(5));
  EXPECT_TRUE(engine_->planner().observed_once());
  EXPECT_EQ(docker_.running(), std::set<std::string>{"redis"});
}

TEST_F(EngineTest, ServiceWithAHealthcheckIsReadyOnlyWhenHealthy) {
  Boot();
  int polls = 0;
  on_sleep_ = [&] {
    if (++polls == 8) docker_.SetHealth("cache", "healthy");
  };
  const TimePoint before = clock_.Now();
  auto opened = OpenAndWait({"cache"}, 60);
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(opened->window.state, WindowState::kOpen);
  EXPECT_EQ(opened->window.services_status.at("cache").state, ServiceState::kRunning);
  EXPECT_EQ(opened->window.services_status.at("cache").health, "healthy");
  EXPECT_GE(*opened->window.opened_at - before, Millis(8 * 250));  // the TTL starts when ready
}

TEST_F(EngineTest, ServiceNeverHealthyFailsAfterItsTimeout) {
  options_.readiness.default_timeout = Seconds(3);
  Boot();
  auto opened = OpenAndWait({"cache"}, 60);
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(opened->window.state, WindowState::kFailed);
  EXPECT_EQ(opened->window.services_status.at("cache").error,
            "not ready: not ready after 3 s (health: starting)");
  EXPECT_EQ(docker_.running(), std::set<std::string>{"redis"});  // rolled back
}

TEST_F(EngineTest, ProbeLabelledServiceIsReadyWhenItsUrlAnswers) {
  Boot();
  int polls = 0;
  on_sleep_ = [&] {
    if (++polls == 3) probe_.Set("http://127.0.0.1:9999/health", Status::Ok());
  };
  auto opened = OpenAndWait({"probed"}, 60);
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(opened->window.state, WindowState::kOpen);
  EXPECT_EQ(polls, 3);
}

TEST_F(EngineTest, SkipHealthOpensAsSoonAsTheContainersRun) {
  Boot();
  OpenRequest request;
  request.services = {"cache"};
  request.ttl_sec = 60;
  request.skip_health = true;
  std::optional<Result<OpenOutcome>> answer;
  engine_->Open(request, true, Seconds(300), [&](Result<OpenOutcome> r) { answer = std::move(r); });
  RunUntilIdle();
  ASSERT_TRUE(answer && answer->ok());
  EXPECT_EQ((*answer)->window.state, WindowState::kOpen);
  EXPECT_EQ((*answer)->window.services_status.at("cache").health, "starting");
}

DockerEvent Die(const std::string& service, int code, TimePoint t) {
  DockerEvent event;
  event.action = "die";
  event.service = service;
  event.container_id = "id-" + service;
  event.exit_code = code;
  event.time = t;
  return event;
}

TEST_F(EngineTest, ServiceThatDiesThreeTimesInAMinuteIsACrashLoop) {
  Boot();
  auto opened = OpenAndWait({"api"}, 600);
  ASSERT_TRUE(opened.ok());
  engine_->OnDockerEvent(Die("api", 1, clock_.Now()));
  engine_->OnDockerEvent(Die("api", 1, clock_.Now() + Seconds(10)));
  RunUntilIdle();
  EXPECT_THAT(audit_.actions(), Not(Contains("service.crashloop")));
  engine_->OnDockerEvent(Die("api", 2, clock_.Now() + Seconds(20)));
  RunUntilIdle();
  const Window* window = engine_->planner().FindWindow(opened->window.id);
  ASSERT_NE(window, nullptr);
  EXPECT_EQ(window->services_status.at("api").state, ServiceState::kCrashloop);
  EXPECT_THAT(window->services_status.at("api").error, ::testing::HasSubstr("exit codes 1, 1, 2"));
  EXPECT_EQ(audit_.records().back().action, "service.crashloop");
  EXPECT_EQ(audit_.records().back().outcome, AuditOutcome::kReported);
  EXPECT_THAT(docker_.running(), Contains("api"));  // report only, by default
}

TEST_F(EngineTest, ACrashLoopIsReportedAgainAfterTheServiceWasStoppedAndStarted) {
  Boot();
  auto opened = OpenAndWait({"api"}, 600);
  ASSERT_TRUE(opened.ok());
  for (int i = 0; i < 3; ++i) engine_->OnDockerEvent(Die("api", 1, clock_.Now() + Seconds(i)));
  RunUntilIdle();
  std::optional<Result<Window>> closed;
  engine_->Close(std::nullopt, "127.0.0.1", [&](Result<Window> w) { closed = std::move(w); });
  RunUntilIdle();
  ASSERT_TRUE(OpenAndWait({"api"}, 600).ok());
  for (int i = 0; i < 3; ++i) engine_->OnDockerEvent(Die("api", 1, clock_.Now() + Seconds(10 + i)));
  RunUntilIdle();
  int reports = 0;
  for (const auto& action : audit_.actions()) reports += action == "service.crashloop";
  EXPECT_EQ(reports, 2);
}

TEST_F(EngineTest, CrashLoopActionStopStopsTheService) {
  options_.crashloop_action = CrashLoopAction::kStop;
  Boot();
  auto opened = OpenAndWait({"api"}, 600);
  ASSERT_TRUE(opened.ok());
  for (int i = 0; i < 3; ++i) engine_->OnDockerEvent(Die("api", 1, clock_.Now() + Seconds(i)));
  RunUntilIdle();
  EXPECT_THAT(docker_.running(), Not(Contains("api")));
  EXPECT_EQ(store_.Get(opened->window.id)->value().close_reason, CloseReason::kServiceStopped);
}

TEST_F(EngineTest, DeathsCausedByMadreAreNotCrashes) {
  Boot();
  auto opened = OpenAndWait({"api"}, 600);
  ASSERT_TRUE(opened.ok());
  std::optional<Result<Window>> closed;
  engine_->Close(std::nullopt, "127.0.0.1", [&](Result<Window> w) { closed = std::move(w); });
  for (int i = 0; i < 3; ++i) engine_->OnDockerEvent(Die("api", 137, clock_.Now() + Seconds(i)));
  RunUntilIdle();
  EXPECT_THAT(audit_.actions(), Not(Contains("service.crashloop")));
}

TEST_F(EngineTest, MetricsCountOpensClosesDockerOpsAndTheTtlStopLag) {
  Metrics metrics;
  DeclareMadreMetrics(metrics);
  options_.metrics = &metrics;
  Boot();
  auto opened = OpenAndWait({"api"}, 10);
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(metrics.Value(kMetricWindowOpens, {{"outcome", "ok"}}), 1);
  EXPECT_EQ(metrics.Count(kMetricWindowReady), 1u);
  AdvanceTo(Seconds(10));
  EXPECT_EQ(metrics.Value(kMetricWindowCloses, {{"reason", "ttl_expired"}}), 1);
  // One sample per TTL close (taken when the close starts: it cannot show Docker's latency).
  EXPECT_EQ(metrics.Count(kMetricTtlStopLag), 1u);
  EXPECT_EQ(metrics.Value(kMetricDockerOps, {{"verb", "start"}, {"result", "ok"}}), 1);
  EXPECT_EQ(metrics.Value(kMetricDockerOps, {{"verb", "stop"}, {"result", "ok"}}), 1);
}

TEST_F(EngineTest, ATtlStopRunsOnTheStopLaneWhileTheStartLaneIsBlockedAndItsLagIsTakenThen) {
  Metrics metrics;
  DeclareMadreMetrics(metrics);
  options_.metrics = &metrics;
  Boot();
  auto opened = OpenAndWait({"api"}, 10);
  ASSERT_TRUE(opened.ok());
  ASSERT_EQ(opened->window.state, WindowState::kOpen);
  // A second open whose start never gets a worker: the start lane is blocked for this test.
  OpenRequest request;
  request.services = {"cache"};
  request.ttl_sec = 600;
  request.actor = "127.0.0.1";
  engine_->Open(request, false, Seconds(0), [](Result<OpenOutcome>) {});
  loop_.RunAll();
  const std::size_t blocked = workers_.size();
  ASSERT_GE(blocked, 1u);

  clock_.Advance(Seconds(10));
  engine_->Tick();
  ASSERT_EQ(stops_.size(), 1u) << "the TTL stop must go to the stop lane";
  EXPECT_EQ(workers_.size(), blocked) << "nothing new may queue behind the blocked start";
  EXPECT_EQ(metrics.Count(kMetricTtlStopLag), 0u) << "the stop was not issued yet";

  clock_.Advance(Seconds(2));  // the stop waits 2 s for a worker of its lane
  while (stops_.size() + loop_.size() > 0) {
    stops_.RunAll();
    loop_.RunAll();
  }
  EXPECT_FALSE(docker_.running().count("api"));
  EXPECT_FALSE(docker_.running().count("db"));
  EXPECT_EQ(store_.Get(opened->window.id)->value().state, WindowState::kClosed);
  EXPECT_EQ(workers_.size(), blocked) << "the start is still waiting";
  EXPECT_EQ(metrics.Count(kMetricTtlStopLag), 1u);
  const std::string text = metrics.RenderText();
  EXPECT_NE(text.find("madre_ttl_stop_lag_seconds_bucket{le=\"1\"} 0"), std::string::npos) << text;
  EXPECT_NE(text.find("madre_ttl_stop_lag_seconds_bucket{le=\"5\"} 1"), std::string::npos) << text;
}

TEST_F(EngineTest, FastPathStartsExistingContainersThroughTheEngineApiAndCreatesOnlyMissingOnes) {
  options_.control = &docker_;
  docker_.SetRunning("db", false);  // created earlier, stopped
  Boot();
  auto opened = OpenAndWait({"web"}, 60);
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(opened->window.state, WindowState::kOpen);
  EXPECT_THAT(docker_.calls(), ElementsAre("api-start db", "up web"));  // web had no container
  EXPECT_THAT(opened->window.services_started, ElementsAre("db", "web"));
  std::optional<Result<Window>> closed;
  engine_->Close(std::nullopt, "127.0.0.1", [&](Result<Window> w) { closed = std::move(w); });
  RunUntilIdle();
  ASSERT_TRUE(closed && closed->ok());
  EXPECT_THAT(docker_.calls(),
              ElementsAre("api-start db", "up web", "api-stop web", "api-stop db"));
  EXPECT_EQ(docker_.running(), std::set<std::string>{"redis"});
  // The audit names the Engine API calls.
  EXPECT_EQ(audit_.records().back().ops[0].command, "POST /containers/fake-web-1/stop");
}

TEST_F(EngineTest, FastPathRecreatesAContainerWhoseComposeConfigurationChanged) {
  options_.control = &docker_;
  docker_.SetConfigHash("db", "aaaa");
  docker_.SetRunning("db", false);      // made by compose from the old file, stopped
  docker_.SetConfigHash("db", "bbbb");  // then the operator edited the compose file
  Boot();
  auto opened = OpenAndWait({"db"}, 60);
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(opened->window.state, WindowState::kOpen);
  EXPECT_THAT(docker_.calls(), ElementsAre("config-hash", "up db"));
  EXPECT_THAT(docker_.calls(), Not(Contains("api-start db")));
}

TEST_F(EngineTest, AConfigHashFailureDoesNotFailTheOpenAndIsAudited) {
  options_.control = &docker_;
  docker_.SetConfigHash("db", "aaaa");
  docker_.SetRunning("db", false);
  docker_.FailNext("config-hash", Status::Unavailable("compose is broken"));
  Boot();
  auto opened = OpenAndWait({"db"}, 60);
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(opened->window.state, WindowState::kOpen);
  EXPECT_THAT(docker_.calls(), ElementsAre("config-hash", "api-start db"));
  const AuditRecord record = audit_.records().back();
  ASSERT_EQ(record.action, "window.opened");
  ASSERT_FALSE(record.ops.empty());
  EXPECT_THAT(record.ops[0].command, ::testing::HasSubstr("config --hash"));
  EXPECT_THAT(record.ops[0].output, ::testing::HasSubstr("compose is broken"));
}

TEST_F(EngineTest, FastPathFailureIsReportedPerService) {
  options_.control = &docker_;
  docker_.SetRunning("db", false);
  docker_.FailNext("api-start", Status::Unavailable("engine said no"));
  Boot();
  auto opened = OpenAndWait({"db"}, 60);
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(opened->window.state, WindowState::kFailed);
  EXPECT_THAT(opened->window.services_status.at("db").error,
              ::testing::HasSubstr("engine said no"));
}

TEST_F(EngineTest, PauseStrategyPausesOnCloseAndUnpausesOnOpen) {
  options_.control = &docker_;
  options_.pause_on_stop = true;
  docker_.SetRunning("db", false);
  docker_.SetRunning("api", false);
  Boot();
  ASSERT_TRUE(OpenAndWait({"api"}, 60).ok());
  std::optional<Result<Window>> closed;
  engine_->Close(std::nullopt, "127.0.0.1", [&](Result<Window> w) { closed = std::move(w); });
  RunUntilIdle();
  ASSERT_TRUE(closed && closed->ok());
  EXPECT_THAT((*closed)->services_stopped, ElementsAre("api", "db"));
  EXPECT_EQ(docker_.running(), std::set<std::string>{"redis"});  // paused is not running
  auto reopened = OpenAndWait({"api"}, 60);
  ASSERT_TRUE(reopened.ok());
  EXPECT_EQ(reopened->window.state, WindowState::kOpen);
  EXPECT_THAT(docker_.calls(), ElementsAre("api-start db", "api-start api", "api-pause api",
                                           "api-pause db", "api-unpause db", "api-unpause api"));
}

TEST_F(EngineTest, SoloMadreApplyReallyStopsEvenWithThePauseStrategy) {
  options_.control = &docker_;
  options_.pause_on_stop = true;
  docker_.SetRunning("db", false);
  docker_.SetRunning("api", false);
  Boot();
  ASSERT_TRUE(OpenAndWait({"api"}, 60).ok());
  std::optional<Result<SoloMadreOutcome>> answer;
  engine_->ApplySoloMadre("127.0.0.1", [&](Result<SoloMadreOutcome> r) { answer = std::move(r); });
  RunUntilIdle();
  ASSERT_TRUE(answer && answer->ok());
  EXPECT_THAT((*answer)->services_stopped, ::testing::UnorderedElementsAre("api", "db"));
  EXPECT_THAT(docker_.calls(), Contains("api-stop api"));
  EXPECT_THAT(docker_.calls(), Contains("api-stop db"));
  EXPECT_THAT(docker_.calls(), Not(Contains(::testing::StartsWith("api-pause"))));
}

TEST_F(EngineTest, PauseStrategyStopsACrashLoopingServiceInsteadOfRetryingForever) {
  options_.control = &docker_;
  options_.pause_on_stop = true;
  docker_.SetRunning("db", false);
  docker_.SetRunning("api", false);
  Boot();
  auto opened = OpenAndWait({"api"}, 10);
  ASSERT_TRUE(opened.ok());
  docker_.SetRestarting("api");  // restart: always, between two deaths
  AdvanceTo(Seconds(10));
  EXPECT_THAT(docker_.calls(), Contains("api-stop api"));
  EXPECT_THAT(docker_.calls(), Contains("api-pause db"));
  EXPECT_EQ(store_.Get(opened->window.id)->value().state, WindowState::kClosed);
  EXPECT_EQ(store_.Get(opened->window.id)->value().error, "");
  EXPECT_EQ(docker_.running(), std::set<std::string>{"redis"});
}

TEST_F(EngineTest, AStartOfContainersMadreKnowsStoppedDoesNotListTheProjectFirst) {
  options_.control = &docker_;
  docker_.SetRunning("db", false);
  docker_.SetRunning("api", false);
  Boot();
  docker_.RecordLists();
  auto opened = OpenAndWait({"api"}, 60);
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(opened->window.state, WindowState::kOpen);
  // The starts come first; the listing after them tells whether they run.
  const std::vector<std::string> calls = docker_.calls();
  ASSERT_GE(calls.size(), 3u);
  EXPECT_THAT(std::vector<std::string>(calls.begin(), calls.begin() + 3),
              ElementsAre("api-start db", "api-start api", "list"));
}

TEST_F(EngineTest, AStartFromAViewThatIsStaleListsAndStartsTheContainerThatIsThere) {
  options_.control = &docker_;
  docker_.SetRunning("db", false);
  Boot();
  docker_.Recreate("db");  // by hand, no event: madre's view names a container that is gone
  docker_.RecordLists();
  auto opened = OpenAndWait({"db"}, 60);
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(opened->window.state, WindowState::kOpen);
  EXPECT_EQ(docker_.running(), (std::set<std::string>{"db", "redis"}));
  const std::vector<std::string> calls = docker_.calls();
  ASSERT_GE(calls.size(), 2u);
  EXPECT_THAT(std::vector<std::string>(calls.begin(), calls.begin() + 2),
              ElementsAre("list", "api-start db"));
}

DockerEvent Started(const std::string& service) {
  DockerEvent event;
  event.action = "start";
  event.service = service;
  event.container_id = "id-" + service;
  return event;
}

TEST_F(EngineTest, EventsOfAServiceBeingStartedWaitForTheStartsOwnListing) {
  options_.control = &docker_;
  docker_.SetRunning("db", false);
  Boot();
  std::optional<Result<OpenOutcome>> answer;
  OpenRequest request;
  request.services = {"db"};
  request.ttl_sec = 60;
  request.actor = "127.0.0.1";
  engine_->Open(request, true, Seconds(300), [&](Result<OpenOutcome> r) { answer = r; });
  ASSERT_EQ(workers_.size(), 1u);  // the start, not run yet
  engine_->OnDockerEvent(Started("db"));
  EXPECT_EQ(stops_.size(), 0u) << "no observation competes with the start";
  workers_.RunAll();
  loop_.RunAll();  // the start's result: the put-off observation is asked for now
  EXPECT_EQ(stops_.size(), 1u);
  RunUntilIdle();
  ASSERT_TRUE(answer && answer->ok());
  EXPECT_EQ((*answer)->window.state, WindowState::kOpen);
  // An event of a service with nothing in flight is observed at once.
  engine_->OnDockerEvent(Started("api"));
  EXPECT_EQ(stops_.size(), 1u);
}

TEST_F(EngineTest, AnObservationPutOffByAnEventWaitsAtMostTheDeferral) {
  options_.control = &docker_;
  docker_.SetRunning("db", false);
  Boot();
  OpenRequest request;
  request.services = {"db"};
  request.ttl_sec = 60;
  request.actor = "127.0.0.1";
  engine_->Open(request, false, Seconds(300), [](Result<OpenOutcome>) {});
  ASSERT_EQ(workers_.size(), 1u);
  engine_->OnDockerEvent(Started("db"));
  EXPECT_EQ(stops_.size(), 0u);
  ASSERT_TRUE(engine_->NextDeadline().has_value());
  EXPECT_LE(*engine_->NextDeadline(), clock_.Now() + kEventObserveDeferral);
  clock_.Advance(kEventObserveDeferral);
  engine_->Tick();
  EXPECT_EQ(stops_.size(), 1u) << "the start still runs, the observation no longer waits";
  EXPECT_EQ(workers_.size(), 1u);
  RunUntilIdle();
}

TEST_F(EngineTest, AResultWhoseHandlingThrowsDoesNotStopTheEngine) {
  Boot();
  OpenRequest request;
  request.services = {"db"};
  request.ttl_sec = 60;
  request.actor = "127.0.0.1";
  engine_->Open(request, true, Seconds(300),
                [](Result<OpenOutcome>) { throw std::runtime_error("reply failed"); });
  RunUntilIdle();  // the throw stays inside the result's job
  EXPECT_FALSE(engine_->planner().services().at("db").in_flight);
  auto again = OpenAndWait({"api"}, 60);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->window.state, WindowState::kOpen);
}

TEST_F(EngineTest, SoloMadreApplyStopsContainersThatACloseLeftPaused) {
  options_.control = &docker_;
  options_.pause_on_stop = true;
  docker_.SetRunning("db", false);
  docker_.SetRunning("api", false);
  Boot();
  ASSERT_TRUE(OpenAndWait({"api"}, 60).ok());
  std::optional<Result<Window>> closed;
  engine_->Close(std::nullopt, "127.0.0.1", [&](Result<Window> w) { closed = std::move(w); });
  RunUntilIdle();
  ASSERT_TRUE(closed && closed->ok());
  ASSERT_THAT(docker_.calls(), Contains("api-pause api"));
  std::optional<Result<SoloMadreOutcome>> answer;
  engine_->ApplySoloMadre("127.0.0.1", [&](Result<SoloMadreOutcome> r) { answer = std::move(r); });
  RunUntilIdle();
  ASSERT_TRUE(answer && answer->ok());
  EXPECT_THAT((*answer)->services_stopped, ::testing::UnorderedElementsAre("api", "db"));
  EXPECT_THAT(docker_.calls(), Contains("api-stop api"));
  EXPECT_THAT(docker_.calls(), Contains("api-stop db"));
  Result<std::vector<ContainerState>> listed = docker_.ListProject();
  ASSERT_TRUE(listed.ok());
  for (const auto& c : *listed) {
    EXPECT_NE(c.state, "paused") << c.service << " is still paused";
  }
}

TEST_F(EngineTest, LosingAndRegainingTheEventsStreamAreChangesOfTheReadView) {
  Boot();
  int changes = 0;
  engine_->SetOnChange([&changes] { ++changes; });
  ASSERT_NE(engine_->Snapshot().Current(), nullptr);
  engine_->OnEventsConnected(false);
  EXPECT_EQ(changes, 1) << "the cached read views must learn that the observation is stale";
  EXPECT_EQ(engine_->Snapshot().Current(), nullptr);
  EXPECT_EQ(stops_.size() + workers_.size(), 0u) << "nothing to observe while events are lost";
  engine_->OnEventsConnected(true);
  EXPECT_EQ(changes, 2);
  RunUntilIdle();  // the observation of the gap
  EXPECT_NE(engine_->Snapshot().Current(), nullptr);
}

}  // namespace
}  // namespace madre
