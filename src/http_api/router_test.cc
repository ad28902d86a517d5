#include "http_api/router.h"

#include <map>

#include "http_api/http_api_test_support.h"

namespace madre {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

class RouterTest : public HttpApiTest {};

TEST_F(RouterTest, EveryPowerRouteNeedsTheTokenEvenAnUnknownOne) {
  Build();
  for (const char* path :
       {"/madre/power/state", "/madre/power/policy/solo_madre/status",
        "/madre/power/policy/solo_madre/apply", "/madre/power/nope", "/madre/power/"}) {
    HttpResponse missing = Call("GET", path, "", std::nullopt);
    EXPECT_EQ(missing.status, 401) << path;
    EXPECT_EQ(Json(missing)["detail"], "auth_required: X-VX11-Token header missing");
    HttpResponse wrong = Call("GET", path, "", "nope");
    EXPECT_EQ(wrong.status, 403) << path;
    EXPECT_EQ(Json(wrong)["detail"], "forbidden: invalid token");
  }
  EXPECT_EQ(Call("GET", "/health", "", std::nullopt).status, 200);
  EXPECT_EQ(Call("GET", "/madre/power", "", "secret").status, 404);
}

TEST_F(RouterTest, ABearerTokenAuthenticatesLikeTheVx11Header) {
  Build();
  HttpRequest bearer = Request("GET", "/madre/power/state", "", std::nullopt);
  bearer.headers["authorization"] = "Bearer secret";
  EXPECT_EQ(Send(bearer)->status, 200);
  bearer.headers["authorization"] = "bearer secret";
  EXPECT_EQ(Send(bearer)->status, 200);
  bearer.headers["authorization"] = "Bearer nope";
  EXPECT_EQ(Send(bearer)->status, 403);
  bearer.headers["authorization"] = "Basic c2VjcmV0";
  EXPECT_EQ(Send(bearer)->status, 401);
}

TEST_F(RouterTest, FailedAuthenticationIsCountedByReason) {
  Build();
  Call("GET", "/madre/power/state", "", std::nullopt);
  Call("GET", "/madre/power/state", "", "wrong");
  Call("GET", "/madre/power/audit", "", "wrong");
  EXPECT_EQ(metrics_.Value(kMetricAuthFailures, {{"reason", "missing"}}), 1);
  EXPECT_EQ(metrics_.Value(kMetricAuthFailures, {{"reason", "invalid"}}), 2);
}

TEST_F(RouterTest, MetricsNeedTheTokenUnlessMadePublic) {
  Build();
  EXPECT_EQ(Call("GET", "/metrics", "", std::nullopt).status, 401);
  EXPECT_EQ(Call("GET", "/metrics", "", "wrong").status, 403);
  HttpRequest prometheus = Request("GET", "/metrics", "", std::nullopt);
  prometheus.headers["authorization"] = "Bearer secret";
  EXPECT_EQ(Send(prometheus)->status, 200);
}

TEST_F(RouterTest, PublicMetricsAnswerWithoutTheToken) {
  options_.metrics_public = true;
  Build();
  EXPECT_EQ(Call("GET", "/metrics", "", std::nullopt).status, 200);
}

TEST_F(RouterTest, WhoamiNamesTheTokenAndItsRole) {
  Build();
  HttpResponse me = Call("GET", "/madre/whoami");
  ASSERT_EQ(me.status, 200) << me.body;
  EXPECT_EQ(Json(me), (json{{"name", "default"}, {"role", "admin"}}));
  EXPECT_EQ(Call("GET", "/madre/whoami", "", std::nullopt).status, 401);
  EXPECT_EQ(Call("GET", "/madre/whoami", "", "wrong").status, 403);
}

TEST_F(RouterTest, TokenLessRoutesAnswerOnlyAnAllowedHost) {
  options_.hosts = MakeHostAllowlist("127.0.0.1", 8001, {"madre"});
  options_.metrics_public = true;
  Build();
  for (const char* path : {"/health", "/openapi.json", "/metrics", "/ui/"}) {
    HttpRequest rebound = Request("GET", path, "", std::nullopt);
    rebound.headers["host"] = "evil.example:8001";
    HttpResponse refused = *Send(rebound);
    EXPECT_EQ(refused.status, 403) << path;
    EXPECT_EQ(Json(refused)["code"], "forbidden") << path;
    EXPECT_THAT(Json(refused)["detail"].get<std::string>(), HasSubstr("evil.example")) << path;
    rebound.headers["host"] = "127.0.0.1:9999";  // another port
    EXPECT_EQ(Send(rebound)->status, 403) << path;
    rebound.headers.erase("host");
    EXPECT_EQ(Send(rebound)->status, 403) << path;
    for (const char* host : {"127.0.0.1:8001", "localhost:8001", "[::1]:8001", "madre:8001"}) {
      rebound.headers["host"] = host;
      EXPECT_EQ(Send(rebound)->status, 200) << path << " " << host;
    }
  }
  // A route that takes the token checks the token, not the Host.
  HttpRequest state = Request("GET", "/madre/power/state");
  state.headers["host"] = "madre.internal:8001";
  EXPECT_EQ(Send(state)->status, 200);
}

TEST_F(RouterTest, AnEphemeralPortIsCheckedOnceTheServerHasIt) {
  options_.hosts = MakeHostAllowlist("127.0.0.1", 0, {});  // VX11_MADRE_PORT=0
  Build();
  HttpRequest health = Request("GET", "/health", "", std::nullopt);
  health.headers["host"] = "127.0.0.1:9999";
  EXPECT_EQ(Send(health)->status, 200) << "before the port is known: any port";
  router_->SetListeningPort(41234);
  EXPECT_EQ(Send(health)->status, 403);
  health.headers["host"] = "127.0.0.1:41234";
  EXPECT_EQ(Send(health)->status, 200);
}

TEST_F(RouterTest, ATokenLessIntentAnswersOnlyAnAllowedHostWithThePort) {
  options_.hosts = MakeHostAllowlist("127.0.0.1", 8001, {"madre"});
  options_.intents.open_sources = {"hormiguero"};
  Build();
  HttpRequest intent =
      Request("POST", "/madre/intent",
              R"({"type":"spawn","payload":{"task":"scan"},"source":"hormiguero"})", std::nullopt);
  intent.headers["content-type"] = "application/json";
  for (const char* host : {"evil.example:8001", "madre:9999", "127.0.0.1:9999"}) {
    intent.headers["host"] = host;
    HttpResponse refused = *Send(intent);
    EXPECT_EQ(refused.status, 403) << host;
    EXPECT_THAT(Json(refused)["detail"].get<std::string>(), HasSubstr("VX11_UI_HOSTS")) << host;
  }
  intent.headers["host"] = "madre:8001";
  EXPECT_EQ(Send(intent)->status, 200);
  // With a token the Host is not checked.
  HttpRequest with_token =
      Request("POST", "/madre/intent", R"({"type":"spawn","payload":{"task":"scan"}})");
  with_token.headers["host"] = "madre.internal:9999";
  EXPECT_EQ(Send(with_token)->status, 200);
}

TEST_F(RouterTest, TheConsoleIsServedWithoutATokenUnderAStrictPolicy) {
  Build();
  struct Want {
    const char* path;
    const char* type;
    const char* contains;
  };
  for (const Want& want : {Want{"/ui/", "text/html; charset=utf-8", "<script type=\"module\""},
                           Want{"/ui/index.html", "text/html; charset=utf-8", "app.js"},
                           Want{"/ui/app.js", "text/javascript; charset=utf-8", "X-VX11-Token"},
                           Want{"/ui/style.css", "text/css; charset=utf-8", "{"}}) {
    HttpResponse page = Call("GET", want.path, "", std::nullopt);
    ASSERT_EQ(page.status, 200) << want.path;
    EXPECT_EQ(page.content_type, want.type) << want.path;
    EXPECT_THAT(page.body, HasSubstr(want.contains)) << want.path;
    std::map<std::string, std::string> headers(page.headers.begin(), page.headers.end());
    EXPECT_THAT(headers["Content-Security-Policy"], HasSubstr("default-src 'self'"));
    EXPECT_THAT(headers["Content-Security-Policy"], HasSubstr("frame-ancestors 'none'"));
    EXPECT_EQ(headers["X-Frame-Options"], "DENY");
    EXPECT_EQ(headers["X-Content-Type-Options"], "nosniff");
  }
  // Nothing inline: the policy allows no inline script or style.
  const std::string index = Call("GET", "/ui/", "", std::nullopt).body;
  EXPECT_EQ(index.find("<script>"), std::string::npos);
  EXPECT_EQ(index.find("style="), std::string::npos);
  HttpResponse bare = Call("GET", "/ui", "", std::nullopt);
  EXPECT_EQ(bare.status, 308);
  EXPECT_THAT(bare.headers,
              ::testing::Contains(std::pair<std::string, std::string>("Location", "/ui/")));
  HttpResponse missing = Call("GET", "/ui/nope.js", "", std::nullopt);
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(Call("POST", "/ui/", "", std::nullopt).status, 405);
  EXPECT_EQ(Call("HEAD", "/ui/app.js", "", std::nullopt).status, 200);
}

TEST_F(RouterTest, TheTableAnswers405ForAKnownPathAnd404ForAnUnknownOne) {
  Build();
  HttpResponse wrong_method = Call("GET", "/madre/power/window/open");
  EXPECT_EQ(wrong_method.status, 405);
  EXPECT_EQ(Json(wrong_method)["detail"], "method GET not allowed on /madre/power/window/open");
  // A literal route wins over the {id} pattern: "open" is not a window id here.
  EXPECT_EQ(Call("GET", "/madre/power/windows/open").status, 405);
  EXPECT_EQ(Call("POST", "/health").status, 405);
  EXPECT_EQ(Call("HEAD", "/madre/power/state").status, 200);
  EXPECT_EQ(Call("GET", "/madre/power/windows/..%2Fetc").status, 404);
  EXPECT_EQ(Call("POST", "/madre/power/service/db/explode").status, 404);
  EXPECT_EQ(Call("POST", "/madre/power/service/x;id/start").status, 404);
  EXPECT_EQ(Call("GET", "/nope", "", std::nullopt).status, 404);
  EXPECT_THAT(docker_.calls(), IsEmpty());
}

TEST_F(RouterTest, PowerRoutesAnswer503UntilTheEngineStarted) {
  PlannerConfig config;
  EngineDeps deps{clock_, docker_,        docker_, store_,
                  audit_, workers_,       loop_,   [] { return std::string("w1"); },
                  probe_, [](Duration) {}};
  engine_ = std::make_unique<Engine>(deps, config, HttpApiTestModel());
  router_ = std::make_unique<ApiRouter>(options_, RouterDeps{.engine = *engine_,
                                                             .observer = docker_,
                                                             .workers = workers_,
                                                             .loop = loop_,
                                                             .after = timers_.Scheduler(),
                                                             .cpu_busy = {},
                                                             .cpu_snapshot = {},
                                                             .host = {}});
  HttpResponse r = Call("GET", "/madre/power/state");
  EXPECT_EQ(r.status, 503);
  EXPECT_THAT(Json(r)["detail"].get<std::string>(), HasSubstr("starting"));
  HttpResponse health = Call("GET", "/health", "", std::nullopt);
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(Json(health)["status"], "ok");
  EXPECT_EQ(Json(health)["ready"], false);
}

// GET /health answers at once (no queue drained), as a client sees it while madre works.
class HealthTest : public HttpApiTest {
 protected:
  nlohmann::json HealthNow() {
    std::optional<HttpResponse> answer;
    router_->Handle(Request("GET", "/health", "", std::nullopt),
                    [&answer](HttpResponse r) { answer = std::move(r); });
    EXPECT_TRUE(answer.has_value());
    if (!answer) return nullptr;
    EXPECT_EQ(answer->status, 200);
    return Json(*answer);
  }
};

TEST_F(HealthTest, ReadyOnceTheStartUpReconcileHasItsResults) {
  docker_.SetRunning("redis", false);  // the always-on service must be started at boot
  drain_at_start_ = false;
  options_.version = "1.2.3";
  Build();
  nlohmann::json health = HealthNow();
  EXPECT_EQ(health,
            nlohmann::json(
                {{"module", "madre"}, {"status", "ok"}, {"version", "1.2.3"}, {"ready", false}}))
      << "Docker not observed yet";
  ASSERT_EQ(workers_.size(), 1u);  // the start-up observation
  workers_.RunOne();
  loop_.RunAll();
  EXPECT_TRUE(engine_->Snapshot().observed_once);
  ASSERT_EQ(workers_.size(), 1u);  // the start of redis, with its readiness wait
  EXPECT_EQ(HealthNow()["ready"], false) << "redis is still starting";
  EXPECT_EQ(HealthNow()["status"], "ok");
  Drain();
  EXPECT_TRUE(docker_.running().count("redis"));
  EXPECT_EQ(HealthNow()["ready"], true);
}

TEST_F(HealthTest, ReadyWhenTheBootStartFailedAndIsRetriedLater) {
  docker_.SetRunning("redis", false);
  docker_.FailNext("up", Status::Internal("port is already allocated"));
  drain_at_start_ = false;
  Build();
  Drain();
  EXPECT_FALSE(docker_.running().count("redis"));
  EXPECT_TRUE(engine_->Snapshot().services.at("redis").not_before.has_value());  // back-off
  EXPECT_EQ(HealthNow()["ready"], true);
  // The retry after the back-off, in flight, does not make madre "starting" again.
  clock_.Advance(Seconds(5));
  engine_->Tick();
  ASSERT_EQ(workers_.size(), 1u);
  EXPECT_EQ(HealthNow()["ready"], true);
  Drain();
  EXPECT_TRUE(docker_.running().count("redis"));
}

TEST_F(HealthTest, NotReadyWhileTheFirstObservationFails) {
  docker_.FailNext("list", Status::Unavailable("cannot connect to the Docker daemon"));
  drain_at_start_ = false;
  Build();
  Drain();
  EXPECT_FALSE(engine_->Snapshot().observed_once);
  EXPECT_EQ(HealthNow()["ready"], false);
  EXPECT_EQ(HealthNow()["status"], "ok");  // the original clients read only this
  clock_.Advance(Seconds(5));
  engine_->Tick();
  Drain();
  EXPECT_EQ(HealthNow()["ready"], true);
}

TEST_F(RouterTest, DisabledWindowsAnswer503ToTheirCommandsOnly) {
  options_.windows_enabled = false;
  Build();
  HttpResponse r = Call("POST", "/madre/power/window/open", R"({"services":["db"]})");
  EXPECT_EQ(r.status, 503);
  EXPECT_THAT(Json(r)["detail"].get<std::string>(), HasSubstr("VX11_POWER_WINDOWS_ENABLED"));
  EXPECT_EQ(Call("POST", "/madre/power/service/db/start").status, 503);
  EXPECT_EQ(Call("GET", "/madre/power/state").status, 200);
}

TEST_F(RouterTest, RequestsAreCountedByRoutePattern) {
  Build();
  Call("GET", "/madre/power/state");
  Call("GET", "/madre/power/windows/abc");
  HttpResponse text = Call("GET", "/metrics");
  EXPECT_EQ(text.status, 200);
  EXPECT_EQ(text.content_type, "text/plain; version=0.0.4");
  EXPECT_THAT(text.body,
              HasSubstr("madre_http_requests_total{code=\"200\",route=\"/madre/power/state\"} 1"));
  EXPECT_THAT(text.body, HasSubstr("route=\"/madre/power/windows/{id}\""));
}

TEST_F(RouterTest, LegacyPrefixesAnswer404NamingVx11LegacyMadreUrl) {
  Build();
  for (const char* path : {"/madre/chat", "/madre/chat/stream", "/vx11/intent", "/vx11/result/abc",
                           "/madre/callback/spawn", "/madre/power/maintenance/post_task"}) {
    for (const char* method : {"GET", "POST"}) {
      HttpResponse r = Call(method, path, "{}");
      EXPECT_EQ(r.status, 404) << method << " " << path;
      EXPECT_EQ(Json(r)["code"], "legacy_route") << path;
      EXPECT_THAT(Json(r)["detail"].get<std::string>(), HasSubstr("VX11_LEGACY_MADRE_URL")) << path;
      EXPECT_THAT(Json(r)["detail"].get<std::string>(), HasSubstr("original madre")) << path;
    }
  }
  // Not legacy: a mere common start, and the original routes not served here yet.
  for (const char* path : {"/madre/chatter", "/vx11", "/madre/power/token"}) {
    HttpResponse r = Call("POST", path, "{}");
    EXPECT_EQ(r.status, 404) << path;
    EXPECT_EQ(Json(r)["code"], "not_found") << path;
  }
  EXPECT_THAT(docker_.calls(), IsEmpty());
}

TEST_F(RouterTest, TheTokenCheckRunsBeforeTheLegacyAnswerUnderMadrePower) {
  Build();
  EXPECT_EQ(Call("POST", "/madre/power/maintenance/post_task", "{}", std::nullopt).status, 401);
  EXPECT_EQ(Call("POST", "/madre/power/maintenance/post_task", "{}", "nope").status, 403);
  // Outside /madre/power the original madre has its own rules: no token needed for the 404.
  EXPECT_EQ(Json(Call("POST", "/madre/chat", "{}", std::nullopt))["code"], "legacy_route");
}

// With VX11_LEGACY_MADRE_URL set: a transport that records the calls and answers 200.
class LegacyRouterTest : public RouterTest {
 protected:
  void BuildForwarding() {
    options_.legacy.url = "http://legacy:8001";
    options_.legacy.host = "legacy:8001";
    legacy_transport_ = [this](const LegacyCall& call) -> Result<LegacyAnswer> {
      calls_.push_back(call);
      return LegacyAnswer{.status = 200,
                          .headers = {{"Content-Type", "application/json"}},
                          .body = R"({"from":"legacy"})"};
    };
    Build();
  }
  std::vector<LegacyCall> calls_;
};

TEST_F(LegacyRouterTest, APathUnderALegacyPrefixIsForwardedWithoutMadresToken) {
  BuildForwarding();
  HttpResponse r = Call("POST", "/madre/chat", R"({"q":1})", std::nullopt);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"({"from":"legacy"})");
  ASSERT_EQ(calls_.size(), 1u);
  EXPECT_EQ(calls_[0].method, "POST");
  EXPECT_EQ(calls_[0].target, "/madre/chat");
  EXPECT_EQ(calls_[0].host, "legacy:8001");
  EXPECT_EQ(calls_[0].body, R"({"q":1})");
  EXPECT_EQ(audit_.actions().back(), "legacy.forward");
  EXPECT_EQ(audit_.records().back().actor, "127.0.0.1");
  EXPECT_EQ(audit_.records().back().reason, "POST /madre/chat");
  EXPECT_THAT(audit_.records().back().detail, testing::StartsWith("200 in "));
}

