#include "daemon/intent_policy_file.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace madre {
namespace {

using ::testing::HasSubstr;

TEST(IntentPolicyFileTest, RulesAreReadInOrderWithTheirFields) {
  Result<IntentPolicy> policy = ParseIntentPolicy(R"toml(
[[rule]]
name = "queen-windows"
source = "hormiguero"
type = "window"
action = "auto_approve"

[[rule]]
name = "builds"
type = "build"
action = "require_approval"
approvers = ["admin", "operator"]

[[rule]]
name = "no-fs"
source = "*"
type = "fs_drift"
action = "deny"
)toml",
                                                  "policy.toml");
  ASSERT_TRUE(policy.ok()) << policy.status().ToString();
  ASSERT_EQ(policy->rules.size(), 3u);
  EXPECT_EQ(policy->rules[0],
            (PolicyRule{"queen-windows", "hormiguero", "window", PolicyAction::kAutoApprove, {}}));
  EXPECT_EQ(
      policy->rules[1],
      (PolicyRule{
          "builds", "", "build", PolicyAction::kRequireApproval, {Role::kAdmin, Role::kOperator}}));
  EXPECT_EQ(policy->rules[2].source, "*");
  EXPECT_EQ(policy->rules[2].action, PolicyAction::kDeny);
}

TEST(IntentPolicyFileTest, AnEmptyFileIsTheDefaultPolicy) {
  Result<IntentPolicy> policy = ParseIntentPolicy("# nothing yet\n", "policy.toml");
  ASSERT_TRUE(policy.ok());
  EXPECT_TRUE(policy->rules.empty());
}

TEST(IntentPolicyFileTest, ErrorsNameTheFileTheRuleAndTheKey) {
  const std::pair<std::string, std::string> cases[] = {
      {"[[rule]]\nname = \"a\"\naction = \"allow\"\n", "policy.toml: rule 1 (a): action must be"},
      {"[[rule]]\naction = \"deny\"\n", "rule 1: name is required"},
      {"[[rule]]\nname = \"a\"\n", "rule 1 (a): action is required"},
      {"[[rule]]\nname = \"a\"\naction = \"deny\"\n[[rule]]\nname = \"b\"\naction = \"deny\"\n"
       "sorce = \"x\"\n",
       "rule 2 (b): unknown key sorce"},
      {"[[rule]]\nname = \"a\"\naction = \"deny\"\napprovers = [\"admin\"]\n",
       "rule 1 (a): approvers goes with action = \"require_approval\" only"},
      {"[[rule]]\nname = \"a\"\naction = \"require_approval\"\napprovers = [\"boss\"]\n",
       "rule 1 (a): approvers: each must be"},
      {"[[rule]]\nname = \"a\"\naction = \"require_approval\"\napprovers = [\"viewer\"]\n",
       "rule 1 (a): approvers: each must be submitter, operator or admin"},
      {"[[rule]]\nname = \"a\"\naction = \"deny\"\nsource = \"two words\"\n",
       "rule 1 (a): source must be"},
      {"[[rule]]\nname = \"a\"\naction = \"deny\"\ntype = 3\n",
       "rule 1 (a): type must be a string"},
      {"[[rule]]\nname = \"a\"\naction = \"deny\"\n[[rule]]\nname = \"a\"\naction = \"deny\"\n",
       "rule 2 (a): name a is used twice"},
      {"[rules]\n", "unknown key rules"},
      {"rule = 3\n", "write [[rule]]"},
      {"[[rule]\n", "policy.toml:1"},
  };
  for (const auto& [text, want] : cases) {
    Result<IntentPolicy> policy = ParseIntentPolicy(text, "policy.toml");
    ASSERT_FALSE(policy.ok()) << text;
    EXPECT_EQ(policy.status().code(), StatusCode::kInvalidArgument) << text;
    EXPECT_THAT(policy.status().message(), HasSubstr(want)) << text;
  }
}

TEST(IntentPolicyFileTest, AMissingFileIsNotFound) {
  EXPECT_EQ(LoadIntentPolicy("/nonexistent/policy.toml").status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace madre
