#include "daemon/routes.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "api/json_codec.h"
#include "engine/engine_metrics.h"
#include "testing/fake_clock.h"
#include "testing/fake_docker.h"
#include "testing/fake_probe.h"
#include "testing/in_memory_window_store.h"
#include "testing/manual_executor.h"
#include "testing/recording_audit_log.h"
#include "testing/model_builder.h"

namespace madre {
namespace {

using nlohmann::json;

ServiceModel Model() { return ModelOf({{"redis", {}}, {"db", {}}, {"web", {"db"}}}); }

class RoutesTest : public ::testing::Test {
 protected:
  RoutesTest() : docker_(Model()) { docker_.SetRunning("redis", true); }

  void Build() {
    PlannerConfig config;
    config.always_on = {"madre", "redis"};
    config.allowlist = {"db", "web"};
    config.resync_interval = Duration::zero();
    EngineDeps deps{clock_, docker_, docker_, store_, audit_, workers_, loop_,
                    [] { return std::string("w1"); }, probe_,
                    [this](Duration d) { clock_.Advance(d); }};
    engine_ = std::make_unique<Engine>(deps, config, Model());
    options_.token = "secret";
    options_.always_on = config.always_on;
    options_.sleep = [this](Duration d) { slept_ += d; };
    router_ = std::make_unique<ApiRouter>(options_, *engine_, docker_, workers_, loop_);
    ASSERT_TRUE(engine_->Start().ok());
    Drain();
    router_->SetReady();
  }

  void Drain() {
    while (workers_.size() + loop_.size() > 0) {
      workers_.RunAll();
      loop_.RunAll();
    }
  }

  HttpResponse Call(std::string method, std::string path, std::string body = "",
                    std::optional<std::string> token = "secret") {
    HttpRequest request;
    request.method = std::move(method);
    request.path = path;
    request.target = path;
    request.body = std::move(body);
    request.remote_address = "127.0.0.1:5000";
    if (token) request.headers["x-vx11-token"] = *token;
    std::optional<HttpResponse> answer;
    router_->Handle(request, [&](HttpResponse r) { answer = std::move(r); });
    Drain();
    EXPECT_TRUE(answer.has_value()) << path;
    return answer.value_or(HttpResponse{});
  }

