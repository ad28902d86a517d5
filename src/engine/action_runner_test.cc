#include "engine/action_runner.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <stdexcept>

#include "testing/fake_clock.h"
#include "testing/fake_container_exec.h"
#include "testing/fake_docker.h"
#include "testing/fake_image_builder.h"
#include "testing/fake_probe.h"
#include "testing/model_builder.h"

namespace madre {
namespace {

using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::Not;

ServiceModel Model() { return ModelOf({{"db", {}}, {"api", {"db"}}}); }

// The fast path's configuration check: a stopped container made from an older
// compose configuration (its config-hash label differs from `config --hash`)
// is recreated by compose instead of being started as it is.
class FastStartConfigTest : public ::testing::Test {
 protected:
  FastStartConfigTest()
      : model_(Model()),
        docker_(model_),
        context_{docker_,
                 docker_,
                 probe_,
                 clock_,
                 [this](Duration d) { clock_.Advance(d); },
                 model_,
                 ReadinessOptions{},
                 &docker_} {}

  ExecutedAction Start(std::vector<std::string> services) {
    Action action;
    action.id = 1;
    action.kind = ActionKind::kStart;
    action.services = std::move(services);
    action.actor = Actor::Client("127.0.0.1");
    return ExecuteAction(action, context_);
  }

  // A container compose made earlier from configuration `hash`, now stopped.
  void StoppedContainer(const std::string& service, const std::string& hash) {
    docker_.SetConfigHash(service, hash);
    docker_.SetRunning(service, false);
  }

  std::string HashOf(const std::string& service) {
    Result<std::vector<ContainerState>> list = docker_.ListProject();
    for (const auto& c : *list) {
      if (c.service == service) return c.config_hash;
    }
    return "(no container)";
  }

  static void ExpectAllOk(const ExecutedAction& executed) {
    EXPECT_TRUE(executed.result.status.ok()) << executed.result.status.ToString();
    for (const auto& s : executed.result.services)
      EXPECT_TRUE(s.ok) << s.service << ": " << s.error;
  }

  ServiceModel model_;
  FakeDocker docker_;
  FakeProbe probe_;
  FakeClock clock_;
  ActionContext context_;
};

// The image check (issue 11): a stopped container of a service with `build:` whose image id
// differs from the current id of the service's image (built again since) is recreated.
class FastStartImageTest : public FastStartConfigTest {
 protected:
  FastStartImageTest() {
    model_.services["db"].build = BuildDef{"/srv/vx11/db", "/srv/vx11/db/Dockerfile"};
    model_.services["db"].image = "vx11_db";
    model_.services["api"].image = "vx11/api:1";  // no build: never checked
    context_.images = &images_;
  }

  // A container made from image `id` of `service`, now stopped.
  void StoppedOn(const std::string& service, const std::string& id) {
    docker_.SetImageId(service, id);
    docker_.SetRunning(service, false);
  }

  std::string ImageOf(const std::string& service) {
    Result<std::vector<ContainerState>> list = docker_.ListProject();
    for (const auto& c : *list) {
      if (c.service == service) return c.image_id;
    }
    return "(no container)";
  }

