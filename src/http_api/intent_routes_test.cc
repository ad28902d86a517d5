#include "http_api/intent_routes.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "http_api/http_api_test_support.h"

namespace madre {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

class IntentRoutesTest : public HttpApiTest {
 protected:
  IntentRoutesTest() {
    options_.intents.open_sources = {"hormiguero"};
    options_.intents.open_burst = 2;
    options_.intents.open_every = Seconds(10);
    options_.intents.open_max_pending = 3;
  }

  // A token-less request as a component sends it: JSON, Host madre's loopback address.
  HttpRequest Open(const json& body, std::string host = "127.0.0.1:8001") {
    HttpRequest request = Request("POST", "/madre/intent", body.dump(), std::nullopt);
    request.headers["content-type"] = "application/json";
    request.headers["host"] = std::move(host);
    return request;
  }

  HttpResponse SendOrEmpty(HttpRequest request) {
    std::optional<HttpResponse> answer = Send(std::move(request));
    EXPECT_TRUE(answer.has_value());
    return answer.value_or(HttpResponse{});
  }

  int AuditCount(const std::string& action) {
    int n = 0;
    for (const auto& record : audit_.records()) n += record.action == action ? 1 : 0;
    return n;
  }

  json Queen(std::string correlation) {
    return {{"type", "spawn"},
            {"payload", {{"task", "scan"}}},
            {"correlation_id", std::move(correlation)},
            {"source", "hormiguero"}};
  }
};

TEST_F(IntentRoutesTest, AnIntentWithTheTokenIsRecordedAuditedAndReadBack) {
  Build();
  HttpResponse r = Call("POST", "/madre/intent",
                        R"({"type":"spawn","payload":{"task":"scan"},"correlation_id":"c-1"})");
  ASSERT_EQ(r.status, 200) << r.body;
  const json body = Json(r);
  EXPECT_EQ(body["status"], "pending");
  EXPECT_EQ(body["intent_id"], "intent-1");
  EXPECT_TRUE(body.contains("task_id"));
  EXPECT_EQ(body["duplicate"], false);
  ASSERT_EQ(intents_.intents().size(), 1u);
  EXPECT_EQ(intents_.intents().begin()->second.identity, "default");
  EXPECT_EQ(AuditCount("intent.submitted"), 1);
  HttpResponse got = Call("GET", "/madre/intent/intent-1");
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_EQ(Json(got)["payload"], json({{"task", "scan"}}));
  EXPECT_EQ(Call("GET", "/madre/intent/intent-9").status, 404);
  EXPECT_EQ(Call("GET", "/madre/intent/intent-1", "", std::nullopt).status, 401)
      << "reading needs the token";
}

TEST_F(IntentRoutesTest, AResubmissionWithTheSameCorrelationIdReturnsTheFirstIntent) {
  Build();
  ASSERT_EQ(SendOrEmpty(Open(Queen("c-7"))).status, 200);
  HttpResponse again = SendOrEmpty(Open(Queen("c-7")));
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(Json(again)["intent_id"], "intent-1");
  EXPECT_EQ(Json(again)["duplicate"], true);
  EXPECT_EQ(intents_.intents().size(), 1u);
  EXPECT_EQ(AuditCount("intent.submitted"), 1) << "a duplicate is not audited again";
  HttpResponse with_token =
      Call("POST", "/madre/intent", Queen("c-7").dump());  // another identity: another intent
  ASSERT_EQ(with_token.status, 200);
  EXPECT_EQ(Json(with_token)["duplicate"], false);
}

TEST_F(IntentRoutesTest, TheManifestatorShapeKeepsItsFieldsAsThePayload) {
  Build();
  HttpResponse r = Call("POST", "/madre/intent",
                        R"({"intent_type":"build","target_service":"switch",)"
                        R"("dockerfile_path":"switch/Dockerfile","reason":"drift"})");
  ASSERT_EQ(r.status, 200) << r.body;
  const Intent& intent = intents_.intents().begin()->second;
  EXPECT_EQ(intent.type, "build");
  EXPECT_EQ(json::parse(intent.payload)["target_service"], "switch");
}

TEST_F(IntentRoutesTest, BadInputIsAClearErrorAndRecordsNothing) {
  Build();
  for (const std::string bad :
       {"not json", "[1]", "{}", R"({"type":7})", R"({"type":"has space"})",
        R"({"type":"a","intent_type":"b"})", R"({"type":"a","payload":[1]})",
        R"({"type":"a","correlation_id":"x y"})", R"({"type":"a","source":5})"}) {
    HttpResponse r = Call("POST", "/madre/intent", bad);
    EXPECT_EQ(r.status, 400) << bad << " -> " << r.body;
    EXPECT_TRUE(Json(r).contains("detail")) << bad;
  }
  EXPECT_THAT(intents_.intents(), IsEmpty());
  EXPECT_EQ(AuditCount("intent.submitted"), 0);
}

TEST_F(IntentRoutesTest, WithoutATokenOnlyAnOpenSourceWithJsonAndAnAllowedHostMaySubmit) {
  Build();
  json stranger = Queen("c-1");
  stranger["source"] = "stranger";
  EXPECT_EQ(SendOrEmpty(Open(stranger)).status, 401);
  HttpRequest form = Open(Queen("c-1"));
  form.headers["content-type"] = "text/plain";
  EXPECT_EQ(SendOrEmpty(form).status, 403) << "a browser form cannot post as a component";
  HttpResponse rebound = SendOrEmpty(Open(Queen("c-1"), "evil.example:8001"));
  EXPECT_EQ(rebound.status, 403);
  EXPECT_THAT(Json(rebound)["detail"].get<std::string>(), HasSubstr("VX11_UI_HOSTS"));
  HttpRequest wrong_token = Open(Queen("c-1"));
  wrong_token.headers["x-vx11-token"] = "nope";
  EXPECT_EQ(SendOrEmpty(wrong_token).status, 403) << "a wrong token is never token-less";
  EXPECT_THAT(intents_.intents(), IsEmpty());
  HttpResponse ok = SendOrEmpty(Open(Queen("c-1"), "[::1]:8001"));
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(Json(ok)["requires_approval"], true);
  EXPECT_EQ(intents_.intents().begin()->second.identity, "open:hormiguero");
}

TEST_F(IntentRoutesTest, TokenLessSubmissionsAreRateLimitedAndCappedPerSource) {
  Build();
  EXPECT_EQ(SendOrEmpty(Open(Queen("c-1"))).status, 200);
  EXPECT_EQ(SendOrEmpty(Open(Queen("c-2"))).status, 200);
  HttpResponse limited = SendOrEmpty(Open(Queen("c-3")));
  EXPECT_EQ(limited.status, 429) << "a burst of 2";
  clock_.Advance(Seconds(10));
  EXPECT_EQ(SendOrEmpty(Open(Queen("c-3"))).status, 200);
  clock_.Advance(Seconds(60));
  HttpResponse capped = SendOrEmpty(Open(Queen("c-4")));
  EXPECT_EQ(capped.status, 429) << "3 pending intents is the cap";
  EXPECT_THAT(Json(capped)["detail"].get<std::string>(), HasSubstr("pending"));
  EXPECT_EQ(intents_.intents().size(), 3u);
  EXPECT_EQ(Call("POST", "/madre/intent", Queen("c-4").dump()).status, 200)
      << "the token is not capped";
}

TEST_F(IntentRoutesTest, AStoreThatFailsAnswers500AndAcknowledgesNothing) {
  Build();
  intents_.Fail(true);
  HttpResponse r = Call("POST", "/madre/intent", Queen("c-1").dump());
  EXPECT_EQ(r.status, 500) << r.body;
  EXPECT_EQ(AuditCount("intent.submitted"), 0);
}

TEST(IntentRoutesHostTest, HostOfDropsThePortAndLowersTheCase) {
  EXPECT_EQ(HostOf("Madre:8001"), "madre");
  EXPECT_EQ(HostOf("127.0.0.1"), "127.0.0.1");
  EXPECT_EQ(HostOf("[::1]:8001"), "[::1]");
  EXPECT_EQ(HostOf(""), "");
}

}  // namespace
}  // namespace madre
