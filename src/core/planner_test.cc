#include "core/planner.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "testing/model_builder.h"

namespace madre {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

const TimePoint kT0 = FromMicros(1'795'514'400'000'000);

ServiceModel Model() {
  return ModelOf(
      {{"redis", {}}, {"db", {}}, {"web", {"db", "redis"}}, {"api", {"db"}}, {"worker", {"api"}}});
}

PlannerConfig Config(int max_concurrent = 4) {
  PlannerConfig config;
  config.always_on = {"madre", "redis"};
  config.allowlist = {"db", "web", "api", "worker"};
  config.max_concurrent = max_concurrent;
  config.resync_interval = Duration::zero();
  return config;
}

ContainerState Running(std::string service) {
  ContainerState c;
  c.service = service;
  c.container = "p-" + service + "-1";
  c.state = "running";
  return c;
}

class PlannerTest : public ::testing::Test {
 protected:
  PlannerTest() : planner_(Config(), Model()) {}

  // Answers the startup observe with `running`.
  void ObserveInitially(std::vector<std::string> running) {
    const std::int64_t id = planner_.RequestObserve(ActorKind::kMadre);
    auto actions = planner_.TakeActions();
    ASSERT_EQ(actions.size(), 1u);
    ActionResult result;
    result.action_id = id;
    result.has_observation = true;
    for (auto& s : running) result.observed.push_back(Running(s));
    planner_.OnActionDone(result, now_);
  }

  Window OpenOk(std::vector<std::string> services, std::optional<std::int64_t> ttl,
                std::string id = "w1") {
    OpenRequest request;
    request.services = std::move(services);
    request.ttl_sec = ttl;
    request.actor = "127.0.0.1";
    auto window = planner_.Open(request, id, now_);
    EXPECT_TRUE(window.ok()) << window.status().ToString();
    return window.ok() ? *window : Window{};
  }

  // Completes every pending action successfully.
  std::vector<Action> FinishAll() {
    std::vector<Action> done;
    for (int round = 0; round < 10; ++round) {
      auto actions = planner_.TakeActions();
      if (actions.empty()) break;
      for (const auto& action : actions) {
        ActionResult result;
        result.action_id = action.id;
        for (const auto& s : action.services) result.services.push_back({s, true, ""});
        planner_.OnActionDone(result, now_);
        done.push_back(action);
      }
    }
    return done;
  }

  WindowState StateOf(const std::string& id) {
    for (const auto& w : planner_.TakeChangedWindows()) last_[w.id] = w;
    return last_.at(id).state;
  }

  TimePoint now_ = kT0;
  Planner planner_;
  std::map<std::string, Window> last_;
};

TEST_F(PlannerTest, DoesNothingBeforeDockerWasObserved) {
  OpenOk({"web"}, 60);
  auto actions = planner_.TakeActions();
  EXPECT_THAT(actions, IsEmpty());
}

TEST_F(PlannerTest, OpenStartsTheDependencyClosureMinusAlwaysOnInStartOrder) {
  ObserveInitially({"redis"});
  Window window = OpenOk({"web"}, 60);
  EXPECT_EQ(window.state, WindowState::kOpening);
  EXPECT_THAT(window.effective_services, ElementsAre("db", "web"));
  auto actions = planner_.TakeActions();
  ASSERT_EQ(actions.size(), 1u);
  EXPECT_EQ(actions[0].kind, ActionKind::kStart);
  EXPECT_THAT(actions[0].services, ElementsAre("db", "web"));
  EXPECT_THAT(actions[0].window_ids, ElementsAre("w1"));
}

TEST_F(PlannerTest, TtlCountsFromWhenTheWindowIsOpenNotFromTheRequest) {
  ObserveInitially({"redis"});
  OpenOk({"api"}, 60);
  now_ += Seconds(20);  // docker took 20 s
  FinishAll();
  const Window* window = planner_.FindWindow("w1");
  ASSERT_NE(window, nullptr);
  EXPECT_EQ(window->state, WindowState::kOpen);
  EXPECT_EQ(window->opened_at, kT0 + Seconds(20));
  EXPECT_EQ(window->deadline, kT0 + Seconds(80));
  EXPECT_EQ(planner_.NextDeadline(), kT0 + Seconds(80));
  EXPECT_THAT(window->services_started, ElementsAre("db", "api"));
}

TEST_F(PlannerTest, WindowExpiresAtItsDeadlineAndStopsItsServicesDependenciesIncluded) {
  ObserveInitially({"redis"});
  OpenOk({"web"}, 10);
  FinishAll();
  now_ += Seconds(9);
  planner_.Advance(now_);
  EXPECT_THAT(planner_.TakeActions(), IsEmpty());
  now_ += Seconds(1);
  planner_.Advance(now_);
  auto actions = planner_.TakeActions();
  ASSERT_EQ(actions.size(), 1u);
  EXPECT_EQ(actions[0].kind, ActionKind::kStop);
  EXPECT_THAT(actions[0].services, ElementsAre("web", "db"));  // dependents first
  EXPECT_EQ(actions[0].actor.kind, ActorKind::kTtl);
  EXPECT_EQ(StateOf("w1"), WindowState::kClosing);
  ActionResult result{
      actions[0].id, Status::Ok(), {{"web", true, ""}, {"db", true, ""}}, {}, false};
  planner_.OnActionDone(result, now_);
  auto changed = planner_.TakeChangedWindows();
  ASSERT_EQ(changed.size(), 1u);
  EXPECT_EQ(changed[0].state, WindowState::kClosed);
  EXPECT_EQ(changed[0].close_reason, CloseReason::kTtlExpired);
  EXPECT_THAT(changed[0].services_stopped, ElementsAre("web", "db"));
  ASSERT_NE(planner_.FindWindow("w1"), nullptr);  // closed, but not recorded yet
  planner_.WindowSaved("w1");
  EXPECT_EQ(planner_.FindWindow("w1"), nullptr);  // terminal windows leave once saved
}

TEST_F(PlannerTest, HeldWindowNeverExpiresUntilHoldIsReleased) {
  ObserveInitially({"redis"});
  OpenOk({"api"}, 10);
  FinishAll();
  ASSERT_TRUE(planner_.SetHold("w1", true, now_).ok());
  now_ += Seconds(3600);
  planner_.Advance(now_);
  EXPECT_THAT(planner_.TakeActions(), IsEmpty());
  EXPECT_EQ(planner_.NextDeadline(), std::nullopt);
  ASSERT_TRUE(planner_.SetHold("w1", false, now_).ok());  // deadline long passed: closes at once
  auto actions = planner_.TakeActions();
  ASSERT_EQ(actions.size(), 1u);
  EXPECT_EQ(actions[0].kind, ActionKind::kStop);
}

TEST_F(PlannerTest, HoldModeWindowHasNoDeadline) {
  ObserveInitially({"redis"});
  Window window = OpenOk({"api"}, std::nullopt);
  EXPECT_EQ(window.mode, "hold");
  EXPECT_TRUE(window.hold);
  FinishAll();
  EXPECT_EQ(planner_.FindWindow("w1")->deadline, std::nullopt);
  EXPECT_EQ(planner_.SetHold("w1", false, now_).code(), StatusCode::kFailedPrecondition);
}

TEST_F(PlannerTest, ExtendMovesTheDeadline) {
  ObserveInitially({"redis"});
  OpenOk({"api"}, 60);
  FinishAll();
  auto window = planner_.Extend("w1", 120, now_ + Seconds(10));
  ASSERT_TRUE(window.ok());
  EXPECT_EQ(window->deadline, kT0 + Seconds(180));
  EXPECT_EQ(planner_.Extend("w1", 0, now_).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(planner_.Extend("w1", 8 * 24 * 3600, now_).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(planner_.Extend("nope", 10, now_).code(), StatusCode::kNotFound);
}

TEST_F(PlannerTest, SharedServiceSurvivesTheFirstClose) {
  ObserveInitially({"redis"});
  OpenOk({"web"}, 60, "w1");  // db, web
  FinishAll();
  OpenOk({"api"}, 60, "w2");  // db (shared), api
  auto starts = planner_.TakeActions();
  ASSERT_EQ(starts.size(), 1u);
  EXPECT_THAT(starts[0].services, ElementsAre("api"));  // db is already running: not restarted
  planner_.OnActionDone({starts[0].id, Status::Ok(), {{"api", true, ""}}, {}, false}, now_);
  ASSERT_TRUE(planner_.Close("w1", CloseReason::kManualClose, now_).ok());
  auto stops = planner_.TakeActions();
  ASSERT_EQ(stops.size(), 1u);
  EXPECT_THAT(stops[0].services, ElementsAre("web"));  // db stays for w2
  FinishAll();
  ASSERT_TRUE(planner_.Close("w2", CloseReason::kManualClose, now_).ok());
  auto last = planner_.TakeActions();
  ASSERT_EQ(last.size(), 1u);
  EXPECT_THAT(last[0].services, ElementsAre("api", "db"));
}

TEST_F(PlannerTest, RefusesServicesOutsideTheAllowlistSortedAndChangesNothing) {
  ObserveInitially({"redis"});
  OpenRequest request;
  request.services = {"zeta", "web", "alpha", "x; touch /tmp/pwned", "redis"};
  auto result = planner_.Open(request, "w1", now_);
  EXPECT_EQ(result.code(), StatusCode::kNotAllowed);
  EXPECT_EQ(result.status().message(),
            "Services not in allowlist: [\"alpha\", \"redis\", \"x; touch /tmp/pwned\", \"zeta\"]");
  EXPECT_THAT(planner_.TakeActions(), IsEmpty());
  EXPECT_THAT(planner_.TakeChangedWindows(), IsEmpty());
  EXPECT_TRUE(planner_.windows().empty());
}

TEST_F(PlannerTest, RefusesBadTtlAndEmptyServices) {
  ObserveInitially({"redis"});
  OpenRequest request;
  request.services = {"api"};
  request.ttl_sec = -1;
  EXPECT_EQ(planner_.Open(request, "w1", now_).code(), StatusCode::kInvalidArgument);
  request.ttl_sec = 7 * 24 * 3600 + 1;
  EXPECT_EQ(planner_.Open(request, "w1", now_).code(), StatusCode::kInvalidArgument);
  request.services.clear();
  request.ttl_sec = 10;
  EXPECT_EQ(planner_.Open(request, "w1", now_).code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(planner_.windows().empty());
}

TEST_F(PlannerTest, RefusesABadCpuLimitAndKeepsAGoodOneOnTheWindow) {
  ObserveInitially({"redis"});
  OpenRequest request;
  request.services = {"api"};
  request.ttl_sec = 60;
  for (double bad : {0.0, -1.0, 0.001, 2000.0, std::nan("")}) {
    request.cpu_limit = bad;
    Result<Window> refused = planner_.Open(request, "w1", now_);
    EXPECT_EQ(refused.code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(refused.status().message(), HasSubstr("cpu_limit")) << bad;
  }
  EXPECT_TRUE(planner_.windows().empty());
  request.cpu_limit = 0.5;
  Result<Window> window = planner_.Open(request, "w1", now_);
  ASSERT_TRUE(window.ok()) << window.status().ToString();
  EXPECT_EQ(window->cpu_limit, 0.5);
}

TEST(PlannerLimitTest, WindowLimitIsEnforcedAndFreedByClose) {
  Planner planner(Config(1), Model());
  OpenRequest request;
  request.services = {"api"};
  request.ttl_sec = 60;
  ASSERT_TRUE(planner.Open(request, "w1", kT0).ok());
  EXPECT_EQ(planner.Open(request, "w2", kT0).code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE(planner.Close("w1", CloseReason::kManualClose, kT0).ok());
  EXPECT_TRUE(planner.Open(request, "w2", kT0).ok());
}

TEST_F(PlannerTest, WindowWhoseEveryServiceFailsIsFailedAndCleansUp) {
  ObserveInitially({"redis"});
  OpenOk({"api"}, 60);
  auto actions = planner_.TakeActions();
  ASSERT_EQ(actions.size(), 1u);
  ActionResult result{actions[0].id,
                      Status::Unavailable("compose failed"),
                      {{"db", false, "no such image"}, {"api", false, "no such image"}},
                      {},
                      false};
  planner_.OnActionDone(result, now_);
  auto changed = planner_.TakeChangedWindows();
  ASSERT_EQ(changed.size(), 1u);
  EXPECT_EQ(changed[0].state, WindowState::kFailed);
  EXPECT_EQ(changed[0].close_reason, CloseReason::kExecFailed);
  EXPECT_EQ(changed[0].services_status.at("api").error, "no such image");
  EXPECT_THAT(changed[0].services_started, IsEmpty());
  auto cleanup = planner_.TakeActions();
  ASSERT_EQ(cleanup.size(), 1u);
  EXPECT_EQ(cleanup[0].kind, ActionKind::kStop);
}

TEST_F(PlannerTest, PartialFailureStillOpensAndReportsTheFailedService) {
  ObserveInitially({"redis"});
  OpenOk({"api"}, 60);
  auto actions = planner_.TakeActions();
  ActionResult result{actions[0].id,
                      Status::Unavailable("x"),
                      {{"db", true, ""}, {"api", false, "exit 1"}},
                      {},
                      false};
  planner_.OnActionDone(result, now_);
  const Window* window = planner_.FindWindow("w1");
  ASSERT_NE(window, nullptr);
  EXPECT_EQ(window->state, WindowState::kOpen);
  EXPECT_THAT(window->services_started, ElementsAre("db"));
  EXPECT_EQ(window->services_status.at("api").state, ServiceState::kFailed);
}

TEST_F(PlannerTest, NeverTwoActionsInFlightForOneService) {
  ObserveInitially({"redis"});
  OpenOk({"api"}, 60);
  auto start = planner_.TakeActions();
  ASSERT_EQ(start.size(), 1u);
  ASSERT_TRUE(planner_.Close("w1", CloseReason::kManualClose, now_).ok());
  EXPECT_THAT(planner_.TakeActions(), IsEmpty());  // waits for the start to finish
  planner_.OnActionDone(
      {start[0].id, Status::Ok(), {{"db", true, ""}, {"api", true, ""}}, {}, false}, now_);
  auto stop = planner_.TakeActions();
  ASSERT_EQ(stop.size(), 1u);
  EXPECT_EQ(stop[0].kind, ActionKind::kStop);
  EXPECT_THAT(stop[0].services, ElementsAre("api", "db"));
}

TEST_F(PlannerTest, ObservationStopsWhatNothingNeedsAndStartsAlwaysOn) {
  ObserveInitially({"worker"});  // worker started by hand, redis down
  auto actions = planner_.TakeActions();
  ASSERT_EQ(actions.size(), 2u);
  EXPECT_EQ(actions[0].kind, ActionKind::kStart);
  EXPECT_THAT(actions[0].services, ElementsAre("redis"));
  EXPECT_EQ(actions[1].kind, ActionKind::kStop);
  EXPECT_THAT(actions[1].services, ElementsAre("worker"));
  EXPECT_EQ(actions[1].actor.kind, ActorKind::kReconcile);
}

TEST_F(PlannerTest, RestoreClosesWindowsThatExpiredWhileDownAndKeepsTheOthers) {
  Window expired;
  expired.id = "old";
  expired.state = WindowState::kOpen;
  expired.ttl_sec = 10;
  expired.deadline = kT0 - Seconds(1);
  expired.services = {"api"};
  expired.effective_services = {"db", "api"};
  Window alive = expired;
  alive.id = "alive";
  alive.services = {"web"};
  alive.effective_services = {"db", "web"};
  alive.deadline = kT0 + Seconds(30);
  planner_.Restore({expired, alive}, now_);
  ObserveInitially({"redis", "db", "api", "web"});
  auto actions = planner_.TakeActions();
  ASSERT_EQ(actions.size(), 1u);
  EXPECT_THAT(actions[0].services, ElementsAre("api"));  // db is still needed by `alive`
  EXPECT_EQ(planner_.NextDeadline(), kT0 + Seconds(30));
  planner_.OnActionDone({actions[0].id, Status::Ok(), {{"api", true, ""}}, {}, false}, now_);
  auto changed = planner_.TakeChangedWindows();
  bool saw_expired = false;
  for (const auto& w : changed) {
    if (w.id == "old") {
      saw_expired = true;
      EXPECT_EQ(w.state, WindowState::kClosed);
      EXPECT_EQ(w.close_reason, CloseReason::kTtlExpired);
    }
  }
  EXPECT_TRUE(saw_expired);
}

TEST_F(PlannerTest, RestoredOpeningWindowWaitsForItsRunningServicesToProveReady) {
  Window opening;
  opening.id = "w";
  opening.state = WindowState::kOpening;
  opening.ttl_sec = 60;
  opening.services = {"api"};
  opening.effective_services = {"db", "api"};
  planner_.Restore({opening}, now_);
  ObserveInitially({"redis", "db", "api"});  // running, but maybe not ready
  EXPECT_EQ(planner_.FindWindow("w")->state, WindowState::kOpening);
  auto actions = planner_.TakeActions();
  ASSERT_EQ(actions.size(), 1u);
  EXPECT_EQ(actions[0].kind, ActionKind::kStart);  // a no-op start, then the readiness wait
  EXPECT_THAT(actions[0].services, ElementsAre("db", "api"));
  planner_.OnActionDone(
      {actions[0].id, Status::Ok(), {{"db", true, ""}, {"api", true, ""}}, {}, false},
      now_ + Seconds(3));
  EXPECT_EQ(planner_.FindWindow("w")->state, WindowState::kOpen);
  EXPECT_EQ(planner_.FindWindow("w")->deadline, now_ + Seconds(63));
}

TEST_F(PlannerTest, StoppingAServiceByHandRemovesItFromWindowsAndClosesEmptyOnes) {
  ObserveInitially({"redis"});
  OpenOk({"api"}, 60);
  FinishAll();
  ASSERT_TRUE(planner_.StopService("api", now_).ok());
  auto actions = planner_.TakeActions();
  ASSERT_EQ(actions.size(), 1u);
  EXPECT_THAT(actions[0].services, ElementsAre("api", "db"));
  planner_.OnActionDone(
      {actions[0].id, Status::Ok(), {{"api", true, ""}, {"db", true, ""}}, {}, false}, now_);
  auto changed = planner_.TakeChangedWindows();
  ASSERT_FALSE(changed.empty());
  EXPECT_EQ(changed.back().state, WindowState::kClosed);
  EXPECT_EQ(changed.back().close_reason, CloseReason::kServiceStopped);
  EXPECT_EQ(planner_.StopService("redis", now_).code(), StatusCode::kFailedPrecondition);
}

TEST(PlannerCpuTest, ACpuLimitMadreCannotApplyIsRefused) {
  PlannerConfig config = Config();
  config.cpu_limits = false;  // Swarm, or a tcp:// DOCKER_HOST
  Planner planner(config, Model());
  OpenRequest request;
  request.services = {"db"};
  request.ttl_sec = 60;
  request.cpu_limit = 0.5;
  Result<Window> refused = planner.Open(request, "w1", kT0);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(refused.status().message(), HasSubstr("cpu_limit needs the Engine API"));
  EXPECT_THAT(planner.TakeActions(), IsEmpty());
  request.cpu_limit.reset();
  EXPECT_TRUE(planner.Open(request, "w1", kT0).ok()) << "without cpu_limit it opens";
}

TEST(PlannerSelfTest, MadresOwnServiceIsNeverRestartedNorStopped) {
  PlannerConfig config = Config();
  config.self_service = "redis";  // madre runs in redis's container, for this test
  Planner planner(config, Model());
  const std::int64_t id = planner.RequestObserve(ActorKind::kMadre);
  ASSERT_EQ(planner.TakeActions().size(), 1u);
  ActionResult result;
  result.action_id = id;
  result.has_observation = true;
  result.observed = {Running("redis")};
  planner.OnActionDone(result, kT0);
  Result<std::int64_t> restart = planner.RestartService("redis", kT0);
  EXPECT_EQ(restart.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(restart.status().message(), HasSubstr("does not restart its own container"));
  EXPECT_EQ(planner.StopService("redis", kT0).code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(planner.TakeActions(), IsEmpty());
}

TEST_F(PlannerTest, SoloMadreClosesEveryWindowAndObserves) {
  ObserveInitially({"redis"});
  OpenOk({"api"}, 60);
  FinishAll();
  const std::int64_t observe = planner_.ApplySoloMadre(now_);
  auto actions = planner_.TakeActions();
  ASSERT_EQ(actions.size(), 2u);
  EXPECT_EQ(actions[0].kind, ActionKind::kStop);
  EXPECT_EQ(actions[1].kind, ActionKind::kObserve);
  EXPECT_EQ(actions[1].id, observe);
}

TEST_F(PlannerTest, FailedStopIsRetriedAfterBackoffOnly) {
  ObserveInitially({"redis", "worker"});
  auto stop = planner_.TakeActions();
  ASSERT_EQ(stop.size(), 1u);
  planner_.OnActionDone(
      {stop[0].id, Status::Unavailable("boom"), {{"worker", false, "boom"}}, {}, false}, now_);
  EXPECT_THAT(planner_.TakeActions(), IsEmpty());
  EXPECT_EQ(planner_.NextDeadline(), now_ + Seconds(5));
  now_ += Seconds(5);
  planner_.Advance(now_);
  auto retry = planner_.TakeActions();
  ASSERT_EQ(retry.size(), 1u);
  EXPECT_THAT(retry[0].services, ElementsAre("worker"));
}

TEST_F(PlannerTest, FailedAlwaysOnServiceIsStartedAgainAfterTheBackoff) {
  ObserveInitially({});
  auto start = planner_.TakeActions();
  ASSERT_EQ(start.size(), 1u);
  EXPECT_THAT(start[0].services, ElementsAre("redis"));
  planner_.OnActionDone(
      {start[0].id, Status::Unavailable("port busy"), {{"redis", false, "port busy"}}, {}, false},
      now_);
  EXPECT_THAT(planner_.TakeActions(), IsEmpty());
  now_ += Seconds(5);
  planner_.Advance(now_);
  auto retry = planner_.TakeActions();
  ASSERT_EQ(retry.size(), 1u);
  EXPECT_EQ(retry[0].kind, ActionKind::kStart);
  EXPECT_THAT(retry[0].services, ElementsAre("redis"));
}

// Fails every pending stop/start of `service` until madre gives up or `limit` attempts ran;
// returns the delays between the attempts (taken from NextDeadline, the clock then advanced).
std::vector<Duration> FailRepeatedly(Planner& planner, TimePoint& now, const std::string& service,
                                     int limit) {
  std::vector<Duration> delays;
  for (int attempt = 0; attempt < limit; ++attempt) {
    auto actions = planner.TakeActions();
    if (actions.size() != 1u) break;
    EXPECT_THAT(actions[0].services, ElementsAre(service));
    planner.OnActionDone(
        {actions[0].id, Status::Unavailable("boom"), {{service, false, "boom"}}, {}, false}, now);
    const std::optional<TimePoint> next = planner.NextDeadline();
    if (!next) break;
    delays.push_back(*next - now);
    now = *next;
    planner.Advance(now);
  }
  return delays;
}

TEST_F(PlannerTest, FailingStopBacksOffExponentiallyAndGivesUpAfterEightAttempts) {
  ObserveInitially({"redis", "worker"});
  const std::vector<Duration> delays = FailRepeatedly(planner_, now_, "worker", 20);
  EXPECT_THAT(delays, ElementsAre(Seconds(5), Seconds(10), Seconds(20), Seconds(40), Seconds(80),
                                  Seconds(160), Seconds(300)));  // then the 8th failure: give up
  const ServiceTrack& track = planner_.services().at("worker");
  EXPECT_TRUE(track.gave_up);
  EXPECT_EQ(track.phase, ServicePhase::kFailed);
  EXPECT_EQ(track.error, "boom");
  EXPECT_EQ(ServiceStateOf(track), ServiceState::kFailed);  // what services_status shows
  EXPECT_EQ(planner_.NextDeadline(), std::nullopt);         // nothing scheduled for it any more
  now_ += Seconds(3600);
  planner_.Advance(now_);
  EXPECT_THAT(planner_.TakeActions(), IsEmpty());
}

TEST_F(PlannerTest, FailingAlwaysOnStartGivesUpToo) {
  ObserveInitially({});
  FailRepeatedly(planner_, now_, "redis", 20);
  EXPECT_TRUE(planner_.services().at("redis").gave_up);
  EXPECT_EQ(planner_.services().at("redis").failures, 8);
}

TEST_F(PlannerTest, SoloMadreApplyGivesAServiceMadreGaveUpOnAFreshTry) {
  ObserveInitially({"redis", "worker"});
  FailRepeatedly(planner_, now_, "worker", 20);
  ASSERT_TRUE(planner_.services().at("worker").gave_up);
  planner_.ApplySoloMadre(now_);
  EXPECT_FALSE(planner_.services().at("worker").gave_up);
  auto actions = planner_.TakeActions();
  ASSERT_EQ(actions.size(), 2u);  // the stop at once, and the observe
  EXPECT_EQ(actions[0].kind, ActionKind::kStop);
  EXPECT_THAT(actions[0].services, ElementsAre("worker"));
  planner_.OnActionDone({actions[0].id, Status::Ok(), {{"worker", true, ""}}, {}, false}, now_);
  EXPECT_EQ(planner_.services().at("worker").phase, ServicePhase::kStopped);
  EXPECT_EQ(planner_.services().at("worker").failures, 0);
}

TEST_F(PlannerTest, AGiveUpClearsWhenAnObservationShowsWhatIsWanted) {
  ObserveInitially({"redis", "worker"});
  FailRepeatedly(planner_, now_, "worker", 20);
  ASSERT_TRUE(planner_.services().at("worker").gave_up);
  const std::int64_t still =
      planner_.RequestObserve(ActorKind::kReconcile);  // still running: stays failed
  planner_.TakeActions();
  planner_.OnActionDone({still, Status::Ok(), {}, {Running("redis"), Running("worker")}, true},
                        now_);
  EXPECT_TRUE(planner_.services().at("worker").gave_up);
  EXPECT_THAT(planner_.TakeActions(), IsEmpty());
  const std::int64_t fixed = planner_.RequestObserve(ActorKind::kReconcile);  // stopped by hand
  planner_.TakeActions();
  planner_.OnActionDone({fixed, Status::Ok(), {}, {Running("redis")}, true}, now_);
  EXPECT_FALSE(planner_.services().at("worker").gave_up);
  EXPECT_EQ(planner_.services().at("worker").phase, ServicePhase::kStopped);
}

TEST_F(PlannerTest, ASuccessResetsTheBackoff) {
  ObserveInitially({"redis", "worker"});
  FailRepeatedly(planner_, now_, "worker", 3);  // 3 failures: the next delay would be 40 s
  auto retry = planner_.TakeActions();
  ASSERT_EQ(retry.size(), 1u);
  planner_.OnActionDone({retry[0].id, Status::Ok(), {{"worker", true, ""}}, {}, false}, now_);
  EXPECT_EQ(planner_.services().at("worker").failures, 0);
  // A later failure starts again at 5 s.
  OpenOk({"worker"}, 60);
  auto start = planner_.TakeActions();
  ASSERT_EQ(start.size(), 1u);
  planner_.OnActionDone({start[0].id,
                         Status::Unavailable("x"),
                         {{"db", true, ""}, {"api", true, ""}, {"worker", false, "x"}},
                         {},
                         false},
                        now_);
  EXPECT_EQ(*planner_.services().at("worker").not_before, now_ + Seconds(5));
}

TEST_F(PlannerTest, AStaleListingAppliedAfterAnActionsResultDoesNotUndoIt) {
  ObserveInitially({"redis"});
  OpenOk({"api"}, 60);
  auto start = planner_.TakeActions();
  ASSERT_EQ(start.size(), 1u);
  // An observe runs beside the start and lists the project before the start is done...
  const std::int64_t observe = planner_.RequestObserve(ActorKind::kEvents);
  ASSERT_EQ(planner_.TakeActions().size(), 1u);
  planner_.OnActionDone({start[0].id,
                         Status::Ok(),
                         {{"db", true, ""}, {"api", true, ""}},
                         {Running("redis"), Running("db"), Running("api")},
                         true},
                        now_);
  EXPECT_EQ(StateOf("w1"), WindowState::kOpen);
  // ...and its result arrives after the start's: db and api are not in it.
  planner_.OnActionDone({observe, Status::Ok(), {}, {Running("redis")}, true}, now_);
  EXPECT_EQ(planner_.services().at("api").phase, ServicePhase::kRunning);
  EXPECT_EQ(planner_.services().at("db").phase, ServicePhase::kRunning);
  EXPECT_THAT(planner_.TakeActions(), IsEmpty());  // no spurious second start
  EXPECT_EQ(planner_.observed().size(), 3u);       // the cache keeps the newer listing
  // A listing taken after the result counts.
  const std::int64_t later = planner_.RequestObserve(ActorKind::kEvents);
  planner_.TakeActions();
  planner_.OnActionDone({later, Status::Ok(), {}, {Running("redis"), Running("db")}, true}, now_);
  auto restart = planner_.TakeActions();  // api is gone now: the window needs it back
  ASSERT_EQ(restart.size(), 1u);
  EXPECT_EQ(restart[0].kind, ActionKind::kStart);
  EXPECT_THAT(restart[0].services, ElementsAre("api"));
}

TEST_F(PlannerTest, ACloseIsAttributedToWhoClosedTheWindowNotWhoOpenedIt) {
  ObserveInitially({"redis"});
  OpenOk({"api"}, 60);  // opened by 127.0.0.1
  FinishAll();
  ASSERT_TRUE(
      planner_.Close("w1", CloseReason::kManualClose, now_, Actor::Client("10.0.0.9")).ok());
  auto stop = planner_.TakeActions();
  ASSERT_EQ(stop.size(), 1u);
  EXPECT_EQ(stop[0].actor, Actor::Client("10.0.0.9"));
  EXPECT_EQ(planner_.ClosedBy("w1").ToString(), "10.0.0.9");
  planner_.OnActionDone(
      {stop[0].id, Status::Ok(), {{"api", true, ""}, {"db", true, ""}}, {}, false}, now_);
  OpenOk({"web"}, 60, "w2");
  FinishAll();
  now_ += Seconds(60);
  planner_.Advance(now_);
  EXPECT_EQ(planner_.ClosedBy("w2").kind, ActorKind::kTtl);
}

TEST_F(PlannerTest, FailedObservationIsRetriedAfterBackoff) {
  const std::int64_t id = planner_.RequestObserve(ActorKind::kMadre);
  ASSERT_EQ(planner_.TakeActions().size(), 1u);
  planner_.OnActionDone({id, Status::Unavailable("docker down"), {}, {}, false}, now_);
  EXPECT_FALSE(planner_.observed_once());
  EXPECT_EQ(planner_.NextDeadline(), now_ + Seconds(5));
  now_ += Seconds(5);
  planner_.Advance(now_);
  auto retry = planner_.TakeActions();
  ASSERT_EQ(retry.size(), 1u);
  EXPECT_EQ(retry[0].kind, ActionKind::kObserve);
}

TEST_F(PlannerTest, ReconciledOnceTheFirstObservationLeftNothingToDo) {
  EXPECT_FALSE(planner_.reconciled());
  const std::int64_t id = planner_.RequestObserve(ActorKind::kMadre);
  ASSERT_EQ(planner_.TakeActions().size(), 1u);
  planner_.OnActionDone({id, Status::Unavailable("docker down"), {}, {}, false}, now_);
  EXPECT_FALSE(planner_.reconciled());  // Docker was never seen: nothing is known
  now_ += Seconds(5);
  planner_.Advance(now_);
  auto retry = planner_.TakeActions();
  ASSERT_EQ(retry.size(), 1u);
  planner_.OnActionDone({retry[0].id, Status::Ok(), {}, {Running("redis")}, true}, now_);
  EXPECT_THAT(planner_.TakeActions(), IsEmpty());
  EXPECT_TRUE(planner_.reconciled());
}

TEST_F(PlannerTest, ReconciledOnlyWhenTheStartUpStartsAndStopsHaveTheirResults) {
  ObserveInitially({"worker"});  // worker started by hand, redis down
  EXPECT_TRUE(planner_.observed_once());
  EXPECT_FALSE(planner_.reconciled());
  auto actions = planner_.TakeActions();
  ASSERT_EQ(actions.size(), 2u);  // start redis, stop worker
  planner_.OnActionDone({actions[1].id, Status::Ok(), {{"worker", true, ""}}, {}, false}, now_);
  EXPECT_FALSE(planner_.reconciled()) << "redis is still starting";
  // An observation meanwhile (an event) does not end the start-up reconcile either.
  const std::int64_t observe = planner_.RequestObserve(ActorKind::kEvents);
  ASSERT_EQ(planner_.TakeActions().size(), 1u);
  planner_.OnActionDone({observe, Status::Ok(), {}, {}, true}, now_);
  EXPECT_FALSE(planner_.reconciled());
  planner_.OnActionDone({actions[0].id, Status::Ok(), {{"redis", true, ""}}, {}, false}, now_);
  EXPECT_TRUE(planner_.reconciled());
}

TEST_F(PlannerTest, AnAlwaysOnServiceThatKeepsFailingDoesNotHoldTheStartUpReconcile) {
  ObserveInitially({});
  auto start = planner_.TakeActions();
  ASSERT_EQ(start.size(), 1u);
  EXPECT_FALSE(planner_.reconciled());
  planner_.OnActionDone(
      {start[0].id, Status::Unavailable("port busy"), {{"redis", false, "port busy"}}, {}, false},
      now_);
  EXPECT_TRUE(planner_.reconciled()) << "its first result is in; retries come later";
  now_ += Seconds(5);
  planner_.Advance(now_);
  ASSERT_EQ(planner_.TakeActions().size(), 1u);  // the retry, in flight
  EXPECT_TRUE(planner_.reconciled());
}

TEST_F(PlannerTest, AWindowOpenedAfterStartUpDoesNotUndoTheReconcile) {
  ObserveInitially({"redis"});
  EXPECT_TRUE(planner_.reconciled());
  OpenOk({"api"}, 60);
  ASSERT_EQ(planner_.TakeActions().size(), 1u);  // its start, in flight
  EXPECT_TRUE(planner_.reconciled());
}

TEST_F(PlannerTest, TheStartsOfARestoredOpeningWindowArePartOfTheStartUpReconcile) {
  Window opening;
  opening.id = "w";
  opening.state = WindowState::kOpening;
  opening.ttl_sec = 60;
  opening.services = {"api"};
  opening.effective_services = {"db", "api"};
  planner_.Restore({opening}, now_);
  ObserveInitially({"redis", "db", "api"});
  auto actions = planner_.TakeActions();
  ASSERT_EQ(actions.size(), 1u);
  EXPECT_FALSE(planner_.reconciled());
  planner_.OnActionDone(
      {actions[0].id, Status::Ok(), {{"db", true, ""}, {"api", true, ""}}, {}, false}, now_);
  EXPECT_TRUE(planner_.reconciled());
}

TEST(PlannerResyncTest, ObservesPeriodicallyOnceObserved) {
  PlannerConfig config = Config();
  config.resync_interval = Seconds(30);
  Planner planner(config, Model());
  const std::int64_t id = planner.RequestObserve(ActorKind::kMadre);
  planner.TakeActions();
  planner.OnActionDone({id, Status::Ok(), {}, {Running("redis")}, true}, kT0);
  planner.Advance(kT0);
  EXPECT_EQ(planner.NextDeadline(), kT0 + Seconds(30));
  planner.Advance(kT0 + Seconds(30));
  auto actions = planner.TakeActions();
  ASSERT_EQ(actions.size(), 1u);
  EXPECT_EQ(actions[0].kind, ActionKind::kObserve);
  EXPECT_EQ(actions[0].actor.kind, ActorKind::kReconcile);
}

TEST(PlannerKindsTest, ServiceHoldsTakeNoWindowSlotAndAreNeverTheWindowACloseWithoutIdPicks) {
  Planner planner(Config(1), Model());
  OpenRequest hold;
  hold.services = {"api"};
  hold.kind = WindowKind::kServiceHold;
  ASSERT_TRUE(planner.Open(hold, "h1", kT0).ok());
  hold.services = {"worker"};
  ASSERT_TRUE(planner.Open(hold, "h2", kT0).ok()) << "a second hold needs no slot either";
  EXPECT_EQ(planner.SoleLiveWindow().code(), StatusCode::kNotFound)
      << "a close without an id never picks a service hold";
  OpenRequest client;
  client.services = {"web"};
  client.ttl_sec = 60;
  Result<Window> window = planner.Open(client, "w1", kT0);
  ASSERT_TRUE(window.ok()) << window.status().ToString();
  EXPECT_EQ(window->kind, WindowKind::kClient);
  EXPECT_EQ(planner.FindWindow("h1")->kind, WindowKind::kServiceHold);
  EXPECT_EQ(planner.Open(client, "w2", kT0).code(), StatusCode::kFailedPrecondition)
      << "the one client slot is taken";
  Result<std::string> sole = planner.SoleLiveWindow();
  ASSERT_TRUE(sole.ok());
  EXPECT_EQ(*sole, "w1");
}

class PlannerExternalStartTest : public ::testing::Test {
 protected:
  Planner Make(ExternalStart mode, std::int64_t ttl = 300) {
    PlannerConfig config = Config();
    config.external_start = mode;
    config.external_start_ttl_sec = ttl;
    int n = 0;
    config.new_window_id = [n]() mutable { return "x" + std::to_string(++n); };
    return Planner(config, Model());
  }
  // Answers an observe of `planner` with `running` at `now`.
  static void Observe(Planner& planner, std::vector<std::string> running, TimePoint now) {
    const std::int64_t id = planner.RequestObserve(ActorKind::kReconcile);
    planner.TakeActions();
    ActionResult result{id, Status::Ok(), {}, {}, true};
    for (auto& s : running) result.observed.push_back(Running(s));
    planner.OnActionDone(result, now);
  }
  static std::vector<Action> Stops(std::vector<Action> actions) {
    std::erase_if(actions, [](const Action& a) { return a.kind != ActionKind::kStop; });
    return actions;
  }
};

TEST_F(PlannerExternalStartTest, AdoptGivesAServiceStartedByHandAWindowThatStopsItAtItsTtl) {
  Planner planner = Make(ExternalStart::kAdopt, 300);
  Observe(planner, {"redis"}, kT0);
  planner.TakeActions();
  Observe(planner, {"redis", "api"}, kT0 + Seconds(5));  // docker compose up -d api
  EXPECT_THAT(Stops(planner.TakeActions()), IsEmpty()) << "adopted, not stopped";
  EXPECT_THAT(planner.TakeAdopted(), ElementsAre("x1"));
  const Window* adopted = planner.FindWindow("x1");
  ASSERT_NE(adopted, nullptr);
  EXPECT_EQ(adopted->kind, WindowKind::kAdopted);
  EXPECT_EQ(adopted->state, WindowState::kOpen);
  EXPECT_EQ(adopted->actor, "external");
  EXPECT_THAT(adopted->effective_services, ElementsAre("api"))
      << "the service alone, not its dependencies";
  EXPECT_EQ(adopted->deadline, kT0 + Seconds(305));
  EXPECT_THAT(adopted->services_started, IsEmpty()) << "madre did not start it";
  EXPECT_EQ(planner.SoleLiveWindow().code(), StatusCode::kNotFound);
  // A later listing that still shows it running adopts nothing more.
  Observe(planner, {"redis", "api"}, kT0 + Seconds(6));
  EXPECT_THAT(planner.TakeAdopted(), IsEmpty());
  planner.Advance(kT0 + Seconds(305));
  auto stops = Stops(planner.TakeActions());
  ASSERT_EQ(stops.size(), 1u);
  EXPECT_THAT(stops[0].services, ElementsAre("api"));
  EXPECT_THAT(stops[0].window_ids, ElementsAre("x1"));
  EXPECT_EQ(stops[0].actor.kind, ActorKind::kTtl);
}

TEST_F(PlannerExternalStartTest, AdoptAtStartUpButAClosingWindowsServiceIsStillStopped) {
  Planner planner = Make(ExternalStart::kAdopt);
  Window closing;
  closing.id = "old";
  closing.state = WindowState::kOpen;
  closing.services = {"worker"};
  closing.effective_services = {"api", "worker"};
  closing.ttl_sec = 10;
  closing.deadline = kT0 - Seconds(1);  // expired while madre was down: restored closing
  planner.Restore({closing}, kT0);
  Observe(planner, {"redis", "db", "api", "worker"}, kT0);
  // db runs, nothing recorded holds it: found running at start-up, adopted.
  EXPECT_THAT(planner.TakeAdopted(), ElementsAre("x1"));
  EXPECT_THAT(planner.FindWindow("x1")->services, ElementsAre("db"));
  auto stops = Stops(planner.TakeActions());
  ASSERT_EQ(stops.size(), 1u);
  EXPECT_THAT(stops[0].services, ElementsAre("worker", "api"));
}

TEST_F(PlannerExternalStartTest, StopStopsAServiceStartedByHand) {
  Planner planner = Make(ExternalStart::kStop);
  Observe(planner, {"redis"}, kT0);
  planner.TakeActions();
  Observe(planner, {"redis", "api"}, kT0 + Seconds(1));
  EXPECT_THAT(planner.TakeAdopted(), IsEmpty());
  auto stops = Stops(planner.TakeActions());
  ASSERT_EQ(stops.size(), 1u);
  EXPECT_THAT(stops[0].services, ElementsAre("api"));
}

TEST_F(PlannerExternalStartTest, IgnoreLeavesItRunningUntilSoloMadreApplies) {
  Planner planner = Make(ExternalStart::kIgnore);
  Observe(planner, {"redis"}, kT0);
  planner.TakeActions();
  Observe(planner, {"redis", "api"}, kT0 + Seconds(1));
  EXPECT_THAT(planner.TakeAdopted(), IsEmpty());
  EXPECT_THAT(Stops(planner.TakeActions()), IsEmpty());
  planner.Advance(kT0 + Seconds(60));
  EXPECT_THAT(Stops(planner.TakeActions()), IsEmpty()) << "still left alone";
  planner.ApplySoloMadre(kT0 + Seconds(61));
  auto stops = Stops(planner.TakeActions());
  ASSERT_EQ(stops.size(), 1u);
  EXPECT_THAT(stops[0].services, ElementsAre("api"));
}

TEST_F(PlannerExternalStartTest, WhatMadreStartsOrAWindowWantsIsNeverAdopted) {
  Planner planner = Make(ExternalStart::kAdopt);
  Observe(planner, {"redis"}, kT0);
  planner.TakeActions();
  OpenRequest request;
  request.services = {"api"};
  request.ttl_sec = 60;
  ASSERT_TRUE(planner.Open(request, "w1", kT0).ok());
  auto actions = planner.TakeActions();
  ASSERT_EQ(actions.size(), 1u);
  // The start's own listing shows api and db running: madre started them.
  ActionResult result{actions[0].id, Status::Ok(), {{"db", true, ""}, {"api", true, ""}}, {}, true};
  result.observed = {Running("redis"), Running("db"), Running("api")};
  planner.OnActionDone(result, kT0 + Seconds(1));
  EXPECT_THAT(planner.TakeAdopted(), IsEmpty());
  // Closed by its client: its stops are madre's, and a listing taken meanwhile adopts nothing.
  ASSERT_TRUE(planner.Close("w1", CloseReason::kManualClose, kT0 + Seconds(2)).ok());
  Observe(planner, {"redis", "db", "api"}, kT0 + Seconds(2));
  EXPECT_THAT(planner.TakeAdopted(), IsEmpty());
}

// ---- autofix's hold, retry and quarantine (docs/autofix.md) ----

class PlannerAutofixTest : public PlannerTest {
 protected:
  PlannerAutofixTest() {
    PlannerConfig config = Config();
    config.autofix_holds = true;
    planner_ = Planner(config, Model());
  }
  void FailStartOf(const std::string& service) {
    auto actions = planner_.TakeActions();
    ASSERT_EQ(actions.size(), 1u);
    ActionResult result{actions[0].id,
                        Status::Unavailable("compose failed"),
                        {{service, false, "exit 127"}},
                        {},
                        false};
    planner_.OnActionDone(result, now_);
  }
};

TEST_F(PlannerAutofixTest, AFailedStartIsHeldAsRemediatingAndTheWindowWaits) {
  ObserveInitially({"redis"});
  OpenOk({"db"}, 60);
  FailStartOf("db");
  const Window* window = planner_.FindWindow("w1");
  ASSERT_NE(window, nullptr);
  EXPECT_EQ(window->state, WindowState::kOpening);
  EXPECT_EQ(window->services_status.at("db").state, ServiceState::kRemediating);
  EXPECT_EQ(window->services_status.at("db").error, "exit 127");
  EXPECT_TRUE(planner_.services().at("db").remediating);
  // Another try: started again, and it opens.
  ASSERT_TRUE(planner_.RetryService("db", Actor::Client("intent:i-1"), now_).ok());
  auto again = planner_.TakeActions();
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].kind, ActionKind::kStart);
  ActionResult ok{again[0].id, Status::Ok(), {{"db", true, ""}}, {}, false};
  planner_.OnActionDone(ok, now_);
  EXPECT_EQ(planner_.FindWindow("w1")->state, WindowState::kOpen);
  EXPECT_FALSE(planner_.services().at("db").remediating);
}

TEST_F(PlannerAutofixTest, EndingTheRemediationFailsTheWindowAsWithoutAutofix) {
  ObserveInitially({"redis"});
  OpenOk({"db"}, 60);
  FailStartOf("db");
  planner_.EndRemediation("db", now_);
  EXPECT_EQ(planner_.FindWindow("w1")->state, WindowState::kFailed);
  EXPECT_FALSE(planner_.services().at("db").remediating);
}

TEST_F(PlannerAutofixTest, WithoutAutofixHoldsAFailedStartFailsTheWindowAtOnce) {
  planner_ = Planner(Config(), Model());
  ObserveInitially({"redis"});
  OpenOk({"db"}, 60);
  FailStartOf("db");
  EXPECT_EQ(planner_.FindWindow("w1")->state, WindowState::kFailed);
}

TEST_F(PlannerAutofixTest, RetryIsRefusedWhenNoWindowWantsTheServiceOrItRuns) {
  ObserveInitially({"redis"});
  EXPECT_EQ(planner_.RetryService("db", ActorKind::kMadre, now_).code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(planner_.RetryService("nope", ActorKind::kMadre, now_).code(), StatusCode::kNotFound);
  OpenOk({"db"}, 60);
  FinishAll();
  EXPECT_EQ(planner_.RetryService("db", ActorKind::kMadre, now_).code(),
            StatusCode::kFailedPrecondition);
}

TEST_F(PlannerAutofixTest, AQuarantinedServiceIsStoppedNeverStartedAndItsWindowsRefused) {
  ObserveInitially({"redis", "db"});
  OpenOk({"db"}, 60);
  FinishAll();
  ASSERT_TRUE(planner_.SetQuarantined("db", true, now_).ok());
  auto stop = planner_.TakeActions();
  ASSERT_EQ(stop.size(), 1u);
  EXPECT_EQ(stop[0].kind, ActionKind::kStop);
  EXPECT_THAT(stop[0].services, ElementsAre("db"));
  OpenRequest request;
  request.services = {"api"};  // needs db
  request.ttl_sec = 60;
  Result<Window> refused = planner_.Open(request, "w2", now_);
  EXPECT_EQ(refused.status().code(), StatusCode::kQuarantined);
  EXPECT_THAT(refused.status().message(), HasSubstr("madre autofix reset db"));
  EXPECT_EQ(planner_.SetQuarantined("redis", true, now_).code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE(planner_.SetQuarantined("db", false, now_).ok());
  EXPECT_TRUE(planner_.Open(request, "w2", now_).ok());
}

}  // namespace
}  // namespace madre