  FakeImageInspector images_;
};

TEST_F(FastStartImageTest, ARebuiltImageRecreatesTheStoppedContainer) {
  StoppedOn("db", "sha256:old");
  StoppedOn("api", "sha256:api");
  images_.SetImage("vx11_db", "sha256:new");  // the build executor built db again
  docker_.SetImageId("db", "sha256:new");
  ExecutedAction executed = Start({"db", "api"});
  ExpectAllOk(executed);
  EXPECT_THAT(docker_.calls(), ElementsAre("up db", "api-start api"));
  EXPECT_EQ(ImageOf("db"), "sha256:new");
  EXPECT_THAT(images_.asked(), ElementsAre("vx11_db")) << "api has no build: and costs no call";
}

TEST_F(FastStartImageTest, TheSameImageKeepsTheFastPath) {
  StoppedOn("db", "sha256:old");
  images_.SetImage("vx11_db", "sha256:old");
  ExecutedAction executed = Start({"db"});
  ExpectAllOk(executed);
  EXPECT_THAT(docker_.calls(), ElementsAre("api-start db"));
  EXPECT_EQ(ImageOf("db"), "sha256:old");
}

TEST_F(FastStartImageTest, AMissingImageOrAFailedCheckKeepsTheFastPath) {
  StoppedOn("db", "sha256:old");
  ExecutedAction missing = Start({"db"});  // the image is gone (removed by hand): up can't build
  ExpectAllOk(missing);
  EXPECT_THAT(docker_.calls(), ElementsAre("api-start db"));
  docker_.SetRunning("db", false);
  images_.SetImage("vx11_db", "sha256:new");
  images_.set_fail(true);
  ExecutedAction failed = Start({"db"});
  ExpectAllOk(failed);
  EXPECT_THAT(failed.ops, Contains(AllOf(Field(&DockerOp::command, HasSubstr("/images/vx11_db")),
                                         Field(&DockerOp::exit_code, -1))));
  EXPECT_EQ(ImageOf("db"), "sha256:old");
}

TEST_F(FastStartImageTest, ARunningContainerIsNotCheckedAndWithoutThePortNothingIsAsked) {
  docker_.SetImageId("db", "sha256:old");
  docker_.SetRunning("db", true);
  images_.SetImage("vx11_db", "sha256:new");
  ExpectAllOk(Start({"db"}));
  EXPECT_TRUE(images_.asked().empty());
  docker_.SetRunning("db", false);
  context_.images = nullptr;
  ExpectAllOk(Start({"db"}));
  EXPECT_TRUE(images_.asked().empty());
  EXPECT_EQ(ImageOf("db"), "sha256:old");
}

TEST_F(FastStartConfigTest, UnchangedConfigurationStartsTheContainerThroughTheEngineApi) {
  StoppedContainer("db", "aaaa");
  ExecutedAction executed = Start({"db"});
  ExpectAllOk(executed);
  EXPECT_THAT(docker_.calls(), ElementsAre("config-hash", "api-start db"));
  EXPECT_EQ(HashOf("db"), "aaaa");
}

TEST_F(FastStartConfigTest, ChangedConfigurationGoesThroughComposeUpForThatServiceOnly) {
  StoppedContainer("db", "aaaa");
  StoppedContainer("api", "bbbb");
  docker_.SetConfigHash("db", "cccc");  // the operator edited db in the compose file
  ExecutedAction executed = Start({"db", "api"});
  ExpectAllOk(executed);
  EXPECT_THAT(docker_.calls(), ElementsAre("config-hash", "up db", "api-start api"));
  EXPECT_EQ(HashOf("db"), "cccc");  // recreated from the new configuration
  EXPECT_EQ(HashOf("api"), "bbbb");
  EXPECT_THAT(executed.ops, Contains(Field(&DockerOp::command, HasSubstr("up -d --no-deps db"))));
}

TEST_F(FastStartConfigTest, UnknownHashKeepsTheFastPathWithoutAskingCompose) {
  docker_.SetRunning("db", false);  // no config-hash label (e.g. not made by compose)
  ExecutedAction executed = Start({"db"});
  ExpectAllOk(executed);
  EXPECT_THAT(docker_.calls(), ElementsAre("api-start db"));
}

TEST_F(FastStartConfigTest, AServiceComposeGivesNoHashForKeepsTheFastPath) {
  StoppedContainer("db", "aaaa");
  StoppedContainer("api", "bbbb");
  docker_.SetConfigHash("db", "");  // `config --hash` now prints no line for db
  ExecutedAction executed = Start({"db"});
  ExpectAllOk(executed);
  EXPECT_THAT(docker_.calls(), ElementsAre("config-hash", "api-start db"));
}

TEST_F(FastStartConfigTest, AHashFailureKeepsTheFastPathAndIsNotedInTheOps) {
  StoppedContainer("db", "aaaa");
  docker_.SetConfigHash("db", "cccc");
  docker_.FailNext("config-hash", Status::Unavailable("compose exploded"));
  ExecutedAction executed = Start({"db"});
  ExpectAllOk(executed);
  EXPECT_THAT(docker_.calls(), ElementsAre("config-hash", "api-start db"));
  EXPECT_THAT(executed.ops,
              Contains(AllOf(Field(&DockerOp::command, HasSubstr("config --hash")),
                             Field(&DockerOp::exit_code, -1),
                             Field(&DockerOp::output, HasSubstr("compose exploded")))));
}

TEST_F(FastStartConfigTest, ARunningContainerIsNeverRecreatedByAStart) {
  docker_.SetConfigHash("db", "aaaa");
  docker_.SetRunning("db", true);  // serves another window
  docker_.SetConfigHash("db", "cccc");
  ExecutedAction executed = Start({"db"});
  ExpectAllOk(executed);
  EXPECT_THAT(docker_.calls(), Not(Contains("up db")));
  EXPECT_THAT(docker_.calls(), Not(Contains("config-hash")));
  EXPECT_EQ(HashOf("db"), "aaaa");
}

TEST_F(FastStartConfigTest, APausedContainerWithAChangedConfigurationIsRecreated) {
  docker_.SetConfigHash("db", "aaaa");
  docker_.SetRunning("db", true);
  ASSERT_TRUE(docker_.PauseContainer("id-db").ok());
  docker_.SetConfigHash("db", "cccc");
  ExecutedAction executed = Start({"db"});
  ExpectAllOk(executed);
  EXPECT_THAT(docker_.calls(), ElementsAre("api-pause db", "config-hash", "up db"));
  EXPECT_EQ(HashOf("db"), "cccc");
}

TEST_F(FastStartConfigTest, WithoutTheFastPathComposeUpDoesItAllAndNoHashIsAsked) {
  StoppedContainer("db", "aaaa");
  docker_.SetConfigHash("db", "cccc");
  context_.control = nullptr;
  ExecutedAction executed = Start({"db"});
  ExpectAllOk(executed);
  EXPECT_THAT(docker_.calls(), ElementsAre("up db"));
}

// A model whose `db` never gets ready: its probe URL is never answered (FakeProbe refuses
// unknown targets), with a 30 s timeout. `api` depends on it; `cache` has a Docker healthcheck.
ServiceModel SlowModel() {
  ServiceModel model = ModelOf({{"db", {}}, {"cache", {}}, {"api", {"db", "cache"}}});
  model.services["db"].labels["vx11.health.url"] = "http://127.0.0.1:9/never";
  model.services["db"].labels["vx11.health.timeout_sec"] = "30";
  model.services["cache"].has_healthcheck = true;
  model.services["cache"].labels["vx11.health.timeout_sec"] = "30";
  return model;
}

// Readiness waits, stops, failures. Time comes from the FakeClock, which the injected sleep
// advances.
class ActionRunnerTest : public ::testing::Test {
 protected:
  ActionRunnerTest()
      : model_(SlowModel()),
        docker_(model_),
        context_{docker_,
                 docker_,
                 probe_,
                 clock_,
                 [this](Duration d) {
                   clock_.Advance(d);
                   ++sleeps_;
                   if (on_sleep_) on_sleep_();
                 },
                 model_,
                 ReadinessOptions{},
                 &docker_} {}

