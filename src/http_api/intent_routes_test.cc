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

// Without a build executor (VX11_PROVIDER=swarm, or a DOCKER_HOST that is not unix://) a build
// intent is recorded and rejected at once, with what a build needs.
TEST_F(IntentRoutesTest, ABuildIntentWithoutABuildExecutorIsRejectedWithWhatABuildNeeds) {
  options_.intents.build_executor = false;
  Build();
  HttpResponse r = Call("POST", "/madre/intent",
                        R"({"intent_type":"build","target_service":"switch","reason":"drift"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Json(r)["status"], "rejected") << r.body;
  EXPECT_EQ(Json(r)["reason"], kNoBuildExecutor) << r.body;
  ASSERT_EQ(intents_.intents().size(), 1u);
  const Intent& intent = intents_.intents().begin()->second;
  EXPECT_EQ(intent.state, IntentState::kRejected);
  EXPECT_EQ(intent.reason, kNoBuildExecutor);
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

TEST_F(IntentRoutesTest, ThePolicyDeniesAutoApprovesOrLeavesPendingAndAuditsEach) {
  options_.intents.policy.rules = {
      PolicyRule{"queen-windows", "hormiguero", "window", PolicyAction::kAutoApprove, {}},
      PolicyRule{"no-fs", "*", "fs_drift", PolicyAction::kDeny, {}}};
  Build();
  json window = Queen("c-1");
  window["type"] = "window";
  window["payload"] = {{"services", {"db"}}, {"ttl_sec", 60}};
  HttpResponse approved = Call("POST", "/madre/intent", window.dump());
  ASSERT_EQ(approved.status, 200) << approved.body;
  EXPECT_EQ(Json(approved)["status"], "approved");
  EXPECT_EQ(Json(approved)["state"], "approved");
  EXPECT_EQ(Json(approved)["decided_by"], "policy:queen-windows");
  EXPECT_EQ(Json(approved)["requires_approval"], false);
  json fs = Queen("c-2");
  fs["type"] = "fs_drift";
  HttpResponse denied = Call("POST", "/madre/intent", fs.dump());
  ASSERT_EQ(denied.status, 200) << "recorded, and rejected: " << denied.body;
  EXPECT_EQ(Json(denied)["status"], "rejected");
  EXPECT_EQ(Json(denied)["reason"], "denied by policy rule no-fs");
  EXPECT_EQ(Call("POST", "/madre/intent", Queen("c-3").dump()).status, 200);
  EXPECT_EQ(Json(Call("GET", "/madre/intents/intent-3"))["state"], "pending");
  EXPECT_EQ(AuditCount("intent.submitted"), 3);
  EXPECT_EQ(AuditCount("intent.approved"), 1);
  EXPECT_EQ(AuditCount("intent.rejected"), 1);
  window["correlation_id"] = "c-4";
  HttpResponse open = SendOrEmpty(Open(window));
  ASSERT_EQ(open.status, 200) << open.body;
  EXPECT_EQ(Json(open)["status"], "pending") << "a token-less intent is never auto-approved";
}

TEST_F(IntentRoutesTest, ListingFiltersNewestFirstAndRefusesBadQueries) {
  Build();
  ASSERT_EQ(Call("POST", "/madre/intent", Queen("c-1").dump()).status, 200);
  clock_.Advance(Seconds(1));
  json window = Queen("c-2");
  window["type"] = "window";
  window["payload"] = {{"services", {"db"}}};
  ASSERT_EQ(Call("POST", "/madre/intent", window.dump()).status, 200);
  HttpResponse all = Call("GET", "/madre/intents");
  ASSERT_EQ(all.status, 200) << all.body;
  const json body = Json(all);
  ASSERT_EQ(body["count"], 2);
  EXPECT_EQ(body["intents"][0]["intent_id"], "intent-2");
  EXPECT_EQ(body["intents"][0]["payload"], json({{"services", {"db"}}}));
  HttpRequest filtered = Request("GET", "/madre/intents");
  filtered.query["type"] = "spawn";
  filtered.query["state"] = "pending";
  filtered.query["source"] = "hormiguero";
  HttpResponse spawns = SendOrEmpty(filtered);
  ASSERT_EQ(spawns.status, 200);
  ASSERT_EQ(Json(spawns)["count"], 1);
  EXPECT_EQ(Json(spawns)["intents"][0]["intent_id"], "intent-1");
  HttpRequest limited = Request("GET", "/madre/intents");
  limited.query["limit"] = "1";
  EXPECT_EQ(Json(SendOrEmpty(limited))["count"], 1);
  for (const auto& [key, value] :
       std::vector<std::pair<std::string, std::string>>{{"state", "running"},
                                                        {"limit", "0"},
                                                        {"limit", "x"},
                                                        {"limit", "1001"},
                                                        {"sort", "a"}}) {
    HttpRequest bad = Request("GET", "/madre/intents");
    bad.query[key] = value;
    HttpResponse r = SendOrEmpty(bad);
    EXPECT_EQ(r.status, 400) << key << "=" << value << " -> " << r.body;
  }
  EXPECT_EQ(Call("GET", "/madre/intents", "", std::nullopt).status, 401);
  EXPECT_EQ(Call("GET", "/madre/intents/intent-9").status, 404);
}

TEST_F(IntentRoutesTest, TheRequesterCannotApproveItsOwnIntentWithoutTheSelfApprovalSwitch) {
  Build();
  ASSERT_EQ(Call("POST", "/madre/intent", Queen("c-1").dump()).status, 200);
  HttpResponse self = Call("POST", "/madre/intents/intent-1/approve");
  EXPECT_EQ(self.status, 403) << self.body;
  EXPECT_EQ(Json(self)["code"], "self_approval");
  EXPECT_EQ(intents_.intents().at("intent-1").state, IntentState::kPending);
  EXPECT_EQ(AuditCount("intent.approved"), 0);
  HttpResponse rejected = Call("POST", "/madre/intents/intent-1/reject", R"({"reason":"not now"})");
  ASSERT_EQ(rejected.status, 200) << "rejecting one's own intent is allowed: " << rejected.body;
  EXPECT_EQ(Json(rejected)["state"], "rejected");
  EXPECT_EQ(Json(rejected)["reason"], "not now");
  EXPECT_EQ(Json(rejected)["decided_by"], "default@127.0.0.1");
}

TEST_F(IntentRoutesTest, ApproveWithSelfApprovalIsAuditedAndATerminalStateIsAConflict) {
  options_.intents.allow_self_approval = true;
  cpu_busy_ = [] { return std::optional<double>(95.0); };  // approved, then waits for admission
  Build();
  ASSERT_EQ(Call("POST", "/madre/intent", Queen("c-1").dump()).status, 200);
  HttpResponse approved = Call("POST", "/madre/intents/intent-1/approve", R"({"reason":"go"})");
  ASSERT_EQ(approved.status, 200) << approved.body;
  EXPECT_EQ(Json(approved)["state"], "approved");
  EXPECT_EQ(Json(approved)["self_approved"], true);
  EXPECT_EQ(intents_.intents().at("intent-1").state, IntentState::kApproved) << "persisted";
  ASSERT_EQ(AuditCount("intent.approved"), 1);
  const AuditRecord record = audit_.records().back();
  EXPECT_EQ(record.actor, "default@127.0.0.1");
  EXPECT_EQ(record.reason, "go");
  EXPECT_THAT(record.detail, HasSubstr("self_approved"));
  HttpResponse again = Call("POST", "/madre/intents/intent-1/reject");
  EXPECT_EQ(again.status, 409) << again.body;
  EXPECT_THAT(Json(again)["detail"].get<std::string>(), HasSubstr("approved"));
  HttpResponse cancelled = Call("POST", "/madre/intents/intent-1/cancel");
  ASSERT_EQ(cancelled.status, 200) << "an approved intent may still be cancelled";
  EXPECT_EQ(Json(cancelled)["state"], "cancelled");
  EXPECT_EQ(Call("POST", "/madre/intents/intent-1/cancel").status, 409) << "terminal";
  EXPECT_EQ(Call("POST", "/madre/intents/intent-9/approve").status, 404);
  EXPECT_EQ(AuditCount("intent.cancelled"), 1);
}

TEST_F(IntentRoutesTest, ABadDecisionBodyIs400AndChangesNothing) {
  options_.intents.allow_self_approval = true;
  Build();
  ASSERT_EQ(Call("POST", "/madre/intent", Queen("c-1").dump()).status, 200);
  for (const std::string& bad :
       std::vector<std::string>{"nope", "[1]", R"({"reason":5})", R"({"why":"x"})",
                                R"({"reason":")" + std::string(501, 'a') + R"("})"}) {
    HttpResponse r = Call("POST", "/madre/intents/intent-1/approve", bad);
    EXPECT_EQ(r.status, 400) << bad << " -> " << r.body;
  }
  EXPECT_EQ(intents_.intents().at("intent-1").state, IntentState::kPending);
  EXPECT_EQ(AuditCount("intent.approved"), 0);
}

TEST_F(IntentRoutesTest, AFailedWriteOfADecisionIsNotAcknowledged) {
  options_.intents.allow_self_approval = true;
  Build();
  ASSERT_EQ(Call("POST", "/madre/intent", Queen("c-1").dump()).status, 200);
  intents_.FailUpdates(true);
  EXPECT_EQ(Call("POST", "/madre/intents/intent-1/approve").status, 500);
  EXPECT_EQ(AuditCount("intent.approved"), 0);
}

TEST_F(IntentRoutesTest, PendingIntentsNobodyDecidesExpireOnTheSweep) {
  options_.intents.pending_ttl = Seconds(60);
  Build();
  ASSERT_EQ(Call("POST", "/madre/intent", Queen("c-1").dump()).status, 200);
  clock_.Advance(Seconds(30));
  ASSERT_EQ(Call("POST", "/madre/intent", Queen("c-2").dump()).status, 200);
  EXPECT_EQ(Json(Call("GET", "/madre/intents/intent-1"))["expires_at"],
            FormatRfc3339(clock_.Now() + Seconds(30)));
  clock_.Advance(Seconds(15));
  timers_.FireDue();
  EXPECT_EQ(intents_.intents().at("intent-1").state, IntentState::kPending);
  clock_.Advance(Seconds(15));  // intent-1's 60 s are up
  timers_.FireDue();
  const Intent& expired = intents_.intents().at("intent-1");
  EXPECT_EQ(expired.state, IntentState::kExpired);
  EXPECT_EQ(expired.decided_by, "madre");
  EXPECT_EQ(expired.reason, "nobody decided within 60 s");
  EXPECT_EQ(intents_.intents().at("intent-2").state, IntentState::kPending);
  EXPECT_EQ(AuditCount("intent.expired"), 1);
  EXPECT_EQ(Call("POST", "/madre/intents/intent-1/reject").status, 409);
  clock_.Advance(Seconds(30));
  timers_.FireDue();
  EXPECT_EQ(intents_.intents().at("intent-2").state, IntentState::kExpired);
  EXPECT_EQ(AuditCount("intent.expired"), 2);
  EXPECT_GT(timers_.pending(), 0u) << "the sweep goes on";
}

// The role rules, on IntentRoutes itself with callers of every role (the router gives every
// token the admin "default" until the tokens file).
class IntentDecisionTest : public ::testing::Test {
 protected:
  IntentDecisionTest() {
    options_.policy.rules = {
        PolicyRule{
            "builds", "manifestator", "spawn", PolicyAction::kRequireApproval, {Role::kAdmin}},
        PolicyRule{"queen", "hormiguero", "", PolicyAction::kRequireApproval, {Role::kSubmitter}}};
  }
  IntentRoutes& Routes() {
    if (!routes_) {
      routes_ = std::make_unique<IntentRoutes>(
          options_, IntentRoutesDeps{.store = store_,
                                     .audit =
                                         [this](AuditRecord r) {
                                           audit_.push_back(std::move(r));
                                           return Status::Ok();
                                         },
                                     .now = [] { return FromMicros(1'795'514'400'000'000); },
                                     .new_id = [this] { return std::to_string(++ids_); },
                                     .on_approved = {}});
    }
    return *routes_;
  }
  static Caller As(std::string name, Role role) {
    return Caller{std::move(name), role, "10.0.0.2"};
  }
  int Submit(const Caller& caller, const std::string& type, const std::string& source) {
    HttpRequest request;
    json body{{"type", type}, {"source", source}};
    if (type == "window") body["payload"] = {{"services", {"db"}}};
    request.body = body.dump();
    return Answer([&](Responder w) { Routes().Submit(request, caller, std::move(w)); }).status;
  }
  HttpResponse Decide(const std::string& id, DecisionKind kind, const Caller& caller) {
    return Answer(
        [&](Responder w) { Routes().Decide(id, kind, HttpRequest{}, caller, std::move(w)); });
  }
  static HttpResponse Answer(const std::function<void(Responder)>& call) {
    HttpResponse out;
    call([&out](HttpResponse r) { out = std::move(r); });
    return out;
  }

  IntentRoutesOptions options_;
  InMemoryIntentStore store_;
  std::vector<AuditRecord> audit_;
  int ids_ = 0;
  std::unique_ptr<IntentRoutes> routes_;
};

TEST_F(IntentDecisionTest, RolesDecideAsThePolicySays) {
  const Caller sub = As("hermes", Role::kSubmitter);
  ASSERT_EQ(Submit(sub, "spawn", "operator"), 200);      // intent-1: default rule
  ASSERT_EQ(Submit(sub, "spawn", "manifestator"), 200);  // intent-2: admins only
  ASSERT_EQ(Submit(sub, "window", "hormiguero"), 200);   // intent-3: submitters may approve
  EXPECT_EQ(Submit(As("eye", Role::kViewer), "spawn", "x"), 403) << "a viewer cannot submit";
  EXPECT_EQ(Decide("intent-1", DecisionKind::kApprove, As("ana", Role::kSubmitter)).status, 403);
  EXPECT_EQ(Decide("intent-1", DecisionKind::kApprove, As("ops", Role::kOperator)).status, 200);
  EXPECT_EQ(Decide("intent-2", DecisionKind::kReject, As("ops", Role::kOperator)).status, 403);
  EXPECT_EQ(Decide("intent-2", DecisionKind::kReject, As("root", Role::kAdmin)).status, 200);
  EXPECT_EQ(Decide("intent-3", DecisionKind::kApprove, sub).status, 403)
      << "its own requester, though its role may";
  EXPECT_EQ(Decide("intent-3", DecisionKind::kApprove, As("ana", Role::kSubmitter)).status, 200);
  EXPECT_EQ(audit_.back().actor, "ana@10.0.0.2");
}

TEST_F(IntentDecisionTest, TheRequesterOrAnOperatorMayCancel) {
  const Caller sub = As("hermes", Role::kSubmitter);
  ASSERT_EQ(Submit(sub, "spawn", "operator"), 200);
  ASSERT_EQ(Submit(sub, "spawn", "operator"), 200);
  EXPECT_EQ(Decide("intent-1", DecisionKind::kCancel, As("ana", Role::kSubmitter)).status, 403);
  EXPECT_EQ(Decide("intent-1", DecisionKind::kCancel, sub).status, 200);
  EXPECT_EQ(Decide("intent-2", DecisionKind::kCancel, As("ops", Role::kOperator)).status, 200);
  EXPECT_EQ(store_.intents().at("intent-2").state, IntentState::kCancelled);
}

}  // namespace
}  // namespace madre
