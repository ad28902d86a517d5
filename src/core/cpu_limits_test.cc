#include "core/cpu_limits.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "testing/model_builder.h"

namespace madre {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Pair;

Window LiveWindow(const std::string& id, std::vector<std::string> services,
                  std::optional<double> cpu_limit, WindowState state = WindowState::kOpen) {
  Window window;
  window.id = id;
  window.state = state;
  window.services = services;
  window.effective_services = std::move(services);
  window.cpu_limit = cpu_limit;
  return window;
}

ContainerState Container(const std::string& service, const std::string& id,
                         const std::string& state = "running") {
  ContainerState c;
  c.service = service;
  c.id = id;
  c.state = state;
  return c;
}

TEST(CpuLimitTest, ChecksTheRangeAndNamesTheField) {
  EXPECT_TRUE(CheckCpuLimit(0.5).ok());
  EXPECT_TRUE(CheckCpuLimit(0.01).ok());
  EXPECT_TRUE(CheckCpuLimit(1024).ok());
  for (double bad : {0.0, -0.5, 0.009, 1024.5, std::nan(""), HUGE_VAL}) {
    Status status = CheckCpuLimit(bad);
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(status.message(), HasSubstr("cpu_limit")) << bad;
  }
  EXPECT_THAT(CheckCpuLimit(0, "payload.cpu_limit").message(), HasSubstr("payload.cpu_limit"));
}

TEST(CpuLimitTest, NanoCpusRoundsAsComposeDoes) {
  EXPECT_EQ(NanoCpus(0.5), 500'000'000);
  EXPECT_EQ(NanoCpus(1.5), 1'500'000'000);
  EXPECT_EQ(NanoCpus(0.01), kCpuIdleNanoCpus);
  EXPECT_EQ(NanoCpus(0.3333333333), 333'333'333);
}

TEST(CpuLimitTest, TheLabelCountsWhenItIsAValidLimit) {
  ServiceDef def;
  EXPECT_EQ(LabelCpuLimit(def), std::nullopt);
  def.labels[kCpuLimitLabel] = "0.25";
  EXPECT_EQ(LabelCpuLimit(def), 0.25);
  for (const char* bad : {"", "x", "0", "-1", "0.5cpus", "5000"}) {
    def.labels[kCpuLimitLabel] = bad;
    EXPECT_EQ(LabelCpuLimit(def), std::nullopt) << bad;
  }
}

TEST(WantedCpuLimitsTest, TheLowestLimitAmongLiveWindowsAndTheLabelWins) {
  ServiceModel model = ModelOf({{"db", {}}, {"web", {"db"}}, {"worker", {}}, {"cache", {}}});
  model.services["cache"].labels[kCpuLimitLabel] = "0.2";
  std::map<std::string, Window> windows;
  windows["a"] = LiveWindow("a", {"db", "web"}, 1.0);
  windows["b"] = LiveWindow("b", {"db"}, 0.5, WindowState::kOpening);
  windows["c"] = LiveWindow("c", {"worker"}, std::nullopt);
  windows["d"] = LiveWindow("d", {"cache"}, 0.7);
  windows["e"] = LiveWindow("e", {"worker"}, 0.1, WindowState::kClosing);  // not live
  EXPECT_THAT(
      WantedCpuLimits(windows, model),
      ElementsAre(Pair("cache", 200'000'000), Pair("db", 500'000'000), Pair("web", 1'000'000'000)));
}

TEST(WantedCpuLimitsTest, TheLabelAppliesWheneverAWindowHoldsTheServiceAndOnlyThen) {
  ServiceModel model = ModelOf({{"db", {}}});
  model.services["db"].labels[kCpuLimitLabel] = "1.5";
  std::map<std::string, Window> windows;
  EXPECT_THAT(WantedCpuLimits(windows, model), IsEmpty());
  windows["a"] = LiveWindow("a", {"db"}, std::nullopt);
  EXPECT_THAT(WantedCpuLimits(windows, model), ElementsAre(Pair("db", 1'500'000'000)));
  windows["a"].state = WindowState::kClosed;
  EXPECT_THAT(WantedCpuLimits(windows, model), IsEmpty());
}

TEST(PlanCpuChangesTest, LimitsEachContainerOnceThenLeavesItAlone) {
  const std::map<std::string, std::int64_t> wanted = {{"db", 500'000'000}};
  std::vector<ContainerState> observed = {Container("db", "d1"), Container("web", "w1")};
  EXPECT_THAT(PlanCpuChanges(wanted, observed, {}),
              ElementsAre(CpuChange{CpuChangeKind::kLimit, "d1", "db", 500'000'000, false}));
  std::map<std::string, CpuQuotaState> records = {
      {"d1", {.service = "db", .original = 0, .applied = 500'000'000, .idled = false}}};
  EXPECT_THAT(PlanCpuChanges(wanted, observed, records), IsEmpty());
  // A lower limit now (another window): changed again.
  EXPECT_THAT(PlanCpuChanges({{"db", 250'000'000}}, observed, records),
              ElementsAre(CpuChange{CpuChangeKind::kLimit, "d1", "db", 250'000'000, false}));
  // After a restart madre does not know what it applied: set again.
  records["d1"].applied.reset();
  EXPECT_THAT(PlanCpuChanges(wanted, observed, records),
              ElementsAre(CpuChange{CpuChangeKind::kLimit, "d1", "db", 500'000'000, false}));
}

TEST(PlanCpuChangesTest, RestoresTheOriginalWhenNothingLimitsAndForgetsGoneContainers) {
  std::vector<ContainerState> observed = {Container("db", "d1", "exited")};
  std::map<std::string, CpuQuotaState> records = {
      {"d1", {.service = "db", .original = 1'500'000'000, .applied = 500'000'000, .idled = false}},
      {"gone", {.service = "web", .original = 0, .applied = 500'000'000, .idled = false}}};
  EXPECT_THAT(PlanCpuChanges({}, observed, records),
              ElementsAre(CpuChange{CpuChangeKind::kRestore, "d1", "db", 1'500'000'000, false},
                          CpuChange{CpuChangeKind::kForget, "gone", "web", 0, false}));
}

TEST(PlanCpuChangesTest, AnIdledContainerWaitsForItsStartUnlessItStoppedSince) {
  std::map<std::string, CpuQuotaState> records = {
      {"d1", {.service = "db", .original = 0, .applied = kCpuIdleNanoCpus, .idled = true}}};
  std::vector<ContainerState> idled = {Container("db", "d1", kIdledState)};
  EXPECT_THAT(PlanCpuChanges({}, idled, records), IsEmpty());
  EXPECT_THAT(PlanCpuChanges({{"db", 500'000'000}}, idled, records), IsEmpty());
  // Shown running with the record still idled: an observation from before the idle.
  std::vector<ContainerState> running = {Container("db", "d1")};
  EXPECT_THAT(PlanCpuChanges({{"db", 500'000'000}}, running, records), IsEmpty());
  EXPECT_THAT(PlanCpuChanges({}, running, records), IsEmpty());
  // Stopped for real (solo_madre/apply): the original back.
  std::vector<ContainerState> stopped = {Container("db", "d1", "exited")};
  EXPECT_THAT(PlanCpuChanges({}, stopped, records),
              ElementsAre(CpuChange{CpuChangeKind::kRestore, "d1", "db", 0, true}));
}

}  // namespace
}  // namespace madre
