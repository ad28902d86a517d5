#include "http_api/legacy_forward.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <optional>

#include "testing/fake_clock.h"
#include "testing/manual_executor.h"

namespace madre {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

const std::vector<std::string> kPrefixes = {"/madre/chat", "/vx11/", "/madre/callback/",
                                            "/madre/power/maintenance/"};

TEST(LegacyForwardTest, APrefixWithoutSlashMatchesItselfAndItsSubpathsOnly) {
  EXPECT_EQ(LegacyPrefixOf("/madre/chat", kPrefixes), "/madre/chat");
  EXPECT_EQ(LegacyPrefixOf("/madre/chat/stream", kPrefixes), "/madre/chat");
  EXPECT_EQ(LegacyPrefixOf("/madre/chatter", kPrefixes), std::nullopt);
  EXPECT_EQ(LegacyPrefixOf("/vx11/result/1", kPrefixes), "/vx11/");
  EXPECT_EQ(LegacyPrefixOf("/vx11", kPrefixes), std::nullopt);
  EXPECT_EQ(LegacyPrefixOf("/madre/power/state", kPrefixes), std::nullopt);
}

TEST(LegacyForwardTest, TheDecisionIsForwardOnlyUnderAPrefixWithAnUpstream) {
  EXPECT_EQ(DecideLegacy("/vx11/intent", kPrefixes, true), LegacyAction::kForward);
  EXPECT_EQ(DecideLegacy("/vx11/intent", kPrefixes, false), LegacyAction::kNotFound);
  EXPECT_EQ(DecideLegacy("/favicon.ico", kPrefixes, true), LegacyAction::kNotLegacy);
  EXPECT_EQ(DecideLegacy("/favicon.ico", kPrefixes, false), LegacyAction::kNotLegacy);
}

TEST(LegacyForwardTest, OnlyMadrePowerPathsNeedMadresToken) {
  EXPECT_TRUE(NeedsMadreToken("/madre/power/maintenance/post_task"));
  EXPECT_FALSE(NeedsMadreToken("/madre/chat"));
  EXPECT_FALSE(NeedsMadreToken("/vx11/intent"));
  EXPECT_FALSE(NeedsMadreToken("/madre/callback/spawn"));
  EXPECT_FALSE(NeedsMadreToken("/madre/powerful"));
}

TEST(LegacyForwardTest, HopByHopFieldsAreTheFixedOnesAndThoseConnectionNames) {
  for (const char* name : {"Connection", "keep-alive", "Proxy-Authorization", "proxy-connection",
                           "TE", "Trailer", "Transfer-Encoding", "Upgrade"}) {
    EXPECT_TRUE(IsHopByHop(name, "")) << name;
  }
  EXPECT_FALSE(IsHopByHop("Content-Type", ""));
  EXPECT_FALSE(IsHopByHop("X-VX11-Token", ""));
  EXPECT_TRUE(IsHopByHop("X-Secret-Hop", "keep-alive, X-Secret-Hop"));
  EXPECT_TRUE(IsHopByHop("x-secret-hop", " close ,X-SECRET-HOP "));
  EXPECT_FALSE(IsHopByHop("X-Secret", "keep-alive, X-Secret-Hop"));
}

HttpRequest ChatRequest() {
  HttpRequest request;
  request.method = "POST";
  request.target = "/madre/chat?session=7";
  request.path = "/madre/chat";
  request.body = R"({"message":"hi"})";
  request.remote_address = "10.0.0.7:41000";
  request.headers = {{"host", "madre:8001"},
                     {"content-length", "16"},
                     {"content-type", "application/json"},
                     {"x-vx11-token", "t"},
                     {"connection", "keep-alive, x-hop"},
                     {"x-hop", "1"},
                     {"keep-alive", "timeout=5"},
                     {"te", "trailers"},
                     {"upgrade", "h2c"},
                     {"proxy-authorization", "Basic x"}};
  return request;
}

TEST(LegacyForwardTest, TheForwardedRequestKeepsEndToEndFieldsAndAddsXForwardedFor) {
  HeaderFields fields = ForwardedRequestHeaders(ChatRequest(), "10.0.0.7");
  EXPECT_THAT(fields,
              UnorderedElementsAre(Pair("content-type", "application/json"),
                                   Pair("x-vx11-token", "t"), Pair("x-forwarded-for", "10.0.0.7")));
}

TEST(LegacyForwardTest, XForwardedForGetsThePeerAppended) {
  HttpRequest request = ChatRequest();
  request.headers["x-forwarded-for"] = "192.0.2.1";
  EXPECT_THAT(ForwardedRequestHeaders(request, "10.0.0.7"),
              Contains(Pair("x-forwarded-for", "192.0.2.1, 10.0.0.7")));
}

TEST(LegacyForwardTest, TheUpstreamTargetKeepsPathAndQueryUnderItsPrefix) {
  EXPECT_EQ(JoinUpstreamTarget("", "/vx11/intent?x=1"), "/vx11/intent?x=1");
  EXPECT_EQ(JoinUpstreamTarget("/legacy", "/vx11/intent?x=1"), "/legacy/vx11/intent?x=1");
  EXPECT_EQ(JoinUpstreamTarget("/legacy/", "/madre/chat"), "/legacy/madre/chat");
}

TEST(LegacyForwardTest, TheCallCarriesMethodTargetHostAndBody) {
  LegacyForwardOptions options{
      .url = "http://old:9000/base", .host = "old:9000", .path_prefix = "/base"};
  LegacyCall call = BuildLegacyCall(ChatRequest(), "10.0.0.7", options);
  EXPECT_EQ(call.method, "POST");
  EXPECT_EQ(call.target, "/base/madre/chat?session=7");
  EXPECT_EQ(call.host, "old:9000");
  EXPECT_EQ(call.body, R"({"message":"hi"})");
}

TEST(LegacyForwardTest, TheAnswerKeepsStatusBodyTypeAndEndToEndFields) {
  LegacyAnswer answer{.status = 418,
                      .headers = {{"Content-Type", "text/plain"},
                                  {"Content-Length", "5"},
                                  {"Connection", "close, X-Hop"},
                                  {"X-Hop", "1"},
                                  {"Transfer-Encoding", "chunked"},
                                  {"Server", "uvicorn"},
                                  {"Set-Cookie", "a=1"},
                                  {"Set-Cookie", "b=2"},
                                  {"X-Request-Id", "r1"}},
                      .body = "teapot"};
  HttpResponse response = ResponseFromUpstream(answer);
  EXPECT_EQ(response.status, 418);
  EXPECT_EQ(response.body, "teapot");
  EXPECT_EQ(response.content_type, "text/plain");
  EXPECT_THAT(response.headers, ElementsAre(Pair("Set-Cookie", "a=1"), Pair("Set-Cookie", "b=2"),
                                            Pair("X-Request-Id", "r1")));
}

TEST(LegacyForwardTest, FailuresAnswer504OnTimeoutAnd502OtherwiseNamingTheUrl) {
  LegacyForwardOptions options;
  options.url = "http://old:9000";
  options.timeout = Seconds(30);
  HttpResponse timeout = UpstreamFailure(Status::DeadlineExceeded("late"), options);
  EXPECT_EQ(timeout.status, 504);
  auto body = nlohmann::json::parse(timeout.body);
  EXPECT_EQ(body["code"], "upstream_timeout");
  EXPECT_THAT(body["detail"].get<std::string>(), HasSubstr("http://old:9000"));
  EXPECT_THAT(body["detail"].get<std::string>(), HasSubstr("30 s"));
  HttpResponse down = UpstreamFailure(Status::Unavailable("connection refused"), options);
  EXPECT_EQ(down.status, 502);
  body = nlohmann::json::parse(down.body);
  EXPECT_EQ(body["code"], "upstream_unavailable");
  EXPECT_THAT(body["detail"].get<std::string>(), HasSubstr("http://old:9000"));
  EXPECT_THAT(body["detail"].get<std::string>(), HasSubstr("connection refused"));
  HttpResponse big = UpstreamFailure(Status::PayloadTooLarge("too large"), options);
  EXPECT_EQ(big.status, 502);
  EXPECT_EQ(nlohmann::json::parse(big.body)["code"], "upstream_too_large");
}

class LegacyForwarderTest : public ::testing::Test {
 protected:
  LegacyForwarderTest() { Make({}); }

