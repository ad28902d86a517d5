// Named tokens and roles (VX11_TOKENS_FILE, issue 11): who may call which route, the 403 that
// names the role needed, and the audit actor "<token name>@<address>".
#include <map>
#include <utility>

#include "base/sha256.h"
#include "http_api/http_api_test_support.h"
#include "http_api/router.h"

namespace madre {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

// The token of each role ("viewer-token" ...) and the name of its entry.
const std::map<Role, std::pair<std::string, std::string>>& Tokens() {
  static const std::map<Role, std::pair<std::string, std::string>> kTokens = {
      {Role::kViewer, {"viewer-token", "watch"}},
      {Role::kSubmitter, {"submitter-token", "queen"}},
      {Role::kOperator, {"operator-token", "ci"}},
      {Role::kAdmin, {"admin-token", "boss"}}};
  return kTokens;
}

class RolesTest : public HttpApiTest {
 protected:
  RolesTest() {
    for (const auto& [role, token] : Tokens()) {
      options_.tokens.push_back({token.second, role, Sha256Hex(token.first)});
    }
  }

  std::string TokenOf(Role role) { return Tokens().at(role).first; }

  // The answer (nullopt while pending, as an SSE stream stays) to `method path` with `token`.
  std::optional<HttpResponse> As(Role role, const std::string& method, const std::string& path,
                                 const std::string& body = "{}") {
    return Send(Request(method, path, body, TokenOf(role)));
  }
};

TEST(IdentifyToken, NamesTheDefaultAdminAndEveryEntryAndNothingElse) {
  const std::vector<TokenEntry> entries = {{"a", Role::kViewer, Sha256Hex("token-a")},
                                           {"b", Role::kOperator, Sha256Hex("token-b")},
                                           {"c", Role::kSubmitter, Sha256Hex("token-c")}};
  EXPECT_EQ(IdentifyToken("root-token", entries, "root-token", "10.0.0.7"),
            (Caller{.name = "default", .role = Role::kAdmin, .peer = "10.0.0.7"}));
  EXPECT_EQ(IdentifyToken("root-token", entries, "token-a", "p"),
            (Caller{.name = "a", .role = Role::kViewer, .peer = "p"}));
  EXPECT_EQ(IdentifyToken("root-token", entries, "token-b", "p"),
            (Caller{.name = "b", .role = Role::kOperator, .peer = "p"}));
  EXPECT_EQ(IdentifyToken("root-token", entries, "token-c", "p"),
            (Caller{.name = "c", .role = Role::kSubmitter, .peer = "p"}));
  EXPECT_FALSE(IdentifyToken("root-token", entries, "token-d", "p"));
  EXPECT_FALSE(IdentifyToken("root-token", entries, "root-token ", "p"));
  // The stored hash is not a token.
  EXPECT_FALSE(IdentifyToken("root-token", entries, Sha256Hex("token-a"), "p"));
  // Without VX11_TOKEN only the entries match; an empty token never does.
  EXPECT_FALSE(IdentifyToken("", entries, "", "p"));
  EXPECT_EQ(IdentifyToken("", entries, "token-b", "p")->name, "b");
}

// Every route of the table, with the role the docs give it (docs/http_api.md#roles).
TEST_F(RolesTest, EveryRouteNeedsItsRoleAndRefusesTheOneBelow) {
  const std::map<std::pair<std::string, std::string>, Role> kExpected = {
      {{"GET", "/metrics"}, Role::kViewer},
      {{"GET", "/madre/whoami"}, Role::kViewer},
      {{"POST", "/madre/power/window/open"}, Role::kOperator},
      {{"POST", "/madre/power/windows/open"}, Role::kOperator},
      {{"POST", "/madre/power/window/close"}, Role::kOperator},
      {{"POST", "/madre/power/windows/close"}, Role::kOperator},
      {{"POST", "/madre/power/windows/hold"}, Role::kOperator},
      {{"POST", "/madre/power/windows/extend"}, Role::kOperator},
      {{"GET", "/madre/power/state"}, Role::kViewer},
      {{"GET", "/madre/power/status"}, Role::kViewer},
      {{"GET", "/madre/power/services"}, Role::kViewer},
      {{"GET", "/madre/power/flows"}, Role::kViewer},
      {{"GET", "/madre/power/audit"}, Role::kViewer},
      {{"GET", "/madre/power/events"}, Role::kViewer},
      {{"GET", "/madre/power/windows/status"}, Role::kViewer},
      {{"GET", "/madre/power/policy/solo_madre/status"}, Role::kViewer},
      {{"POST", "/madre/power/policy/solo_madre/apply"}, Role::kAdmin},
      {{"GET", "/madre/power/windows/{id}"}, Role::kViewer},
      {{"POST", "/madre/power/service/start"}, Role::kOperator},
      {{"POST", "/madre/power/service/stop"}, Role::kOperator},
      {{"POST", "/madre/power/service/{name}/start"}, Role::kOperator},
      {{"POST", "/madre/power/service/{name}/stop"}, Role::kOperator},
      {{"POST", "/madre/power/service/{name}/restart"}, Role::kOperator},
      {{"POST", "/madre/intent"}, Role::kSubmitter},
      {{"GET", "/madre/intent/{id}"}, Role::kViewer},
      {{"GET", "/madre/intents"}, Role::kViewer},
      {{"GET", "/madre/intents/{id}"}, Role::kViewer},
      // The handler checks the rest: operator+ or the policy's approvers, the requester's own
      // cancel (intent_routes_test.cc).
      {{"POST", "/madre/intents/{id}/approve"}, Role::kSubmitter},
      {{"POST", "/madre/intents/{id}/reject"}, Role::kSubmitter},
      {{"POST", "/madre/intents/{id}/cancel"}, Role::kSubmitter},
      {{"GET", "/madre/builds"}, Role::kViewer},
      {{"GET", "/madre/builds/{id}"}, Role::kViewer},
      {{"GET", "/madre/autofix/diagnose/{service}"}, Role::kOperator},
      {{"GET", "/madre/autofix/diagnoses"}, Role::kOperator},
      {{"POST", "/madre/autofix/incidents"}, Role::kOperator},
      {{"GET", "/madre/autofix/incidents/{id}"}, Role::kOperator},
      {{"POST", "/madre/autofix/reset/{service}"}, Role::kOperator},
      {{"POST", "/manifestator/builder/emit-intent"}, Role::kSubmitter}};
  Build();
  int checked = 0;
  for (const ApiRouter::RouteAccess& route : router_->Routes()) {
    if (route.pattern == "/health" || route.pattern == "/openapi.json") {  // public
      EXPECT_FALSE(route.needs_token) << route.pattern;
      continue;
    }
    auto expected = kExpected.find({route.method, route.pattern});
    ASSERT_NE(expected, kExpected.end())
        << route.method << " " << route.pattern << " has no role in this test (and the docs)";
    EXPECT_EQ(route.role, expected->second) << route.method << " " << route.pattern;
    ++checked;
    std::string path = route.pattern;
    for (auto [param, value] : {std::pair{"{id}", "w1"}, std::pair{"{name}", "web"}}) {
      if (auto at = path.find(param); at != std::string::npos) {
        path.replace(at, std::string(param).size(), value);
      }
    }
    const std::string body = route.pattern == "/madre/intent" ? R"({"type":"spawn"})" : "{}";
    if (route.role != Role::kViewer) {
      const Role below = static_cast<Role>(static_cast<int>(route.role) - 1);
      std::optional<HttpResponse> refused = As(below, route.method, path, body);
      ASSERT_TRUE(refused.has_value()) << path;
      EXPECT_EQ(refused->status, 403) << route.method << " " << path;
      EXPECT_EQ(Json(*refused)["code"], "forbidden");
      EXPECT_THAT(Json(*refused)["detail"].get<std::string>(),
                  HasSubstr(std::string("needs ") + RoleName(route.role)));
    }
    std::optional<HttpResponse> allowed = As(route.role, route.method, path, body);
    if (allowed) {
      EXPECT_NE(allowed->status, 401) << route.method << " " << path << ": " << allowed->body;
      EXPECT_NE(allowed->status, 403) << route.method << " " << path << ": " << allowed->body;
    }
  }
  EXPECT_EQ(checked, static_cast<int>(kExpected.size()));
}

TEST_F(RolesTest, ASubmitterCannotApproveItsOwnIntentAndAnOperatorCan) {
  Build();  // a tokens file: allow_self_approval stays false
  ASSERT_EQ(As(Role::kSubmitter, "POST", "/madre/intent", R"({"type":"spawn"})")->status, 200);
  std::optional<HttpResponse> self =
      As(Role::kSubmitter, "POST", "/madre/intents/intent-1/approve");
  ASSERT_TRUE(self.has_value());
  EXPECT_EQ(self->status, 403) << self->body;
  EXPECT_EQ(Json(*self)["code"], "forbidden") << "a submitter may not approve at all by default";
  std::optional<HttpResponse> admin_self =
      As(Role::kAdmin, "POST", "/madre/intent", R"({"type":"spawn"})");
  ASSERT_EQ(admin_self->status, 200);
  std::optional<HttpResponse> own = As(Role::kAdmin, "POST", "/madre/intents/intent-2/approve");
  EXPECT_EQ(own->status, 403);
  EXPECT_EQ(Json(*own)["code"], "self_approval") << "not even an admin approves its own";
  std::optional<HttpResponse> approved =
      As(Role::kOperator, "POST", "/madre/intents/intent-1/approve", R"({"reason":"ok"})");
  ASSERT_EQ(approved->status, 200) << approved->body;
  EXPECT_EQ(Json(*approved)["decided_by"], "ci@127.0.0.1");
  EXPECT_EQ(Json(*approved)["requested_by"], "queen");
  EXPECT_EQ(As(Role::kSubmitter, "POST", "/madre/intents/intent-2/cancel")->status, 403)
      << "only the requester or an operator cancels";
  EXPECT_EQ(As(Role::kAdmin, "POST", "/madre/intents/intent-2/cancel")->status, 200);
}

TEST_F(RolesTest, AViewerReadsButMayNotOpenAndTheRefusalIsCounted) {
  Build();
  EXPECT_EQ(As(Role::kViewer, "GET", "/madre/power/state")->status, 200);
  std::optional<HttpResponse> open = As(Role::kViewer, "POST", "/madre/power/windows/open",
                                        R"({"services":["web"],"ttl_sec":60})");
  ASSERT_TRUE(open.has_value());
  EXPECT_EQ(open->status, 403);
  EXPECT_EQ(Json(*open),
            json({{"code", "forbidden"},
                  {"detail",
                   "token 'watch' (role viewer) may not POST /madre/power/windows/open: "
                   "needs operator"}}));
  EXPECT_EQ(metrics_.Value(kMetricAuthFailures, {{"reason", "role"}}), 1);
  EXPECT_TRUE(engine_->Snapshot().windows.empty()) << "nothing was opened";
  // A path no route serves needs a valid token, of any role.
  EXPECT_EQ(As(Role::kViewer, "GET", "/madre/power/nope")->status, 404);
}

TEST_F(RolesTest, ASubmitterSubmitsIntentsUnderItsOwnName) {
  Build();
  std::optional<HttpResponse> r =
      As(Role::kSubmitter, "POST", "/madre/intent", R"({"type":"spawn","correlation_id":"c-1"})");
  ASSERT_TRUE(r.has_value());
  ASSERT_EQ(r->status, 200) << r->body;
  ASSERT_EQ(intents_.intents().size(), 1u);
  EXPECT_EQ(intents_.intents().begin()->second.identity, "queen");
  EXPECT_EQ(As(Role::kViewer, "POST", "/madre/intent", R"({"type":"spawn"})")->status, 403);
  EXPECT_EQ(Call("POST", "/madre/intent", R"({"type":"spawn"})", "wrong").status, 403)
      << "a wrong token is refused, not taken as token-less";
}

TEST_F(RolesTest, OnlyAnAdminAppliesSoloMadre) {
  Build();
  std::optional<HttpResponse> refused =
      As(Role::kOperator, "POST", "/madre/power/policy/solo_madre/apply");
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->status, 403);
  EXPECT_EQ(Json(*refused)["detail"],
            "token 'ci' (role operator) may not POST /madre/power/policy/solo_madre/apply: "
            "needs admin");
  std::optional<HttpResponse> applied =
      As(Role::kAdmin, "POST", "/madre/power/policy/solo_madre/apply");
  ASSERT_TRUE(applied.has_value());
  EXPECT_EQ(applied->status, 200) << applied->body;
  EXPECT_EQ(Call("POST", "/madre/power/policy/solo_madre/apply", "{}", "secret").status, 200)
      << "VX11_TOKEN is the admin named default";
}

TEST_F(RolesTest, TheAuditActorIsTheTokensNameAtTheClientsAddress) {
  Build();
  std::optional<HttpResponse> open = As(Role::kOperator, "POST", "/madre/power/windows/open",
                                        R"({"services":["web"],"ttl_sec":60,"wait":true})");
  ASSERT_TRUE(open.has_value());
  ASSERT_EQ(open->status, 200) << open->body;
  ASSERT_EQ(engine_->Snapshot().windows.size(), 1u);
  EXPECT_EQ(engine_->Snapshot().windows.begin()->second.actor, "ci@127.0.0.1");
  bool opened = false;
  for (const AuditRecord& record : audit_.records()) {
    if (record.action == "window.open" || record.action == "window.opened") {
      EXPECT_EQ(record.actor, "ci@127.0.0.1") << record.action;
      opened = true;
    }
  }
  EXPECT_TRUE(opened);
  // A refused body is audited with the caller too.
  Call("POST", "/madre/power/windows/close", R"({"window_id": 7})", "secret");
  EXPECT_EQ(audit_.records().back().action, "window.close");
  EXPECT_EQ(audit_.records().back().actor, "default@127.0.0.1");
}

}  // namespace
}  // namespace madre