  ExecutedAction Start(std::vector<std::string> services) {
    Action action;
    action.id = 1;
    action.kind = ActionKind::kStart;
    action.services = std::move(services);
    action.actor = Actor::Client("127.0.0.1");
    return ExecuteAction(action, context_);
  }

  static const ServiceOutcome* OutcomeOf(const ExecutedAction& executed, const std::string& name) {
    for (const auto& s : executed.result.services) {
      if (s.service == name) return &s;
    }
    return nullptr;
  }

  ServiceModel model_;
  FakeDocker docker_;
  FakeProbe probe_;
  FakeClock clock_;
  ActionContext context_;
  int sleeps_ = 0;
  std::function<void()> on_sleep_;  // runs at each readiness poll
};

TEST_F(ActionRunnerTest, AStopRequestEndsAWaitThatWouldNeverSucceedWithACancelledFailure) {
  std::stop_source stop;
  context_.stop = stop.get_token();
  on_sleep_ = [&] {
    if (sleeps_ == 3) stop.request_stop();
  };
  const TimePoint began = clock_.Now();
  ExecutedAction executed = Start({"db"});
  const ServiceOutcome* db = OutcomeOf(executed, "db");
  ASSERT_NE(db, nullptr);
  EXPECT_FALSE(db->ok);
  EXPECT_THAT(db->error, HasSubstr("cancelled"));
  EXPECT_EQ(sleeps_, 3) << "the wait must end at its first look after the request";
  EXPECT_LT(clock_.Now() - began, Seconds(30));
}

TEST_F(ActionRunnerTest, AStopRequestDuringADependencyGateStartsNoFurtherLevel) {
  std::stop_source stop;
  context_.stop = stop.get_token();
  on_sleep_ = [&] { stop.request_stop(); };  // `cache` stays "starting": the gate waits
  ExecutedAction executed = Start({"db", "cache", "api"});
  EXPECT_THAT(docker_.calls(), Not(Contains(HasSubstr("api"))));
  EXPECT_FALSE(executed.result.status.ok());
  EXPECT_THAT(executed.result.status.message(), HasSubstr("cancelled"));
  for (const auto& s : executed.result.services) EXPECT_FALSE(s.ok) << s.service;
}

TEST_F(ActionRunnerTest, ADependencyThatNeverGetsHealthyCostsOneTimeoutNotOnePerLevel) {
  // Level 0: db (probe never answers) and cache (healthcheck stays "starting"), 30 s each;
  // level 1: api, which needs both. Gates and the final wait share one deadline.
  const TimePoint began = clock_.Now();
  ExecutedAction executed = Start({"db", "cache", "api"});
  const Duration took = clock_.Now() - began;
  EXPECT_GE(took, Seconds(30));
  EXPECT_LT(took, Seconds(33)) << "the final wait started a new timeout after the gate's";
  const ServiceOutcome* cache = OutcomeOf(executed, "cache");
  const ServiceOutcome* db = OutcomeOf(executed, "db");
  const ServiceOutcome* api = OutcomeOf(executed, "api");
  ASSERT_TRUE(cache && db && api);
  EXPECT_FALSE(cache->ok);
  EXPECT_THAT(cache->error, HasSubstr("not ready"));  // the gate's failure, carried forward
  EXPECT_FALSE(db->ok);
  EXPECT_THAT(db->error, HasSubstr("not ready"));
  EXPECT_TRUE(api->ok) << api->error;
}

TEST_F(ActionRunnerTest, PauseStrategyPausesARunningContainerButStopsARestartingOne) {
  context_.pause_on_stop = true;
  docker_.SetRunning("db", true);
  docker_.SetRestarting("api");
  Action action;
  action.id = 3;
  action.kind = ActionKind::kStop;
  action.services = {"api", "db"};
  ExecutedAction executed = ExecuteAction(action, context_);
  EXPECT_TRUE(executed.result.status.ok()) << executed.result.status.ToString();
  for (const auto& s : executed.result.services) EXPECT_TRUE(s.ok) << s.service << ": " << s.error;
  EXPECT_THAT(docker_.calls(), ElementsAre("api-stop api", "api-pause db"));
  EXPECT_TRUE(docker_.running().empty());
}

// An observer whose listing throws, as a third-party library might.
class ThrowingObserver final : public ContainerObserver {
 public:
  Result<std::vector<ContainerState>> ListProject() override {
    throw std::runtime_error("listing exploded");
  }
};

TEST_F(ActionRunnerTest, AnActionWhoseRunnerThrowsComesBackAsAFailedResult) {
  ThrowingObserver throwing;
  ActionContext context{docker_, throwing,           probe_,  clock_, [](Duration) {},
                        model_,  ReadinessOptions{}, &docker_};
  Action action;
  action.id = 7;
  action.kind = ActionKind::kStop;
  action.services = {"api", "db"};
  ExecutedAction executed = ExecuteAction(action, context);
  EXPECT_EQ(executed.result.action_id, 7);
  EXPECT_EQ(executed.result.status.code(), StatusCode::kInternal);
  EXPECT_THAT(executed.result.status.message(), HasSubstr("listing exploded"));
  ASSERT_EQ(executed.result.services.size(), 2u);
  for (const auto& s : executed.result.services) {
    EXPECT_FALSE(s.ok) << s.service;
    EXPECT_THAT(s.error, HasSubstr("listing exploded"));
  }
}

TEST_F(ActionRunnerTest, AWaitOnAHealthcheckLooksAgainWhenAnEventComesNotEveryPoll) {
  std::uint64_t generation = 0;
  std::vector<Duration> waits;
  context_.event_generation = [&] { return generation; };
  context_.wait_event = [&](std::uint64_t seen, Duration max) {
    waits.push_back(max);
    EXPECT_EQ(seen, generation) << "the generation is taken before each look";
    if (waits.size() == 3) {  // Docker's health_status event: healthy
      docker_.SetHealth("cache", "healthy");
      ++generation;
      return;
    }
    clock_.Advance(max);  // no event: the fallback passes
  };
  ExecutedAction executed = Start({"cache"});
  const ServiceOutcome* cache = OutcomeOf(executed, "cache");
  ASSERT_NE(cache, nullptr);
  EXPECT_TRUE(cache->ok) << cache->error;
  EXPECT_EQ(sleeps_, 0) << "no poll every readiness.poll";
  ASSERT_EQ(waits.size(), 3u);
  EXPECT_EQ(waits[0], ReadinessOptions{}.event_poll);
}

TEST_F(ActionRunnerTest, AnEventWaitEndsNoLaterThanTheTimeout) {
  std::vector<Duration> waits;
  context_.event_generation = [] { return std::uint64_t{0}; };
  context_.wait_event = [&](std::uint64_t, Duration max) {
    waits.push_back(max);
    clock_.Advance(max);
  };
  context_.readiness.event_poll = Seconds(7);  // 30 s is no multiple of it
  const TimePoint began = clock_.Now();
  ExecutedAction executed = Start({"cache"});  // stays "starting": fails at its 30 s timeout
  const ServiceOutcome* cache = OutcomeOf(executed, "cache");
  ASSERT_NE(cache, nullptr);
  EXPECT_FALSE(cache->ok);
  EXPECT_EQ(clock_.Now() - began, Seconds(30)) << "not a fallback later";
  ASSERT_FALSE(waits.empty());
  EXPECT_THAT(waits, ElementsAre(Seconds(7), Seconds(7), Seconds(7), Seconds(7), Seconds(2)));
}

TEST_F(ActionRunnerTest, AWaitOnAProbeOrOnRunningForPollsEvenWithEvents) {
  int event_waits = 0;
  context_.event_generation = [] { return std::uint64_t{0}; };
  context_.wait_event = [&](std::uint64_t, Duration) { ++event_waits; };
  ExecutedAction executed = Start({"db"});  // its probe never answers: it waits 30 s
  EXPECT_FALSE(executed.result.services.at(0).ok);
  EXPECT_EQ(event_waits, 0);
  EXPECT_GT(sleeps_, 0);
}

// Readiness in seconds whatever the healthcheck interval: madre runs the container's own
// healthcheck (FakeContainerExec) until its first pass while Docker still says "starting".
class ExecCheckTest : public ActionRunnerTest {
 protected:
  ExecCheckTest() : exec_(clock_) {
    context_.exec = &exec_;
    HealthcheckConfig config;
    config.test = {"CMD-SHELL", "test -f /tmp/ready"};
    config.interval = Seconds(30);
    config.start_period = Seconds(60);
    config.timeout = Seconds(2);
    exec_.SetHealthcheck("id-cache", config);
  }