  void Make(LegacyForwardOptions options) {
    options.url = "http://old:9000";
    options.host = "old:9000";
    forwarder_ = std::make_unique<LegacyForwarder>(
        options,
        LegacyForwarder::Deps{.transport = [this](const LegacyCall& call) -> Result<LegacyAnswer> {
                                calls_.push_back(call);
                                clock_.Advance(Millis(25));
                                return next_;
                              },
                              .workers = workers_,
                              .loop = loop_,
                              .now = [this] { return clock_.Now(); },
                              .audit = [this](AuditRecord record) { audit_.push_back(record); }});
  }

  // Forwards and returns where the answer will land.
  std::shared_ptr<std::optional<HttpResponse>> Forward(HttpRequest request) {
    auto answer = std::make_shared<std::optional<HttpResponse>>();
    forwarder_->Forward(request, [answer](HttpResponse r) { *answer = std::move(r); });
    return answer;
  }
  void Drain() {
    while (workers_.size() + loop_.size() > 0) {
      workers_.RunAll();
      loop_.RunAll();
    }
  }

  FakeClock clock_;
  ManualExecutor workers_;
  ManualExecutor loop_;
  std::vector<LegacyCall> calls_;
  std::vector<AuditRecord> audit_;
  Result<LegacyAnswer> next_ = LegacyAnswer{.status = 201, .headers = {}, .body = "made"};
  std::unique_ptr<LegacyForwarder> forwarder_;
};

TEST_F(LegacyForwarderTest, TheTransportRunsOnAWorkerAndTheAnswerComesBackOnTheLoop) {
  auto answer = Forward(ChatRequest());
  EXPECT_EQ(workers_.size(), 1u);  // nothing blocking ran on the engine thread
  EXPECT_FALSE(answer->has_value());
  EXPECT_EQ(forwarder_->in_flight(), 1);
  workers_.RunAll();
  EXPECT_FALSE(answer->has_value());  // not from the worker
  EXPECT_THAT(audit_, IsEmpty());
  loop_.RunAll();
  ASSERT_TRUE(answer->has_value());
  EXPECT_EQ((*answer)->status, 201);
  EXPECT_EQ((*answer)->body, "made");
  EXPECT_EQ(forwarder_->in_flight(), 0);
  ASSERT_EQ(audit_.size(), 1u);
  EXPECT_EQ(audit_[0].action, "legacy.forward");
  EXPECT_EQ(audit_[0].actor, "10.0.0.7");
  EXPECT_EQ(audit_[0].outcome, AuditOutcome::kOk);
  // The path without the query's values; no header nor body anywhere in the record.
  EXPECT_EQ(audit_[0].reason, "POST /madre/chat?...");
  EXPECT_EQ(audit_[0].detail, "201 in 25 ms");
}

TEST_F(LegacyForwarderTest, AnUnreachableUpstreamIs502AuditedAsFail) {
  next_ = Status::Unavailable("cannot connect to old:9000: Connection refused");
  auto answer = Forward(ChatRequest());
  Drain();
  ASSERT_TRUE(answer->has_value());
  EXPECT_EQ((*answer)->status, 502);
  EXPECT_THAT((*answer)->body, HasSubstr("http://old:9000"));
  ASSERT_EQ(audit_.size(), 1u);
  EXPECT_EQ(audit_[0].outcome, AuditOutcome::kFail);
  EXPECT_THAT(audit_[0].detail, HasSubstr("502 in 25 ms: cannot connect"));
}

TEST_F(LegacyForwarderTest, ARequestBodyOverTheLimitIsRefusedWithoutForwarding) {
  LegacyForwardOptions options;
  options.max_body_bytes = 4;
  Make(options);
  auto answer = Forward(ChatRequest());
  ASSERT_TRUE(answer->has_value());
  EXPECT_EQ((*answer)->status, 413);
  EXPECT_EQ(workers_.size(), 0u);
  ASSERT_EQ(audit_.size(), 1u);
  EXPECT_EQ(audit_[0].outcome, AuditOutcome::kRejected);
}

TEST_F(LegacyForwarderTest, BeyondTheInFlightLimitAnswers503UntilOneFinishes) {
  LegacyForwardOptions options;
  options.max_in_flight = 2;
  Make(options);
  auto first = Forward(ChatRequest());
  auto second = Forward(ChatRequest());
  auto third = Forward(ChatRequest());
  ASSERT_TRUE(third->has_value());
  EXPECT_EQ((*third)->status, 503);
  EXPECT_THAT((*third)->body, HasSubstr("already in flight"));
  EXPECT_EQ(workers_.size(), 2u);
  Drain();
  EXPECT_EQ((*first)->status, 201);
  EXPECT_EQ((*second)->status, 201);
  auto fourth = Forward(ChatRequest());
  Drain();
  EXPECT_EQ((*fourth)->status, 201);
  EXPECT_THAT(calls_, Not(IsEmpty()));
  EXPECT_EQ(calls_.size(), 3u);
}

}  // namespace
}  // namespace madre