  FakeClock clock_;
  FakeDocker docker_;
  InMemoryWindowStore store_;
  RecordingAuditLog audit_;
  ManualExecutor workers_;
  ManualExecutor loop_;
  FakeProbe probe_;
  RouterOptions options_;
  Duration slept_{};
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<ApiRouter> router_;
};

TEST_F(RoutesTest, EveryPowerRouteNeedsTheToken) {
  Build();
  for (const char* path : {"/madre/power/state", "/madre/power/policy/solo_madre/status",
                           "/madre/power/policy/solo_madre/apply", "/madre/power/nope", "/madre/power/"}) {
    HttpResponse missing = Call("GET", path, "", std::nullopt);
    EXPECT_EQ(missing.status, 401) << path;
    EXPECT_EQ(json::parse(missing.body)["detail"], "auth_required: X-VX11-Token header missing");
    HttpResponse wrong = Call("GET", path, "", "nope");
    EXPECT_EQ(wrong.status, 403) << path;
    EXPECT_EQ(json::parse(wrong.body)["detail"], "forbidden: invalid token");
  }
  EXPECT_EQ(Call("GET", "/health", "", std::nullopt).status, 200);
  EXPECT_EQ(Call("GET", "/madre/power", "", "secret").status, 404);
}

TEST_F(RoutesTest, ErrorsAreJsonWithDetailAndCode) {
  Build();
  HttpResponse bad = Call("POST", "/madre/power/window/open", "{oops");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(json::parse(bad.body)["code"], "invalid_argument");
  HttpResponse none = Call("POST", "/madre/power/window/close");
  EXPECT_EQ(none.status, 404);
  EXPECT_EQ(json::parse(none.body)["detail"], "No active window");
  EXPECT_EQ(Call("GET", "/madre/power/window/open").status, 405);
  EXPECT_EQ(Call("GET", "/madre/power/windows/..%2Fetc").status, 404);
  EXPECT_EQ(Call("POST", "/madre/power/service/x;id/start").status, 404);
  EXPECT_THAT(docker_.calls(), ::testing::IsEmpty());
}

TEST_F(RoutesTest, DisabledWindowsAnswer503) {
  options_.windows_enabled = false;
  Build();
  HttpResponse r = Call("POST", "/madre/power/window/open", R"({"services":["db"]})");
  EXPECT_EQ(r.status, 503);
  EXPECT_NE(json::parse(r.body)["detail"].get<std::string>().find("VX11_POWER_WINDOWS_ENABLED"),
            std::string::npos);
  EXPECT_EQ(Call("GET", "/madre/power/state").status, 200);
}

TEST_F(RoutesTest, CompatibleOpenAnswersWithTheOpenWindow) {
  Build();
  HttpResponse r = Call("POST", "/madre/power/window/open", R"({"services":["web"],"ttl_sec":60})");
  ASSERT_EQ(r.status, 200) << r.body;
  json body = json::parse(r.body);
  EXPECT_EQ(body["state"], "open");
  EXPECT_EQ(body["services_started"], json({"db", "web"}));
  EXPECT_EQ(body["ttl_remaining_sec"], 60);
  json state = json::parse(Call("GET", "/madre/power/state").body);
  EXPECT_EQ(state["policy"], "windowed");
  EXPECT_EQ(state["active_services"], json({"db", "web"}));
}

TEST_F(RoutesTest, ThrottleRefusesWith503AndRetryAfterAndStartsNothing) {
  options_.throttle_cpu_pct = 70;
  options_.throttle_wait = false;
  options_.cpu_sampler = [] { return 95.0; };
  Build();
  HttpResponse r = Call("POST", "/madre/power/window/open", R"({"services":["db"]})");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(json::parse(r.body)["detail"], "throttled: host CPU 95% is above 70% (VX11_THROTTLE_CPU_PCT); retry later");
  ASSERT_EQ(r.headers.size(), 1u);
  EXPECT_EQ(r.headers[0], std::make_pair(std::string("Retry-After"), std::string("10")));
  EXPECT_THAT(docker_.calls(), ::testing::IsEmpty());
  EXPECT_EQ(audit_.records().back().outcome, "rejected");
}

TEST_F(RoutesTest, ThrottleWaitsWithBackoffThenOpens) {
  options_.throttle_cpu_pct = 70;
  options_.throttle_wait = true;
  int samples = 0;
  options_.cpu_sampler = [&] { return ++samples < 3 ? 90.0 : 20.0; };
  Build();
  HttpResponse r = Call("POST", "/madre/power/window/open", R"({"services":["db"],"ttl_sec":60})");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(samples, 3);
  EXPECT_EQ(slept_, Seconds(1) + Seconds(2));
}

TEST_F(RoutesTest, MetricsCountRequestsByRoute) {
  Metrics metrics;
  DeclareMadreMetrics(metrics);
  options_.metrics = &metrics;
  Build();
  Call("GET", "/madre/power/state");
  Call("GET", "/madre/power/windows/abc");
  HttpResponse text = Call("GET", "/metrics", "", std::nullopt);
  EXPECT_EQ(text.status, 200);
  EXPECT_EQ(text.content_type, "text/plain; version=0.0.4");
  EXPECT_NE(text.body.find("madre_http_requests_total{code=\"200\",route=\"/madre/power/state\"} 1"),
            std::string::npos) << text.body;
  EXPECT_NE(text.body.find("route=\"/madre/power/windows/{id}\""), std::string::npos);
  EXPECT_NE(text.body.find("madre_host_memory_bytes{kind=\"total\"}"), std::string::npos);
}

}  // namespace
}  // namespace madre