TEST_F(LegacyRouterTest, MadresTokenIsCheckedBeforeForwardingUnderMadrePower) {
  BuildForwarding();
  const char* path = "/madre/power/maintenance/post_task";
  EXPECT_EQ(Call("POST", path, "{}", std::nullopt).status, 401);
  EXPECT_EQ(Call("POST", path, "{}", "nope").status, 403);
  EXPECT_THAT(calls_, IsEmpty());
  EXPECT_EQ(Call("POST", path, "{}", "secret").status, 200);
  ASSERT_EQ(calls_.size(), 1u);
  EXPECT_EQ(calls_[0].target, path);
}

TEST_F(LegacyRouterTest, MadresOwnRoutesAndOtherPathsAreNeverForwarded) {
  options_.legacy_prefixes = {"/madre/power/", "/vx11/"};
  BuildForwarding();
  EXPECT_EQ(Call("GET", "/madre/power/state").status, 200);
  EXPECT_EQ(Call("GET", "/madre/power/window/open").status, 405);
  EXPECT_EQ(Json(Call("GET", "/madre/chat"))["code"], "not_found");
  EXPECT_THAT(calls_, IsEmpty());
  EXPECT_EQ(Call("GET", "/madre/power/maintenance/x").status, 200);
  EXPECT_EQ(calls_.size(), 1u);
}

