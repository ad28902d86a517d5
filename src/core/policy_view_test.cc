#include "core/policy_view.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/cpu_limits.h"
#include "testing/model_builder.h"

namespace madre {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(SharedDependenciesTest, AServiceTwoAllowlistedServicesNeedIsNamedWithThem) {
  // The original stack: switch, hermes and hormiguero depend on the gateway.
  ServiceModel model = ModelOf({{"redis", {}},
                                {"tentaculo_link", {"redis"}},
                                {"switch", {"tentaculo_link"}},
                                {"hermes", {"tentaculo_link"}},
                                {"hormiguero", {"switch"}},
                                {"solo", {}}});
  const std::set<std::string> allowlist = {"hermes", "hormiguero", "solo", "switch",
                                           "tentaculo_link"};
  auto shared = SharedDependencies(model, {"madre", "redis"}, allowlist);
  ASSERT_EQ(shared.size(), 1u) << "switch: one dependent (hormiguero) is no case";
  EXPECT_THAT(shared.at("tentaculo_link"), ElementsAre("hermes", "hormiguero", "switch"));
}

TEST(SharedDependenciesTest, AlwaysOnDependenciesAndSingleDependentsAreNoCase) {
  ServiceModel model = ModelOf({{"redis", {}},
                                {"tentaculo_link", {"redis"}},
                                {"switch", {"tentaculo_link"}},
                                {"hermes", {"tentaculo_link"}}});
  EXPECT_THAT(SharedDependencies(model, {"madre", "redis", "tentaculo_link"}, {"hermes", "switch"}),
              IsEmpty());
  EXPECT_THAT(SharedDependencies(model, {"madre", "redis"}, {"switch"}), IsEmpty());
}

Window WindowOf(std::string id, WindowState state, int created_sec,
                std::vector<std::string> services) {
  Window w;
  w.id = std::move(id);
  w.state = state;
  w.created_at = TimePoint{} + Seconds(created_sec);
  w.effective_services = std::move(services);
  return w;
}

WindowsById Windows(std::initializer_list<Window> list) {
  WindowsById out;
  for (const Window& w : list) out[w.id] = w;
  return out;
}

TEST(PolicyViewTest, TheStackIsWindowedWhileAnyWindowIsKeptEvenAClosingOne) {
  EXPECT_STREQ(PolicyName({}), "solo_madre");
  EXPECT_STREQ(PolicyName(Windows({WindowOf("a", WindowState::kClosing, 1, {"db"})})), "windowed");
}

TEST(PolicyViewTest, TheActiveWindowIsTheNewestLiveOne) {
  WindowsById windows = Windows({WindowOf("a", WindowState::kOpen, 5, {"db"}),
                                 WindowOf("b", WindowState::kOpening, 9, {"web"}),
                                 WindowOf("c", WindowState::kClosing, 20, {"redis"})});
  ASSERT_NE(ActiveWindow(windows), nullptr);
  EXPECT_EQ(ActiveWindow(windows)->id, "b");
  EXPECT_EQ(ActiveWindow(Windows({WindowOf("c", WindowState::kClosing, 20, {})})), nullptr);
}

TEST(PolicyViewTest, ActiveServicesAndWindowsByServiceCountOnlyLiveWindows) {
  WindowsById windows = Windows({WindowOf("a", WindowState::kOpen, 5, {"db", "web"}),
                                 WindowOf("b", WindowState::kOpen, 6, {"db"}),
                                 WindowOf("c", WindowState::kClosing, 7, {"redis"})});
  EXPECT_THAT(ActiveServices(windows), ElementsAre("db", "web"));
  auto by_service = WindowsByService(windows);
  EXPECT_THAT(by_service["db"], ElementsAre("a", "b"));
  EXPECT_THAT(by_service["web"], ElementsAre("a"));
  EXPECT_EQ(by_service.count("redis"), 0u);
}

TEST(PolicyViewTest, SoloMadreHoldsWhenExactlyTheAlwaysOnSetRuns) {
  ServiceModel model = ModelOf({{"redis", {}}, {"db", {}}});
  ContainerState redis, db;
  redis.service = "redis";
  redis.state = "running";
  db.service = "db";
  db.state = "exited";
  // "madre" is not a compose service: it is the daemon itself, so it counts as running.
  SoloMadreCheck ok = CheckSoloMadre({redis, db}, {"madre", "redis"}, model);
  EXPECT_TRUE(ok.policy_active);
  EXPECT_THAT(ok.running, ElementsAre("madre", "redis"));
  EXPECT_THAT(ok.unexpected, IsEmpty());

  db.state = "running";
  redis.state = "exited";
  SoloMadreCheck bad = CheckSoloMadre({redis, db}, {"madre", "redis"}, model);
  EXPECT_FALSE(bad.policy_active);
  EXPECT_THAT(bad.unexpected, ElementsAre("db"));
  EXPECT_THAT(bad.missing, ElementsAre("redis"));
}

// A swarm service runs when it has running tasks: one that Swarm still schedules or starts
// (state "restarting": desired 1, running 0) does not, one whose tasks still shut down does.
TEST(PolicyViewTest, ASwarmServiceRunsWhenItHasRunningTasks) {
  ContainerState scheduling, shutting_down, up;
  scheduling.service = "redis";
  scheduling.state = "restarting";
  scheduling.replicas = ServiceReplicas{.desired = 1, .running = 0, .nodes = {}, .unplaceable = ""};
  shutting_down.service = "db";
  shutting_down.state = "removing";
  shutting_down.replicas =
      ServiceReplicas{.desired = 0, .running = 1, .nodes = {"n1"}, .unplaceable = ""};
  up.service = "web";
  up.state = "running";
  up.replicas = ServiceReplicas{.desired = 2, .running = 2, .nodes = {"n1"}, .unplaceable = ""};
  EXPECT_THAT(RunningServices({scheduling, shutting_down, up}), ElementsAre("db", "web"));
  ServiceModel model = ModelOf({{"redis", {}}, {"db", {}}, {"web", {}}});
  SoloMadreCheck check = CheckSoloMadre({scheduling, shutting_down, up}, {"redis"}, model);
  EXPECT_FALSE(check.policy_active);
  EXPECT_THAT(check.missing, ElementsAre("redis"));
  EXPECT_THAT(check.unexpected, ElementsAre("db", "web"));
}

TEST(PolicyViewTest, IdledServicesAreDormantForSoloMadreAndListedApart) {
  ServiceModel model = ModelOf({{"redis", {}}, {"db", {}}});
  ContainerState redis, db;
  redis.service = "redis";
  redis.state = "running";
  db.service = "db";
  db.state = kIdledState;  // VX11_STOP_STRATEGY=cpu_idle: runs at the minimal quota
  SoloMadreCheck check = CheckSoloMadre({redis, db}, {"madre", "redis"}, model);
  EXPECT_TRUE(check.policy_active);
  EXPECT_THAT(check.running, ElementsAre("madre", "redis"));
  EXPECT_THAT(check.idled, ElementsAre("db"));
}

TEST(PolicyViewTest, RunningAlwaysOnListsRunningAlwaysOnContainersAndMadreOffCompose) {
  ServiceModel model = ModelOf({{"redis", {}}, {"db", {}}, {"cache", {}}});
  ContainerState redis, db, cache;
  redis.service = "redis";
  redis.state = "running";
  db.service = "db";
  db.state = "running";  // running, but not always-on
  cache.service = "cache";
  cache.state = "exited";  // always-on, but not running
  // "madre" is not a compose service: it is the daemon itself, so it is listed.
  EXPECT_THAT(RunningAlwaysOn({redis, db, cache}, {"madre", "redis", "cache"}, model),
              ElementsAre("madre", "redis"));
  redis.state = "exited";
  EXPECT_THAT(RunningAlwaysOn({redis, db, cache}, {"madre", "redis", "cache"}, model),
              ElementsAre("madre"));
  EXPECT_THAT(RunningAlwaysOn({}, {"redis"}, model), IsEmpty());
}

}  // namespace
}  // namespace madre