  Duration StartCache(const ServiceOutcome** out, ExecutedAction* executed) {
    const TimePoint began = clock_.Now();
    *executed = Start({"cache"});
    *out = OutcomeOf(*executed, "cache");
    return clock_.Now() - began;
  }

  FakeContainerExec exec_;
};

TEST_F(ExecCheckTest, OnePassOfTheContainersOwnCheckIsReadyWithinACadence) {
  exec_.SetOutcome("id-cache", 0, Millis(30));
  ExecutedAction executed;
  const ServiceOutcome* cache = nullptr;
  const Duration took = StartCache(&cache, &executed);
  ASSERT_NE(cache, nullptr);
  EXPECT_TRUE(cache->ok) << cache->error;
  EXPECT_LT(took, Millis(100)) << "Docker's own check would come after 30 s";
  EXPECT_THAT(exec_.calls(), ElementsAre("start id-cache /bin/sh -c test -f /tmp/ready"));
}

TEST_F(ExecCheckTest, FailingChecksAreRunEveryIntervalOneAtATimeUntilOnePasses) {
  exec_.SetOutcome("id-cache", 1, Millis(30));
  const TimePoint began = clock_.Now();
  on_sleep_ = [&] {
    if (clock_.Now() - began >= Seconds(1)) exec_.SetOutcome("id-cache", 0);
  };
  ExecutedAction executed;
  const ServiceOutcome* cache = nullptr;
  StartCache(&cache, &executed);
  ASSERT_NE(cache, nullptr);
  EXPECT_TRUE(cache->ok) << cache->error;
  // Started at 0, 250, 500, 750 ms (failing), then 1000 ms (passing).
  EXPECT_EQ(exec_.starts(), 5);
  EXPECT_LT(clock_.Now() - began, Millis(1100));
}

TEST_F(ExecCheckTest, TheLabelTurnsItOffAndDockersStatusAloneCounts) {
  model_.services["cache"].labels["vx11.health.exec"] = "false";
  exec_.SetOutcome("id-cache", 0);
  ExecutedAction executed;
  const ServiceOutcome* cache = nullptr;
  const Duration took = StartCache(&cache, &executed);
  ASSERT_NE(cache, nullptr);
  EXPECT_FALSE(cache->ok) << "stays starting: fails at its 30 s timeout";
  EXPECT_GE(took, Seconds(30));
  EXPECT_TRUE(exec_.calls().empty());
}

TEST_F(ExecCheckTest, AContainerWithoutACheckToRunWaitsForDocker) {
  HealthcheckConfig none;
  none.test = {"NONE"};
  exec_.SetHealthcheck("id-cache", none);
  on_sleep_ = [&] {
    if (sleeps_ == 4) docker_.SetHealth("cache", "healthy");
  };
  ExecutedAction executed;
  const ServiceOutcome* cache = nullptr;
  StartCache(&cache, &executed);
  ASSERT_NE(cache, nullptr);
  EXPECT_TRUE(cache->ok) << cache->error;
  EXPECT_TRUE(exec_.calls().empty());
}

TEST_F(ExecCheckTest, ACheckPastItsTimeoutIsAbandonedAndNoOtherStartsWhileItRuns) {
  exec_.SetOutcome("id-cache", 0, Duration::max());  // hangs
  ExecutedAction executed;
  const ServiceOutcome* cache = nullptr;
  const Duration took = StartCache(&cache, &executed);
  ASSERT_NE(cache, nullptr);
  EXPECT_FALSE(cache->ok);
  EXPECT_GE(took, Seconds(30));
  EXPECT_EQ(exec_.abandoned_timed_out(), 1);
  EXPECT_EQ(exec_.starts(), 1) << "the fake refuses while the abandoned check runs";
  const std::vector<std::string> calls = exec_.calls();
  ASSERT_GE(calls.size(), 3u);
  EXPECT_EQ(calls[1], "abandon exec-1 timed-out");
  EXPECT_THAT(calls[2], HasSubstr("start id-cache"));  // tried again, refused
}

TEST_F(ExecCheckTest, ChecksStopAfterStartPeriodPlusRetriesTimesInterval) {
  HealthcheckConfig quick;
  quick.test = {"CMD", "false"};
  quick.interval = Seconds(1);
  quick.start_period = Seconds(2);
  quick.retries = 2;  // madre's checks end 4 s after the start
  exec_.SetHealthcheck("id-cache", quick);
  exec_.SetOutcome("id-cache", 1);
  ExecutedAction executed;
  const ServiceOutcome* cache = nullptr;
  StartCache(&cache, &executed);
  ASSERT_NE(cache, nullptr);
  EXPECT_FALSE(cache->ok);
  EXPECT_EQ(exec_.starts(), 16) << "every 250 ms during 4 s";
}

// A close with the pause strategy (VX11_STOP_STRATEGY=pause) of `service` as it runs; FakeDocker
// then marks it unhealthy, as Docker does.
void PauseAsItRuns(ActionContext& context, const std::string& service) {
  context.pause_on_stop = true;
  Action stop;
  stop.id = 2;
  stop.kind = ActionKind::kStop;
  stop.services = {service};
  ExecuteAction(stop, context);
}

// The same, with `service` running and `health` before the pause.
void PauseAsACloseDoes(ActionContext& context, FakeDocker& docker, const std::string& service,
                       const std::string& health) {
  docker.SetRunning(service, true);
  docker.SetHealth(service, health);
  PauseAsItRuns(context, service);
}

TEST_F(ExecCheckTest, AnUnpausedContainerWithThePausesMarkIsReadyWithoutACheck) {
  PauseAsACloseDoes(context_, docker_, "cache", "healthy");
  ASSERT_EQ(docker_.ListProject()->at(0).health, "unhealthy") << "the pause's mark";
  ExecutedAction executed;
  const ServiceOutcome* cache = nullptr;
  const Duration took = StartCache(&cache, &executed);
  ASSERT_NE(cache, nullptr);
  EXPECT_TRUE(cache->ok) << cache->error;
  EXPECT_EQ(took, Duration::zero());
  EXPECT_THAT(docker_.calls(), Contains("api-unpause cache"));
  EXPECT_TRUE(exec_.calls().empty());
}

TEST_F(ExecCheckTest, TheReadinessWaitsFirstLookIsTheListingAfterTheStartNotAnotherOne) {
  PauseAsACloseDoes(context_, docker_, "cache", "healthy");
  docker_.RecordLists();
  ExecutedAction executed;
  const ServiceOutcome* cache = nullptr;
  StartCache(&cache, &executed);
  ASSERT_NE(cache, nullptr);
  EXPECT_TRUE(cache->ok) << cache->error;
  const std::vector<std::string> calls = docker_.calls();
  EXPECT_EQ(std::count(calls.begin(), calls.end(), "list"), 2)
      << "one to find the container (no known one), one after the start; none by the wait";
}

TEST_F(ExecCheckTest, AnUnpausedContainerDockerCallsHealthyIsReadyWithoutACheck) {
  PauseAsACloseDoes(context_, docker_, "cache", "healthy");
  docker_.SetHealth("cache", "healthy");
  ExecutedAction executed;
  const ServiceOutcome* cache = nullptr;
  const Duration took = StartCache(&cache, &executed);
  ASSERT_NE(cache, nullptr);
  EXPECT_TRUE(cache->ok) << cache->error;
  EXPECT_EQ(took, Duration::zero());
  EXPECT_TRUE(exec_.calls().empty());
}

TEST_F(ExecCheckTest, AnUnpausedContainerWhoseChecksFailedIsReadyOnlyAtAPass) {
  PauseAsACloseDoes(context_, docker_, "cache", "unhealthy");  // failing streak 3
  exec_.SetOutcome("id-cache", 0, Millis(10));
  ExecutedAction executed;
  const ServiceOutcome* cache = nullptr;
  const Duration took = StartCache(&cache, &executed);
  ASSERT_NE(cache, nullptr);
  EXPECT_TRUE(cache->ok) << cache->error;
  EXPECT_GE(took, Millis(10));
  EXPECT_EQ(exec_.starts(), 1);
}

TEST_F(ExecCheckTest, AnUnpausedContainerNotYetHealthyIsReadyAtItsFirstPass) {
  PauseAsACloseDoes(context_, docker_, "cache", "starting");  // paused before any check
  exec_.SetOutcome("id-cache", 0, Millis(10));
  ExecutedAction executed;
  const ServiceOutcome* cache = nullptr;
  const Duration took = StartCache(&cache, &executed);
  ASSERT_NE(cache, nullptr);
  EXPECT_TRUE(cache->ok) << cache->error;
  EXPECT_LT(took, Millis(100));
  EXPECT_EQ(exec_.starts(), 1);
}

// madre remembers the runs it saw pass a check; `cache` is started, and ready on its first
// check (30 ms), which Docker, with its 30 s interval, has not run yet.
class UnpauseAfterPassTest : public ExecCheckTest {
 protected:
  void SetUp() override {
    context_.passed_checks = &passed_;
    exec_.SetOutcome("id-cache", 0, Millis(30));
    ExecutedAction executed;
    const ServiceOutcome* cache = nullptr;
    StartCache(&cache, &executed);
    ASSERT_TRUE(cache != nullptr && cache->ok);
    ASSERT_EQ(exec_.starts(), 1);
  }

