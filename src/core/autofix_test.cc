#include "core/autofix.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace madre {
namespace {

using ::testing::HasSubstr;

Diagnosis Exit127() {
  Diagnosis d;
  d.service = "web";
  d.cause = FailureCause::kCommandNotFound;
  d.remediations = {{RemediationKind::kRebuild, "web", "rebuild"},
                    {RemediationKind::kManual, "web", "fix the command"}};
  return d;
}

Diagnosis Flaky() {
  Diagnosis d;
  d.service = "web";
  d.cause = FailureCause::kCrashExitCode;
  d.remediations = {{RemediationKind::kRestart, "web", "restart web"}};
  return d;
}

TEST(AutoActionsTest, ParsesTheCatalogueKindsAndRefusesTheRest) {
  EXPECT_TRUE(ParseAutoActions("")->empty());
  auto kinds = ParseAutoActions("restart, recreate,restart");
  ASSERT_TRUE(kinds.ok());
  EXPECT_EQ(*kinds,
            (std::set<RemediationKind>{RemediationKind::kRestart, RemediationKind::kRecreate}));
  EXPECT_EQ(AutoActionsText(*kinds), "restart,recreate");
  EXPECT_THAT(ParseAutoActions("restart,reboot").status().message(), HasSubstr("reboot"));
  EXPECT_THAT(ParseAutoActions("manual").status().message(), HasSubstr("a human must act"));
}

TEST(ProposeTest, SuggestsOnlyByDefault) {
  const Proposal p = Propose(Flaky(), std::nullopt, AutofixPolicy{}, 1, false);
  EXPECT_EQ(p.remediation.kind, RemediationKind::kRestart);
  EXPECT_FALSE(p.auto_approved);
  EXPECT_FALSE(p.gives_up);
}

TEST(ProposeTest, AutoApprovesTheListedKindsOnly) {
  AutofixPolicy policy;
  policy.auto_actions = {RemediationKind::kRestart};
  EXPECT_TRUE(Propose(Flaky(), std::nullopt, policy, 1, false).auto_approved);
  EXPECT_FALSE(Propose(Exit127(), std::nullopt, policy, 1, false).auto_approved);  // rebuild
}

Diagnosis Unhealthy() {
  Diagnosis d;
  d.service = "web";
  d.cause = FailureCause::kHealthcheckFailing;
  d.remediations = {{RemediationKind::kRestart, "web", "restart web"},
                    {RemediationKind::kRecreate, "web", "recreate web"}};
  return d;
}

TEST(ProposeTest, SuggestOnlyEscalatesPastWhatWasTriedThenStartsOver) {
  const AutofixPolicy policy;
  const std::set<RemediationKind> restarted = {RemediationKind::kRestart};
  Proposal p = Propose(Unhealthy(), std::nullopt, policy, 2, false, restarted);
  EXPECT_EQ(p.remediation.kind, RemediationKind::kRecreate);
  EXPECT_FALSE(p.auto_approved);
  EXPECT_THAT(p.why, HasSubstr("escalated"));
  // Both tried: the first one again.
  p = Propose(Unhealthy(), std::nullopt, policy, 3, false,
              {RemediationKind::kRestart, RemediationKind::kRecreate});
  EXPECT_EQ(p.remediation.kind, RemediationKind::kRestart);
  EXPECT_THAT(p.why, HasSubstr("first"));
  // A rebuild that did not help: the manual step is next (a human must act).
  p = Propose(Exit127(), std::nullopt, policy, 2, false, {RemediationKind::kRebuild});
  EXPECT_EQ(p.remediation.kind, RemediationKind::kManual);
}

TEST(ProposeTest, AutomaticEscalationOnlyReachesAutoApprovedKinds) {
  AutofixPolicy policy;
  policy.auto_actions = {RemediationKind::kRestart};
  const std::set<RemediationKind> restarted = {RemediationKind::kRestart};
  // recreate is not allowed to run alone: restart again (after a longer back-off).
  Proposal p = Propose(Unhealthy(), std::nullopt, policy, 2, false, restarted);
  EXPECT_EQ(p.remediation.kind, RemediationKind::kRestart);
  EXPECT_TRUE(p.auto_approved);
  policy.auto_actions.insert(RemediationKind::kRecreate);
  p = Propose(Unhealthy(), std::nullopt, policy, 2, false, restarted);
  EXPECT_EQ(p.remediation.kind, RemediationKind::kRecreate);
  EXPECT_TRUE(p.auto_approved);
}

TEST(ProposeTest, TheAdvisersPickAlwaysWaitsForAHuman) {
  AutofixPolicy policy;
  policy.auto_actions = {RemediationKind::kRestart};
  const Proposal p = Propose(Exit127(), Remediation{RemediationKind::kRestart, "web", "restart"},
                             policy, 1, false);
  EXPECT_EQ(p.remediation.kind, RemediationKind::kRestart);
  EXPECT_TRUE(p.from_adviser);
  EXPECT_FALSE(p.auto_approved);
}

TEST(ProposeTest, GivesUpPastTheCycleLimitWithAQuarantineOrManualForAlwaysOn) {
  AutofixPolicy policy;
  policy.max_cycles = 3;
  EXPECT_FALSE(Propose(Flaky(), std::nullopt, policy, 3, false).gives_up);
  const Proposal quarantine = Propose(Flaky(), std::nullopt, policy, 4, false);
  EXPECT_TRUE(quarantine.gives_up);
  EXPECT_EQ(quarantine.remediation.kind, RemediationKind::kQuarantine);
  EXPECT_TRUE(quarantine.auto_approved);
  EXPECT_THAT(quarantine.remediation.text, HasSubstr("madre autofix reset web"));
  const Proposal manual = Propose(Flaky(), std::nullopt, policy, 4, true);
  EXPECT_TRUE(manual.gives_up);
  EXPECT_EQ(manual.remediation.kind, RemediationKind::kManual);
  EXPECT_FALSE(manual.auto_approved);
}

TEST(ProposeTest, AnAlwaysOnServiceIsNeverQuarantined) {
  Diagnosis d = Flaky();
  d.remediations = {{RemediationKind::kQuarantine, "web", "quarantine"}};
  AutofixPolicy policy;
  policy.auto_actions = {RemediationKind::kQuarantine};
  const Proposal p = Propose(d, std::nullopt, policy, 1, true);
  EXPECT_EQ(p.remediation.kind, RemediationKind::kManual);
  EXPECT_FALSE(p.auto_approved);
}

TEST(RestartDelayTest, DoublesFromTwoSecondsUpToAMinute) {
  EXPECT_EQ(RestartDelay(1), Seconds(2));
  EXPECT_EQ(RestartDelay(2), Seconds(4));
  EXPECT_EQ(RestartDelay(3), Seconds(8));
  EXPECT_EQ(RestartDelay(10), Seconds(60));
}

TEST(IncidentStateTest, EveryNameParsesBack) {
  for (IncidentState state :
       {IncidentState::kDiagnosing, IncidentState::kAwaitingApproval, IncidentState::kRemediating,
        IncidentState::kRetesting, IncidentState::kFixed, IncidentState::kNotFixed,
        IncidentState::kQuarantined, IncidentState::kManual}) {
    EXPECT_EQ(ParseIncidentState(IncidentStateName(state)), state);
  }
  EXPECT_EQ(ParseIncidentState("done"), std::nullopt);
  for (FailureKind kind : {FailureKind::kReadiness, FailureKind::kCrashLoop,
                           FailureKind::kUnhealthy, FailureKind::kConductorPhase}) {
    EXPECT_EQ(ParseFailureKind(FailureKindName(kind)), kind);
  }
  EXPECT_EQ(ParseFailureKind("oops"), std::nullopt);
}

TEST(IncidentStateTest, NamesAndFinalStates) {
  EXPECT_STREQ(IncidentStateName(IncidentState::kAwaitingApproval), "awaiting_approval");
  EXPECT_TRUE(IsFinal(IncidentState::kQuarantined));
  EXPECT_TRUE(IsFinal(IncidentState::kManual));
  EXPECT_FALSE(IsFinal(IncidentState::kRetesting));
}

}  // namespace
}  // namespace madre
