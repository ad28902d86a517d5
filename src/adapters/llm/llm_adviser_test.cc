#include "adapters/llm/llm_adviser.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "adapters/llm/llm_stub_server.h"
#include "testing/fake_clock.h"

namespace madre {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using testing_llm::StubReply;
using testing_llm::StubServer;

constexpr const char* kEnvSecret = "pg-pass-7f3k2q";
constexpr const char* kMadreToken = "madre-admin-token-0123456789";
constexpr const char* kApiKey = "sk-testkey0123456789abcdef";

AdviceRequest Incident() {
  AdviceRequest r;
  r.evidence.service = "api";
  r.evidence.state = "exited";
  r.evidence.exit_code = 1;
  r.evidence.log_lines = {std::string("connecting to postgres with password ") + kEnvSecret,
                          std::string("calling madre with X-VX11-Token: ") + kMadreToken,
                          "fatal: upstream closed"};
  r.evidence.dependencies = {
      {.service = "db", .state = "running", .health = "healthy", .stopped_by_madre = false}};
  r.diagnosis = Diagnose(r.evidence);
  r.secrets = {kEnvSecret};
  return r;
}

class LlmAdviserTest : public ::testing::Test {
 protected:
  std::unique_ptr<LlmAdviser> Make(const std::string& url, int rate = 10,
                                   const std::string& ca_file = "") {
    LlmAdviserOptions options;
    options.url = url;
    options.api_key = kApiKey;
    options.rate_per_hour = rate;
    options.timeout = Millis(300);
    options.ca_file = ca_file;
    options.secrets = {kMadreToken};
    auto adviser = LlmAdviser::Create(options, clock_, [this](Duration d) {
      sleeps_.push_back(d);
      clock_.Advance(d);
    });
    EXPECT_TRUE(adviser.ok()) << adviser.status().message();
    return std::move(*adviser);
  }

  // No recorded body holds a secret (the env value, madre's token, the API key).
  static void ExpectNoSecretSent(const StubServer& stub) {
    for (const auto& request : stub.requests()) {
      EXPECT_THAT(request.body, Not(HasSubstr(kEnvSecret)));
      EXPECT_THAT(request.body, Not(HasSubstr(kMadreToken)));
      EXPECT_THAT(request.body, Not(HasSubstr(kApiKey)));
    }
  }

  FakeClock clock_;
  std::vector<Duration> sleeps_;
};

TEST_F(LlmAdviserTest, AGoodAnswerIsValidatedAndNoSecretIsSent) {
  StubServer stub(/*tls=*/false);
  auto adviser = Make(stub.Url());
  Result<Advice> advice = adviser->Advise(Incident());
  ASSERT_TRUE(advice.ok()) << advice.status().message();
  ASSERT_TRUE(advice->remediation.has_value()) << advice->rejected;
  EXPECT_EQ(advice->remediation->kind, RemediationKind::kRestart);
  EXPECT_EQ(advice->remediation->target, "api");
  EXPECT_EQ(advice->explanation, "api crashed once; a restart should do");
  EXPECT_EQ(advice->reasoning_content, "The exit code is 1 and nothing else is wrong.");
  EXPECT_EQ(advice->calls, 1);
  EXPECT_FALSE(advice->cached);
  ASSERT_EQ(stub.requests().size(), 1u);
  const testing_llm::StubRequest request = stub.requests()[0];
  EXPECT_EQ(request.target, "/v1/chat/completions");
  EXPECT_EQ(request.authorization, std::string("Bearer ") + kApiKey);
  EXPECT_EQ(request.body, advice->masked_prompt);
  EXPECT_THAT(request.body, HasSubstr("Exit code: 1"));
  EXPECT_THAT(request.body, HasSubstr("fatal: upstream closed"));
  ExpectNoSecretSent(stub);
}

TEST_F(LlmAdviserTest, TheSamePromptIsAnsweredFromTheCache) {
  StubServer stub(false);
  auto adviser = Make(stub.Url());
  ASSERT_TRUE(adviser->Advise(Incident()).ok());
  Result<Advice> again = adviser->Advise(Incident());
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->cached);
  EXPECT_EQ(again->calls, 0);
  ASSERT_TRUE(again->remediation.has_value());
  EXPECT_EQ(again->remediation->kind, RemediationKind::kRestart);
  EXPECT_EQ(stub.requests().size(), 1u);
  // Another incident is another prompt.
  AdviceRequest other = Incident();
  other.evidence.exit_code = 2;
  ASSERT_TRUE(adviser->Advise(other).ok());
  EXPECT_EQ(stub.requests().size(), 2u);
}

