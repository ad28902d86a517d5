#include "api/adviser_prompt.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace madre {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

AdviceRequest Incident() {
  AdviceRequest r;
  r.evidence.service = "api";
  r.evidence.state = "exited";
  r.evidence.exit_code = 127;
  r.evidence.log_lines = {"starting api", "sh: nosuchcmd: not found",
                          "using DATABASE_URL=postgres://u:hunter2pw@db/x"};
  r.evidence.dependencies = {
      {.service = "db", .state = "exited", .health = "", .stopped_by_madre = false}};
  r.evidence.has_build = true;
  r.diagnosis = Diagnose(r.evidence);
  r.secrets = {"hunter2pw", "madre-admin-token-123"};
  return r;
}

TEST(AdvicePromptTest, CarriesTheExitCodeAndLogLinesMaskedAsAChatCompletion) {
  AdviceRequest request = Incident();
  request.evidence.log_lines.push_back("token madre-admin-token-123 rejected");
  Masker masker(request.secrets);
  AdvicePrompt prompt = BuildAdvicePrompt(request, "deepseek-reasoner", masker);
  EXPECT_THAT(prompt.user, HasSubstr("Exit code: 127"));
  EXPECT_THAT(prompt.user, HasSubstr("sh: nosuchcmd: not found"));
  EXPECT_THAT(prompt.user, HasSubstr("command_not_found"));
  EXPECT_THAT(prompt.user, HasSubstr("db: exited"));
  EXPECT_THAT(prompt.body, Not(HasSubstr("hunter2pw")));
  EXPECT_THAT(prompt.body, Not(HasSubstr("madre-admin-token-123")));
  nlohmann::json body = nlohmann::json::parse(prompt.body);
  EXPECT_EQ(body["model"], "deepseek-reasoner");
  ASSERT_EQ(body["messages"].size(), 2u);
  EXPECT_EQ(body["messages"][0]["role"], "system");
  EXPECT_THAT(body["messages"][0]["content"].get<std::string>(), HasSubstr("start_dependency"));
  EXPECT_THAT(body["messages"][0]["content"].get<std::string>(), HasSubstr("\"remediation\""));
  EXPECT_EQ(body["messages"][1]["content"], prompt.user);
}

TEST(AdvicePromptTest, MasksNamesWhenAsked) {
  AdviceRequest request = Incident();
  Masker masker(request.secrets, AdviceNames(request));
  AdvicePrompt prompt = BuildAdvicePrompt(request, "m", masker);
  EXPECT_THAT(prompt.user, HasSubstr("Service: service-1"));
  EXPECT_THAT(prompt.user, HasSubstr("service-2: exited"));
  EXPECT_THAT(prompt.user, Not(HasSubstr("api")));
}

TEST(ParseChatAnswerTest, ReadsContentAndReasoning) {
  auto answer = ParseChatAnswer(
      R"({"choices":[{"message":{"role":"assistant","content":"hi","reasoning_content":"why"}}]})");
  ASSERT_TRUE(answer.ok());
  EXPECT_EQ(answer->content, "hi");
  EXPECT_EQ(answer->reasoning_content, "why");
  EXPECT_FALSE(ParseChatAnswer("not json").ok());
  EXPECT_FALSE(ParseChatAnswer(R"({"choices":[]})").ok());
  EXPECT_FALSE(ParseChatAnswer(R"({"choices":[{"message":{"content":3}}]})").ok());
}

TEST(JudgeAdviceTest, ReadsFencedJsonAndRestoresNames) {
  AdviceRequest request = Incident();
  Masker masker(request.secrets, AdviceNames(request));
  Advice advice;
  JudgeAdvice(
      "Here you go:\n```json\n{\"remediation\": \"start_dependency\", \"target\": \"service-2\", "
      "\"explanation\": \"service-1 needs service-2\"}\n```\n",
      request, masker, advice);
  ASSERT_TRUE(advice.remediation.has_value()) << advice.rejected;
  EXPECT_EQ(advice.remediation->kind, RemediationKind::kStartDependency);
  EXPECT_EQ(advice.remediation->target, "db");
  EXPECT_EQ(advice.explanation, "api needs db");
  EXPECT_EQ(advice.rejected, "");
}

TEST(JudgeAdviceTest, UsesTheRuleTextForAKnownRemediation) {
  AdviceRequest request = Incident();
  Masker masker(request.secrets);
  Advice advice;
  JudgeAdvice(R"({"remediation":"rebuild","target":"api","explanation":"x"})", request, masker,
              advice);
  ASSERT_TRUE(advice.remediation.has_value()) << advice.rejected;
  EXPECT_EQ(advice.remediation->kind, RemediationKind::kRebuild);
  EXPECT_THAT(advice.remediation->text, HasSubstr("build:"));
}

TEST(JudgeAdviceTest, RejectsAKindOutsideTheCatalogue) {
  AdviceRequest request = Incident();
  Masker masker(request.secrets);
  Advice advice;
  JudgeAdvice(R"({"remediation":"rm -rf /","target":"api","explanation":"x"})", request, masker,
              advice);
  EXPECT_FALSE(advice.remediation.has_value());
  EXPECT_THAT(advice.rejected, HasSubstr("not in the catalogue"));
}

TEST(JudgeAdviceTest, RejectsATargetOutsideTheServiceAndItsDependencies) {
  AdviceRequest request = Incident();
  Masker masker(request.secrets);
  Advice advice;
  JudgeAdvice(R"({"remediation":"restart","target":"madre","explanation":"x"})", request, masker,
              advice);
  EXPECT_FALSE(advice.remediation.has_value());
  EXPECT_THAT(advice.rejected, HasSubstr("'madre'"));
  JudgeAdvice(R"({"remediation":"start_dependency","target":"api"})", request, masker, advice);
  EXPECT_FALSE(advice.remediation.has_value());
  EXPECT_THAT(advice.rejected, HasSubstr("not a dependency"));
}

TEST(JudgeAdviceTest, RejectsRebuildWithoutBuildAndQuarantineOfAlwaysOn) {
  AdviceRequest request = Incident();
  request.evidence.has_build = false;
  request.evidence.always_on = true;
  Masker masker(request.secrets);
  Advice advice;
  JudgeAdvice(R"({"remediation":"rebuild","target":"api"})", request, masker, advice);
  EXPECT_FALSE(advice.remediation.has_value());
  EXPECT_THAT(advice.rejected, HasSubstr("no build"));
  JudgeAdvice(R"({"remediation":"quarantine","target":"api"})", request, masker, advice);
  EXPECT_FALSE(advice.remediation.has_value());
  EXPECT_THAT(advice.rejected, HasSubstr("always on"));
}

TEST(JudgeAdviceTest, AMalformedAnswerIsRejected) {
  AdviceRequest request = Incident();
  Masker masker(request.secrets);
  Advice advice;
  JudgeAdvice("I think you should restart it.", request, masker, advice);
  EXPECT_FALSE(advice.remediation.has_value());
  EXPECT_THAT(advice.rejected, HasSubstr("malformed"));
  JudgeAdvice(R"({"target":"api"})", request, masker, advice);
  EXPECT_FALSE(advice.remediation.has_value());
  EXPECT_THAT(advice.rejected, HasSubstr("malformed"));
}

}  // namespace
}  // namespace madre
