#include "core/intent_executor.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace madre {
namespace {

using ::testing::HasSubstr;

TEST(IntentExecutorTest, TheSetOfExecutorsIsClosed) {
  EXPECT_EQ(ExecutorFor("window"), IntentExecutor::kWindow);
  EXPECT_EQ(ExecutorFor("spawn"), IntentExecutor::kSpawn);
  EXPECT_EQ(ExecutorFor("build"), IntentExecutor::kBuild);
  EXPECT_EQ(ExecutorFor("stabilize_cpu"), IntentExecutor::kStabilizeCpu);
  for (const char* other : {"fs_drift", "diagnose", "propose", "apply", "Window", "", "deploy"}) {
    EXPECT_EQ(ExecutorFor(other), IntentExecutor::kNone) << other;
  }
  EXPECT_EQ(NoExecutorReason("deploy"), "no executor for type deploy");
  EXPECT_THAT(NoExecutorReason("fs_drift"), HasSubstr("no executor for type fs_drift"));
  EXPECT_THAT(NoExecutorReason("apply"), HasSubstr("autofix"));
}

TEST(IntentExecutorTest, AWindowOpenNeedsServicesAndABoundedTtl) {
  WindowIntent open{.op = WindowIntent::Op::kOpen,
                    .services = {"switch", "hermes"},
                    .ttl_sec = 600,
                    .hold = false,
                    .window_id = "",
                    .reason = "",
                    .cpu_limit = std::nullopt};
  EXPECT_TRUE(CheckWindowIntent(open, 3600).ok());
  open.ttl_sec = 0;
  EXPECT_THAT(CheckWindowIntent(open, 3600).message(),
              HasSubstr("payload.ttl_sec must be 1..3600"));
  open.ttl_sec = 3601;
  EXPECT_FALSE(CheckWindowIntent(open, 3600).ok());
  open.ttl_sec = 60;
  open.hold = true;
  EXPECT_THAT(CheckWindowIntent(open, 3600).message(), HasSubstr("exclude"));
  open.hold = false;
  open.services = {};
  EXPECT_THAT(CheckWindowIntent(open, 3600).message(), HasSubstr("payload.services"));
  open.services = {"../etc"};
  EXPECT_EQ(CheckWindowIntent(open, 3600).code(), StatusCode::kInvalidArgument);
  open.services = {"switch"};
  open.cpu_limit = 0.5;
  EXPECT_TRUE(CheckWindowIntent(open, 3600).ok());
  EXPECT_EQ(WindowIntentOpen(open, "i-1").cpu_limit, 0.5);
  open.cpu_limit = 0;
  EXPECT_THAT(CheckWindowIntent(open, 3600).message(), HasSubstr("payload.cpu_limit"));

  WindowIntent close{.op = WindowIntent::Op::kClose,
                     .services = {},
                     .ttl_sec = std::nullopt,
                     .hold = false,
                     .window_id = "w-1",
                     .reason = "",
                     .cpu_limit = std::nullopt};
  EXPECT_TRUE(CheckWindowIntent(close, 3600).ok());
  close.services = {"switch"};
  EXPECT_FALSE(CheckWindowIntent(close, 3600).ok());
}

TEST(IntentExecutorTest, TheOpensNameTheIntentAsTheirActor) {
  WindowIntent w{.op = WindowIntent::Op::kOpen,
                 .services = {"switch"},
                 .ttl_sec = 120,
                 .hold = false,
                 .window_id = "",
                 .reason = "",
                 .cpu_limit = std::nullopt};
  OpenRequest open = WindowIntentOpen(w, "intent-1");
  EXPECT_EQ(open.services, std::vector<std::string>{"switch"});
  EXPECT_EQ(open.ttl_sec, 120);
  EXPECT_EQ(open.actor, "intent:intent-1");
  EXPECT_EQ(open.reason, "intent intent-1");

  OpenRequest spawn =
      SpawnIntentOpen({.ttl_sec = std::nullopt, .reason = "daughter"}, "spawner", 600, "intent-2");
  EXPECT_EQ(spawn.services, std::vector<std::string>{"spawner"});
  EXPECT_EQ(spawn.ttl_sec, 600);
  EXPECT_EQ(spawn.reason, "daughter");
  EXPECT_EQ(spawn.actor, "intent:intent-2");
  EXPECT_FALSE(CheckSpawnIntent({.ttl_sec = -5, .reason = ""}, 3600).ok());
}

TEST(IntentExecutorTest, ABuildNamesAService) {
  EXPECT_TRUE(CheckBuildIntent({.target_service = "switch",
                                .dockerfile_path = "switch/Dockerfile",
                                .build_context = "switch",
                                .reason = ""})
                  .ok());
  EXPECT_THAT(CheckBuildIntent({}).message(), HasSubstr("target_service is required"));
  EXPECT_FALSE(
      CheckBuildIntent(
          {.target_service = "a b", .dockerfile_path = "", .build_context = "", .reason = ""})
          .ok());
}

TEST(AdmissionTest, TheHostThresholdComesFirst) {
  AdmissionFacts facts;
  facts.threshold_pct = 70;
  EXPECT_FALSE(Admit(facts).admit);
  EXPECT_THAT(Admit(facts).waiting_for, HasSubstr("first reading"));
  facts.host_cpu_pct = 85;
  EXPECT_FALSE(Admit(facts).admit);
  EXPECT_THAT(Admit(facts).waiting_for, HasSubstr("host CPU (85%) to fall under 70%"));
  facts.host_cpu_pct = 40;
  EXPECT_TRUE(Admit(facts).admit);
  facts.threshold_pct = 0;  // no host limit: no reading needed
  facts.host_cpu_pct.reset();
  EXPECT_TRUE(Admit(facts).admit);
}

TEST(AdmissionTest, SourceQuotasApplyOnlyWithPerSourceAdmission) {
  AdmissionFacts facts;
  facts.threshold_pct = 70;
  facts.host_cpu_pct = 10;
  facts.quota = {.max_concurrent = 2, .cpu_share_pct = 30};
  facts.executing_of_source = 2;
  facts.source_cpu_pct = 50;
  EXPECT_TRUE(Admit(facts).admit);  // VX11_INEE_ENABLED off: the host threshold alone
  facts.per_source = true;
  EXPECT_FALSE(Admit(facts).admit);
  EXPECT_THAT(Admit(facts).waiting_for, HasSubstr("max_concurrent 2"));
  facts.executing_of_source = 1;
  EXPECT_FALSE(Admit(facts).admit);
  EXPECT_THAT(Admit(facts).waiting_for, HasSubstr("cpu_share_pct 30%"));
  facts.source_cpu_pct = 29.5;
  EXPECT_TRUE(Admit(facts).admit);
  facts.quota = {};  // no quota: never waits for the source
  facts.executing_of_source = 50;
  facts.source_cpu_pct = 99;
  EXPECT_TRUE(Admit(facts).admit);
}

TEST(AdmissionTest, WithoutAReadingOfTheSourcesContainersACpuShareWaits) {
  AdmissionFacts facts;
  facts.threshold_pct = 0;
  facts.per_source = true;
  facts.quota = {.max_concurrent = 0, .cpu_share_pct = 30};
  facts.source_cpu_pct.reset();
  EXPECT_FALSE(Admit(facts).admit);
  EXPECT_THAT(Admit(facts).waiting_for, HasSubstr("first reading of the CPU of the source"));
  facts.quota.cpu_share_pct = 0;  // no share: no reading needed
  EXPECT_TRUE(Admit(facts).admit);
}

TEST(AdmissionTest, AStabilizeCpuIntentIsNotHeldBackByTheLoadItRelieves) {
  AdmissionFacts facts;
  facts.threshold_pct = 70;
  facts.host_cpu_pct = 95;
  facts.per_source = true;
  facts.quota = {.max_concurrent = 1, .cpu_share_pct = 10};
  facts.source_cpu_pct = 50;
  facts.relieves_load = true;
  EXPECT_TRUE(Admit(facts).admit);
  facts.executing_of_source = 1;  // max_concurrent still counts
  EXPECT_FALSE(Admit(facts).admit);
  EXPECT_THAT(Admit(facts).waiting_for, HasSubstr("max_concurrent 1"));
}

TEST(AdmissionTest, OpensWaitNamingTheStabilizeCpuIntentThatHoldsThem) {
  AdmissionFacts facts;
  facts.threshold_pct = 70;
  facts.host_cpu_pct = 80;
  facts.opens_window = true;
  facts.stabilizing = "intent-s";
  EXPECT_FALSE(Admit(facts).admit);
  EXPECT_THAT(Admit(facts).waiting_for, HasSubstr("stabilize_cpu intent intent-s holds new opens"));
  facts.opens_window = false;  // a close or a build: the host threshold alone
  EXPECT_THAT(Admit(facts).waiting_for, HasSubstr("the host CPU (80%) to fall under 70%"));
  facts.opens_window = true;
  facts.host_cpu_pct = 40;
  EXPECT_TRUE(Admit(facts).admit);
}

TEST(StabilizeCpuTest, ItSucceedsUnderTheThresholdAndFailsAfterItsTimeout) {
  const TimePoint t0 = FromMicros(1'000'000'000);
  const TimePoint deadline = t0 + Seconds(600);
  using Outcome = StabilizeStep::Outcome;
  EXPECT_EQ(CheckStabilize(85, 70, t0, deadline, 600).outcome, Outcome::kHolding);
  EXPECT_EQ(CheckStabilize(70, 70, t0, deadline, 600).outcome, Outcome::kHolding)
      << "at the threshold is not under it";
  EXPECT_EQ(CheckStabilize(std::nullopt, 70, t0, deadline, 600).outcome, Outcome::kHolding);
  StabilizeStep ok = CheckStabilize(42, 70, t0 + Seconds(5), deadline, 600);
  EXPECT_EQ(ok.outcome, Outcome::kSucceeded);
  EXPECT_THAT(ok.detail, HasSubstr("host CPU (42%) is under 70%"));
  StabilizeStep late = CheckStabilize(85, 70, deadline, deadline, 600);
  EXPECT_EQ(late.outcome, Outcome::kFailed);
  EXPECT_THAT(late.detail, HasSubstr("(85%) still at or above 70% after 600 s"));
  EXPECT_EQ(CheckStabilize(std::nullopt, 70, deadline, deadline, 600).outcome, Outcome::kFailed);
  EXPECT_EQ(CheckStabilize(std::nullopt, 0, t0, deadline, 600).outcome, Outcome::kSucceeded)
      << "no threshold: nothing to wait for";
}

TEST(StabilizeCpuTest, OpensAreRefusedAtOrAboveTheThresholdNamingTheIntent) {
  EXPECT_EQ(StabilizeRefusal("intent-s", 40, 70), std::nullopt);
  EXPECT_EQ(StabilizeRefusal("intent-s", 90, 0), std::nullopt);
  std::optional<std::string> refused = StabilizeRefusal("intent-s", 70, 70);
  ASSERT_TRUE(refused.has_value());
  EXPECT_THAT(*refused, HasSubstr("stabilize_cpu intent intent-s holds new opens while the "
                                  "host CPU (70%) is at or above 70%"));
  EXPECT_THAT(StabilizeRefusal("intent-s", std::nullopt, 70).value_or(""),
              HasSubstr("no reading yet"));
}

TEST(StabilizeCpuTest, TheTimeoutIsBounded) {
  EXPECT_TRUE(CheckStabilizeCpuIntent({}).ok());
  EXPECT_EQ(StabilizeTimeoutSec({}), 600);
  EXPECT_EQ(StabilizeTimeoutSec({.timeout_sec = 30, .reason = ""}), 30);
  EXPECT_THAT(CheckStabilizeCpuIntent({.timeout_sec = 0, .reason = ""}).message(),
              HasSubstr("payload.timeout_sec must be 1..86400, not 0"));
  EXPECT_FALSE(CheckStabilizeCpuIntent({.timeout_sec = 86401, .reason = ""}).ok());
}

TEST(IntentExecutorTest, AnActorNamesAnIntentOnlyWithItsPrefix) {
  EXPECT_EQ(IntentOfActor(IntentActor("intent-1")), "intent-1");
  EXPECT_EQ(IntentOfActor("intent:"), std::nullopt);
  EXPECT_EQ(IntentOfActor("default@127.0.0.1"), std::nullopt);
}

TEST(SourceCpuTest, TheSourcesWindowsContainersOverTheHostsCores) {
  const std::vector<SourceWindow> windows = {
      {"hormiguero", {"a", "b"}}, {"hormiguero", {"b"}}, {"ops", {"c", "b"}}, {"", {"d"}}};
  auto container = [](std::string service, std::string id, std::string state = "running") {
    ContainerState c;
    c.service = std::move(service);
    c.id = std::move(id);
    c.state = std::move(state);
    return c;
  };
  const std::vector<ContainerState> observed = {container("a", "ca"), container("b", "cb"),
                                                container("c", "cc"), container("d", "cd"),
                                                container("e", "ce", "exited")};
  std::map<std::string, ContainerStats> stats;
  stats["ca"].cpu_percent = 100;  // one core
  stats["cb"].cpu_percent = 60;
  stats["cc"].cpu_percent = 20;
  stats["cd"].cpu_percent = 300;
  // 4 cores: (100 + 60) / 4; b counted once although two of its windows run it.
  EXPECT_DOUBLE_EQ(SourceCpuPct("hormiguero", windows, observed, &stats, 4).value_or(-1), 40);
  EXPECT_DOUBLE_EQ(SourceCpuPct("ops", windows, observed, &stats, 4).value_or(-1), 20);
  EXPECT_DOUBLE_EQ(SourceCpuPct("idle", windows, observed, nullptr, 4).value_or(-1), 0)
      << "a source that runs nothing needs no reading";
  EXPECT_EQ(SourceCpuPct("ops", windows, observed, nullptr, 4), std::nullopt);
  stats.erase("cc");  // started since the last round
  EXPECT_DOUBLE_EQ(SourceCpuPct("ops", windows, observed, &stats, 4).value_or(-1), 15);
}

}  // namespace
}  // namespace madre