TEST_F(LlmAdviserTest, A429IsRetriedAfterTheBackOff) {
  StubServer stub(false);
  stub.Script({StubReply::kTooManyRequests, StubReply::kServerError, StubReply::kGood});
  auto adviser = Make(stub.Url());
  Result<Advice> advice = adviser->Advise(Incident());
  ASSERT_TRUE(advice.ok()) << advice.status().message();
  EXPECT_TRUE(advice->remediation.has_value());
  EXPECT_EQ(advice->calls, 3);
  EXPECT_EQ(stub.requests().size(), 3u);
  EXPECT_THAT(sleeps_, ElementsAre(Seconds(2), Seconds(4)));
  ExpectNoSecretSent(stub);
}

TEST_F(LlmAdviserTest, AfterTwoRetriesTheErrorIsReturned) {
  StubServer stub(false);
  stub.Script({StubReply::kTooManyRequests, StubReply::kTooManyRequests,
               StubReply::kTooManyRequests, StubReply::kGood});
  auto adviser = Make(stub.Url());
  Result<Advice> advice = adviser->Advise(Incident());
  ASSERT_FALSE(advice.ok());
  EXPECT_THAT(advice.status().message(), HasSubstr("429"));
  EXPECT_EQ(stub.requests().size(), 3u);
}

TEST_F(LlmAdviserTest, ATimeoutIsRetried) {
  StubServer stub(false);
  stub.Script({StubReply::kHang, StubReply::kGood});
  auto adviser = Make(stub.Url());
  Result<Advice> advice = adviser->Advise(Incident());
  ASSERT_TRUE(advice.ok()) << advice.status().message();
  EXPECT_EQ(advice->calls, 2);
  EXPECT_THAT(sleeps_, ElementsAre(Seconds(2)));
}

