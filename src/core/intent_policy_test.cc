#include "core/intent_policy.h"

#include <gtest/gtest.h>

namespace madre {
namespace {

PolicyRule Rule(std::string name, std::string source, std::string type, PolicyAction action,
                std::vector<Role> approvers = {}) {
  return PolicyRule{std::move(name), std::move(source), std::move(type), action,
                    std::move(approvers)};
}

TEST(IntentPolicyTest, NoRuleMeansEveryIntentNeedsApproval) {
  const PolicyVerdict verdict = MatchPolicy(IntentPolicy{}, "hormiguero", "window", false);
  EXPECT_EQ(verdict.action, PolicyAction::kRequireApproval);
  EXPECT_EQ(verdict.rule, "");
}

TEST(IntentPolicyTest, TheFirstMatchDecidesAndAbsentOrStarMatchesAny) {
  const IntentPolicy policy{
      {Rule("queen-windows", "hormiguero", "window", PolicyAction::kAutoApprove),
       Rule("builds", "*", "build", PolicyAction::kRequireApproval, {Role::kAdmin}),
       Rule("rest", "", "", PolicyAction::kAutoApprove)},
      {}};
  PolicyVerdict v = MatchPolicy(policy, "hormiguero", "window", false);
  EXPECT_EQ(v.action, PolicyAction::kAutoApprove);
  EXPECT_EQ(v.rule, "queen-windows");
  v = MatchPolicy(policy, "manifestator", "build", false);
  EXPECT_EQ(v.action, PolicyAction::kRequireApproval);
  EXPECT_EQ(v.rule, "builds");
  EXPECT_EQ(v.approvers, std::vector<Role>{Role::kAdmin});
  v = MatchPolicy(policy, "operator", "window", false);
  EXPECT_EQ(v.rule, "rest") << "source is an exact match";
  v = MatchPolicy(policy, "Hormiguero", "window", false);
  EXPECT_EQ(v.rule, "rest") << "case matters";
}

TEST(IntentPolicyTest, ADenyAnywhereAmongTheMatchesWins) {
  const IntentPolicy policy{{Rule("allow-all", "*", "*", PolicyAction::kAutoApprove),
                             Rule("no-spawn", "", "spawn", PolicyAction::kDeny)},
                            {}};
  PolicyVerdict v = MatchPolicy(policy, "operator", "spawn", false);
  EXPECT_EQ(v.action, PolicyAction::kDeny);
  EXPECT_EQ(v.rule, "no-spawn");
  EXPECT_EQ(MatchPolicy(policy, "operator", "window", false).action, PolicyAction::kAutoApprove);
}

TEST(IntentPolicyTest, ATokenLessIntentIsNeverAutoApproved) {
  const IntentPolicy policy{{Rule("queen", "hormiguero", "", PolicyAction::kAutoApprove)}, {}};
  const PolicyVerdict v = MatchPolicy(policy, "hormiguero", "window", true);
  EXPECT_EQ(v.action, PolicyAction::kRequireApproval);
  EXPECT_EQ(v.rule, "queen");
}

TEST(IntentPolicyTest, WhoMayDecide) {
  const PolicyVerdict by_default;
  EXPECT_FALSE(MayDecide(by_default, Role::kSubmitter));
  EXPECT_TRUE(MayDecide(by_default, Role::kOperator));
  EXPECT_TRUE(MayDecide(by_default, Role::kAdmin));
  const PolicyVerdict admins{PolicyAction::kRequireApproval, "builds", {Role::kAdmin}};
  EXPECT_FALSE(MayDecide(admins, Role::kOperator));
  EXPECT_TRUE(MayDecide(admins, Role::kAdmin));
  const PolicyVerdict submitters{PolicyAction::kRequireApproval, "r", {Role::kSubmitter}};
  EXPECT_TRUE(MayDecide(submitters, Role::kSubmitter));
  EXPECT_FALSE(MayDecide(submitters, Role::kViewer));
}

TEST(IntentPolicyTest, ASourceQuotaIsItsOwnElseTheStarElseNone) {
  IntentPolicy policy;
  EXPECT_EQ(policy.QuotaFor("hormiguero"), SourceQuota{});
  policy.sources["hormiguero"] = SourceQuota{2, 30};
  EXPECT_EQ(policy.QuotaFor("hormiguero"), (SourceQuota{2, 30}));
  EXPECT_EQ(policy.QuotaFor("ops"), SourceQuota{});
  policy.sources["*"] = SourceQuota{1, 0};
  EXPECT_EQ(policy.QuotaFor("ops"), (SourceQuota{1, 0}));
  EXPECT_EQ(policy.QuotaFor("hormiguero"), (SourceQuota{2, 30}));
}

TEST(IntentPolicyTest, ActionNamesRoundTrip) {
  for (PolicyAction a :
       {PolicyAction::kAutoApprove, PolicyAction::kRequireApproval, PolicyAction::kDeny}) {
    EXPECT_EQ(ParsePolicyAction(PolicyActionName(a)), a);
  }
  EXPECT_EQ(ParsePolicyAction("allow"), std::nullopt);
}

}  // namespace
}  // namespace madre