TEST_F(RouterTest, TheLegacyPrefixesAreConfigurableAndNeverShadowMadresOwnRoutes) {
  options_.legacy_prefixes = {"/operator/", "/ui/", "/madre/power/"};
  Build();
  EXPECT_EQ(Json(Call("GET", "/operator/index.html"))["code"], "legacy_route");
  EXPECT_EQ(Call("GET", "/ui/index.html").status, 200);  // madre's console
  EXPECT_EQ(Json(Call("GET", "/madre/power/nope"))["code"], "legacy_route");
  EXPECT_EQ(Json(Call("GET", "/madre/chat"))["code"], "not_found");  // not in the list now
  EXPECT_EQ(Call("GET", "/madre/power/state").status, 200);
  EXPECT_EQ(Call("GET", "/madre/power/window/open").status, 405);
}

TEST(RouteLabelTest, NamesTheRoutePatternOrOther) {
  EXPECT_EQ(RouteLabel("/madre/power/state"), "/madre/power/state");
  EXPECT_EQ(RouteLabel("/madre/power/windows/open"), "/madre/power/windows/open");
  EXPECT_EQ(RouteLabel("/madre/power/windows/w-1"), "/madre/power/windows/{id}");
  EXPECT_EQ(RouteLabel("/madre/power/service/db/restart"), "/madre/power/service/{name}/restart");
  EXPECT_EQ(RouteLabel("/madre/builds/7"), "/madre/builds/{id}");
  EXPECT_EQ(RouteLabel("/madre/builds"), "/madre/builds");
  EXPECT_EQ(RouteLabel("/madre/power/service/db/explode"), "other");
  EXPECT_EQ(RouteLabel("/favicon.ico"), "other");
}

TEST(TokenTest, ComparisonNeedsEveryByte) {
  EXPECT_TRUE(TokenMatches("secret", "secret"));
  EXPECT_FALSE(TokenMatches("secret", "secreT"));
  EXPECT_FALSE(TokenMatches("secret", "secret2"));
  EXPECT_FALSE(TokenMatches("secret", "secre"));
  EXPECT_FALSE(TokenMatches("secret", ""));
  EXPECT_FALSE(TokenMatches("", ""));
}

}  // namespace
}  // namespace madre