TEST_F(LlmAdviserTest, RetriesCountAgainstTheHourlyLimit) {
  StubServer stub(false);
  stub.Script({StubReply::kTooManyRequests, StubReply::kTooManyRequests});
  auto adviser = Make(stub.Url(), /*rate=*/2);
  Result<Advice> advice = adviser->Advise(Incident());
  ASSERT_FALSE(advice.ok());
  EXPECT_THAT(advice.status().message(), HasSubstr("2 calls per hour"));
  EXPECT_EQ(stub.requests().size(), 2u);
  Result<Advice> refused = adviser->Advise(Incident());
  EXPECT_EQ(refused.status().code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(stub.requests().size(), 2u);
  clock_.Advance(Seconds(3600));
  EXPECT_TRUE(adviser->Advise(Incident()).ok());
}

TEST_F(LlmAdviserTest, AMalformedAnswerIsRecordedAndIgnored) {
  StubServer stub(false);
  stub.Script({StubReply::kMalformed});
  auto adviser = Make(stub.Url());
  Result<Advice> advice = adviser->Advise(Incident());
  ASSERT_TRUE(advice.ok()) << advice.status().message();
  EXPECT_FALSE(advice->remediation.has_value());
  EXPECT_THAT(advice->rejected, HasSubstr("malformed"));
  EXPECT_THAT(advice->answer, HasSubstr("choices"));
  // Not cached: the next call asks again.
  ASSERT_TRUE(adviser->Advise(Incident()).ok());
  EXPECT_EQ(stub.requests().size(), 2u);
}

TEST_F(LlmAdviserTest, AnActionOutsideTheCatalogueIsRejected) {
  StubServer stub(false);
  stub.Script({StubReply::kOutsideCatalogue});
  auto adviser = Make(stub.Url());
  Result<Advice> advice = adviser->Advise(Incident());
  ASSERT_TRUE(advice.ok()) << advice.status().message();
  EXPECT_FALSE(advice->remediation.has_value());
  EXPECT_THAT(advice->rejected, HasSubstr("delete_volume"));
}

TEST_F(LlmAdviserTest, TlsWithAnUntrustedCertificateFails) {
  StubServer stub(/*tls=*/true);
  auto adviser = Make(stub.Url());
  Result<Advice> advice = adviser->Advise(Incident());
  ASSERT_FALSE(advice.ok());
  EXPECT_EQ(advice.status().code(), StatusCode::kFailedPrecondition);  // not retried
  EXPECT_THAT(advice.status().message(), HasSubstr("certificate"));
  EXPECT_TRUE(sleeps_.empty());
}

TEST_F(LlmAdviserTest, TlsWithTheCaFileSucceedsAndSendsNoSecret) {
  StubServer stub(/*tls=*/true);
  testing_llm::StubCaFile ca;
  auto adviser = Make(stub.Url(), 10, ca.path());
  Result<Advice> advice = adviser->Advise(Incident());
  ASSERT_TRUE(advice.ok()) << advice.status().message();
  ASSERT_TRUE(advice->remediation.has_value()) << advice->rejected;
  EXPECT_EQ(advice->remediation->kind, RemediationKind::kRestart);
  ASSERT_EQ(stub.requests().size(), 1u);
  EXPECT_EQ(stub.requests()[0].authorization, std::string("Bearer ") + kApiKey);
  ExpectNoSecretSent(stub);
}

TEST_F(LlmAdviserTest, NamesAreMaskedWhenAskedAndRestoredInTheAdvice) {
  StubServer stub(false);
  stub.Script({StubReply::kMaskedNames});
  LlmAdviserOptions options;
  options.url = stub.Url();
  options.api_key = kApiKey;
  options.mask_names = true;
  auto adviser = LlmAdviser::Create(options, clock_, [](Duration) {});
  ASSERT_TRUE(adviser.ok());
  Result<Advice> advice = (*adviser)->Advise(Incident());
  ASSERT_TRUE(advice.ok());
  ASSERT_EQ(stub.requests().size(), 1u);
  const std::string body = stub.requests()[0].body;
  EXPECT_THAT(body, HasSubstr("Service: service-1"));
  EXPECT_THAT(body, HasSubstr("service-2: running"));
  EXPECT_THAT(body, Not(HasSubstr("db: running")));
  ASSERT_TRUE(advice->remediation.has_value()) << advice->rejected;
  EXPECT_EQ(advice->remediation->kind, RemediationKind::kStartDependency);
  EXPECT_EQ(advice->remediation->target, "db");
  EXPECT_EQ(advice->explanation, "api cannot work while db is down");
}

TEST(LlmAdviserCreateTest, RefusesBadOptions) {
  FakeClock clock;
  LlmAdviserOptions options;
  options.url = "ftp://example.com/x";
  options.api_key = "k";
  EXPECT_FALSE(LlmAdviser::Create(options, clock, [](Duration) {}).ok());
  options.url = "https://api.deepseek.com/v1/chat/completions";
  options.api_key = "";
  EXPECT_FALSE(LlmAdviser::Create(options, clock, [](Duration) {}).ok());
}

TEST(AdviceCacheTest, KeepsTheMostRecentlyUsedEntries) {
  AdviceCache cache(2);
  cache.Put("a", {.content = "1", .reasoning_content = ""});
  cache.Put("b", {.content = "2", .reasoning_content = ""});
  ASSERT_NE(cache.Find("a"), nullptr);  // a is now the most recent
  cache.Put("c", {.content = "3", .reasoning_content = ""});
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_EQ(cache.Find("b"), nullptr);
  ASSERT_NE(cache.Find("a"), nullptr);
  EXPECT_EQ(cache.Find("c")->content, "3");
}

}  // namespace
}  // namespace madre
