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

TEST(IntentPolicyFileTest, SourceQuotasAreReadBesideTheRules) {
  Result<IntentPolicy> policy = ParseIntentPolicy(R"toml(
[[rule]]
name = "queen-windows"
source = "hormiguero"
action = "auto_approve"

[sources.hormiguero]
max_concurrent = 2
cpu_share_pct = 25

[sources.manifestator]
cpu_share_pct = 12.5

[sources."*"]
max_concurrent = 1
)toml",
                                                  "policy.toml");
  ASSERT_TRUE(policy.ok()) << policy.status().ToString();
  EXPECT_EQ(policy->rules.size(), 1u);
  ASSERT_EQ(policy->sources.size(), 3u);
  EXPECT_EQ(policy->sources.at("hormiguero"), (SourceQuota{2, 25.0}));
  EXPECT_EQ(policy->sources.at("manifestator"), (SourceQuota{0, 12.5}));
  EXPECT_EQ(policy->QuotaFor("ops"), (SourceQuota{1, 0.0}));
  EXPECT_EQ(policy->QuotaFor(""), (SourceQuota{1, 0.0}));
}

TEST(IntentPolicyFileTest, BadSourceQuotasNameTheSourceAndTheKey) {
  const std::pair<std::string, std::string> cases[] = {
      {"[sources.q]\nmax_concurrent = -1\n", "policy.toml: sources.q: max_concurrent must be"},
      {"[sources.q]\nmax_concurrent = 1.5\n", "sources.q: max_concurrent must be an integer"},
      {"[sources.q]\nmax_concurrent = \"2\"\n", "sources.q: max_concurrent must be"},
      {"[sources.q]\ncpu_share_pct = 101\n", "sources.q: cpu_share_pct must be a number 0..100"},
      {"[sources.q]\ncpu_share_pct = -5\n", "sources.q: cpu_share_pct must be"},
      {"[sources.q]\ncpu_share_pct = \"half\"\n", "sources.q: cpu_share_pct must be"},
      {"[sources.q]\nmax_concurent = 1\n", "sources.q: unknown key max_concurent"},
      {"[sources.\"two words\"]\nmax_concurrent = 1\n", "sources.two words: a source is"},
      {"sources = 3\n", "write [sources.NAME]"},
      {"[sources]\nq = 3\n", "sources.q: must be a table"},
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