  PassedChecks passed_;
};

TEST_F(UnpauseAfterPassTest,
       PausedBeforeDockersFirstCheckAfterMadresPassItIsReadyAtOnceWhenUnpaused) {
  PauseAsItRuns(context_, "cache");  // within Docker's 30 s interval: Docker logged no check
  const ContainerState paused = docker_.ListProject()->at(0);
  ASSERT_EQ(paused.state, "paused");
  ASSERT_EQ(paused.health_last_exit, std::nullopt);
  ExecutedAction executed;
  const ServiceOutcome* cache = nullptr;
  const Duration took = StartCache(&cache, &executed);
  ASSERT_NE(cache, nullptr);
  EXPECT_TRUE(cache->ok) << cache->error;
  EXPECT_EQ(took, Duration::zero());
  EXPECT_EQ(exec_.starts(), 1) << "madre's pass before the pause was the last check";
}

TEST_F(UnpauseAfterPassTest, ARunMadreDidNotSeePassIsCheckedAgainAfterTheUnpause) {
  docker_.SetRunning("cache", false);  // stopped and started by hand: another run
  docker_.SetRunning("cache", true);
  PauseAsItRuns(context_, "cache");
  ExecutedAction executed;
  const ServiceOutcome* cache = nullptr;
  const Duration took = StartCache(&cache, &executed);
  ASSERT_NE(cache, nullptr);
  EXPECT_TRUE(cache->ok) << cache->error;
  EXPECT_GE(took, Millis(30));
  EXPECT_EQ(exec_.starts(), 2);
}

// A window of two levels, `back` depending on `front`, both with a Docker healthcheck whose
// checks (run by madre) take 100 ms to pass.
class LevelsTest : public ::testing::Test {
 protected:
  LevelsTest()
      : model_(Levels()),
        docker_(model_),
        exec_(clock_),
        context_{docker_,
                 docker_,
                 probe_,
                 clock_,
                 [this](Duration d) { clock_.Advance(d); },
                 model_,
                 ReadinessOptions{},
                 &docker_} {
    context_.exec = &exec_;
    context_.pause_on_stop = true;
    HealthcheckConfig config;
    config.test = {"CMD", "check"};
    for (const char* id : {"id-front", "id-back"}) {
      exec_.SetHealthcheck(id, config);
      exec_.SetOutcome(id, 0, Millis(100));
    }
  }

