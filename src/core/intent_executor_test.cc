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

}  // namespace
}  // namespace madre