  static ServiceModel Levels() {
    ServiceModel model = ModelOf({{"front", {}}, {"back", {"front"}}});
    model.services["front"].has_healthcheck = true;
    model.services["back"].has_healthcheck = true;
    return model;
  }

  // Both paused before any check passed (the pause's unhealthy with no passing check logged).
  void PauseBoth() {
    for (const char* s : {"front", "back"}) {
      docker_.SetRunning(s, true);
      docker_.SetHealth(s, "starting");
    }
    Action stop;
    stop.id = 2;
    stop.kind = ActionKind::kStop;
    stop.services = {"back", "front"};
    ExecuteAction(stop, context_);
  }

  Duration StartBoth(ExecutedAction* executed) {
    Action start;
    start.id = 3;
    start.kind = ActionKind::kStart;
    start.services = {"front", "back"};
    const TimePoint began = clock_.Now();
    *executed = ExecuteAction(start, context_);
    return clock_.Now() - began;
  }

  ServiceModel model_;
  FakeDocker docker_;
  FakeProbe probe_;
  FakeClock clock_;
  FakeContainerExec exec_;
  ActionContext context_;
};

TEST_F(LevelsTest, AllPausedTheirChecksRunTogetherNotLevelByLevel) {
  PauseBoth();
  ExecutedAction executed;
  const Duration took = StartBoth(&executed);
  for (const auto& s : executed.result.services) EXPECT_TRUE(s.ok) << s.service << ": " << s.error;
  EXPECT_THAT(docker_.calls(), testing::IsSupersetOf({"api-unpause front", "api-unpause back"}));
  EXPECT_EQ(exec_.starts(), 2);
  EXPECT_LT(took, Millis(200)) << "one check's time, not two in a row";
}

TEST_F(LevelsTest, AStoppedDependentIsStartedOnlyOnceItsDependencyPassed) {
  PauseBoth();
  docker_.SetRunning("back", false);  // stopped: its start waits for front's gate
  ExecutedAction executed;
  const Duration took = StartBoth(&executed);
  for (const auto& s : executed.result.services) EXPECT_TRUE(s.ok) << s.service << ": " << s.error;
  EXPECT_THAT(docker_.calls(), Contains("api-start back"));
  EXPECT_GE(took, Millis(200)) << "front's check, then back's";
}

TEST_F(LevelsTest, ADependencyWhoseStartFailedHoldsNoGate) {
  docker_.Recreate("front");  // `created`: a container that never ran, as compose leaves one
  docker_.SetRunning("back", false);
  docker_.FailNext("api-start", Status::Internal("cannot start front"));
  ExecutedAction executed;
  const Duration took = StartBoth(&executed);
  EXPECT_LT(took, Seconds(1)) << "a gate on front would wait for it until the 30 s timeout";
  const ServiceOutcome* front = nullptr;
  for (const auto& s : executed.result.services) {
    if (s.service == "front") front = &s;
  }
  ASSERT_NE(front, nullptr);
  EXPECT_FALSE(front->ok);
  EXPECT_THAT(front->error, HasSubstr("cannot start front"));
}

}  // namespace
}  // namespace madre
