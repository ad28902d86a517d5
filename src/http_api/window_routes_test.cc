#include "http_api/window_routes.h"

#include "http_api/http_api_test_support.h"

namespace madre {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

class WindowRoutesTest : public HttpApiTest {};

TEST_F(WindowRoutesTest, CompatibleOpenAnswersWithTheOpenWindow) {
  Build();
  HttpResponse r = Call("POST", "/madre/power/window/open", R"({"services":["web"],"ttl_sec":60})");
  ASSERT_EQ(r.status, 200) << r.body;
  json body = Json(r);
  EXPECT_EQ(body["state"], "open");
  EXPECT_EQ(body["services_started"], json({"db", "web"}));
  EXPECT_EQ(body["services_status"]["web"]["state"], "running");  // ServiceState's wire name
  EXPECT_EQ(body["ttl_remaining_sec"], 60);
  EXPECT_EQ(body["stop_strategy"], "stop");
}

TEST_F(WindowRoutesTest, CompatibleOpenAnswersWithinTheCompatWaitWhileMadreGoesOnWaiting) {
  options_.compat_open_wait = Seconds(4);
  Build();
  std::optional<HttpResponse> answer;
  router_->Handle(
      Request("POST", "/madre/power/window/open", R"({"services":["web"],"ttl_sec":60})"),
      [&answer](HttpResponse r) { answer = std::move(r); });
  loop_.RunAll();  // the start of db and web is queued on a worker and does not run yet
  clock_.Advance(Seconds(3));
  engine_->Tick();
  loop_.RunAll();
  EXPECT_FALSE(answer.has_value()) << "answered before the compat wait ended";
  clock_.Advance(Seconds(1));
  engine_->Tick();
  loop_.RunAll();
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(answer->status, 200) << answer->body;
  json body = Json(*answer);
  EXPECT_EQ(body["state"], "opening");
  EXPECT_EQ(body["services_started"], json::array()) << "nothing runs yet";
  Drain();  // madre goes on: the window opens
  const std::string id = body["window_id"];
  json window = Json(Call("GET", "/madre/power/windows/" + id));
  EXPECT_EQ(window["state"], "open");
}

TEST_F(WindowRoutesTest, TheOtherOpenKeepsItsOwnWaitAndA202) {
  options_.compat_open_wait = Seconds(4);
  Build();
  std::optional<HttpResponse> answer;
  router_->Handle(Request("POST", "/madre/power/windows/open",
                          R"({"services":["web"],"ttl_sec":60,"wait":true,"wait_timeout_sec":10})"),
                  [&answer](HttpResponse r) { answer = std::move(r); });
  loop_.RunAll();
  clock_.Advance(Seconds(4));
  engine_->Tick();
  loop_.RunAll();
  EXPECT_FALSE(answer.has_value()) << "/windows/open waits wait_timeout_sec";
  clock_.Advance(Seconds(6));
  engine_->Tick();
  loop_.RunAll();
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(answer->status, 202) << answer->body;
  Drain();
}

TEST_F(WindowRoutesTest, ABadBodyIsA400AuditedAsRejectedThatStartsNothing) {
  Build();
  HttpResponse bad = Call("POST", "/madre/power/window/open", "{oops");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(Json(bad)["code"], "invalid_argument");
  EXPECT_EQ(audit_.records().back().outcome, AuditOutcome::kRejected);
  EXPECT_THAT(docker_.calls(), IsEmpty());
}

TEST_F(WindowRoutesTest, UnknownKeysAreA400ThatNamesThem) {
  Build();
  HttpResponse typo = Call("POST", "/madre/power/windows/open", R"({"services":["db"],"ttl":300})");
  EXPECT_EQ(typo.status, 400);
  EXPECT_EQ(Json(typo)["detail"], "unknown field(s) in request body: ttl");
  HttpResponse hold =
      Call("POST", "/madre/power/windows/hold", R"({"window_id":"w1","hold":true,"x":1})");
  EXPECT_EQ(hold.status, 400);
  EXPECT_EQ(Json(hold)["detail"], "unknown field(s) in request body: x");
  EXPECT_EQ(Call("POST", "/madre/power/service/db/stop", R"({"force":true})").status, 400);
  EXPECT_THAT(docker_.calls(), IsEmpty());
}

TEST_F(WindowRoutesTest, ACpuLimitIsKeptOnTheWindowAndABadOneIsA400NamingIt) {
  Build();
  for (const char* bad : {R"(0)", R"(-1)", R"("0.5")", R"(true)", R"(5000)"}) {
    HttpResponse r =
        Call("POST", "/madre/power/window/open",
             std::string(R"({"services":["db"],"ttl_sec":60,"cpu_limit":)") + bad + "}");
    EXPECT_EQ(r.status, 400) << bad << ": " << r.body;
    EXPECT_NE(Json(r)["detail"].get<std::string>().find("cpu_limit"), std::string::npos) << r.body;
  }
  EXPECT_THAT(docker_.calls(), IsEmpty());
  EXPECT_TRUE(store_.LoadOpen()->empty()) << "nothing recorded";
  HttpResponse open = Call("POST", "/madre/power/window/open",
                           R"({"services":["db"],"ttl_sec":60,"cpu_limit":0.5})");
  ASSERT_EQ(open.status, 200) << open.body;
  const json window = Json(open);
  EXPECT_EQ(window["cpu_limit"], 0.5) << open.body;
  EXPECT_EQ(Json(Call("GET", "/madre/power/windows/" +
                                 window["window_id"].get<std::string>()))["cpu_limit"],
            0.5);
  Drain();
}

TEST_F(WindowRoutesTest, TheKeysTheOriginalClientsSendAreAccepted) {
  Build();
  HttpResponse open =
      Call("POST", "/madre/power/window/open",
           R"({"services":["db"],"ttl_sec":60,"mode":"ttl","reason":"r","window_id":null})");
  ASSERT_EQ(open.status, 200) << open.body;
  const std::string id = Json(open)["window_id"];
  EXPECT_EQ(Call("POST", "/madre/power/windows/extend",
                 R"({"window_id":")" + id +
                     R"(","ttl_sec":120,"services":["db"],"mode":"ttl","reason":"r"})")
                .status,
            200);
  EXPECT_EQ(Call("POST", "/madre/power/service/db/restart",
                 R"({"apply":true,"confirm":true,"service":"db"})")
                .status,
            200);
  EXPECT_EQ(Call("POST", "/madre/power/window/close",
                 R"({"window_id":")" + id +
                     R"(","services":["db"],"ttl_sec":null,"mode":"ttl","reason":"r"})")
                .status,
            200);
}

TEST_F(WindowRoutesTest, ATtlSecGivenAsANumericStringIsAcceptedByOpenAndExtend) {
  Build();
  HttpResponse open =
      Call("POST", "/madre/power/window/open", R"({"services":["db"],"ttl_sec":"300"})");
  ASSERT_EQ(open.status, 200) << open.body;
  EXPECT_EQ(Json(open)["ttl_sec"], 300);
  EXPECT_EQ(Json(open)["ttl_remaining_sec"], 300);
  const std::string id = Json(open)["window_id"];
  HttpResponse extend = Call("POST", "/madre/power/windows/extend",
                             R"({"window_id":")" + id + R"(","ttl_sec":"60"})");
  ASSERT_EQ(extend.status, 200) << extend.body;
  EXPECT_EQ(Json(extend)["ttl_sec"], 360);
  HttpResponse other = Call("POST", "/madre/power/windows/open",
                            R"({"services":["web"],"ttl_sec":"0","wait":true})");
  EXPECT_EQ(other.status, 409) << "the window limit, past the body's checks: " << other.body;
}

TEST_F(WindowRoutesTest, ANonNumericOrOutOfRangeTtlSecStringIsA400NamingTheField) {
  Build();
  const std::vector<std::string> bad = {R"("abc")",    R"("")",    R"("30s")",
                                        R"(" 30")",    R"("1.5")", R"("99999999999999999999")",
                                        R"("604801")", R"("-1")"};
  for (const std::string& ttl : bad) {
    for (const char* path : {"/madre/power/window/open", "/madre/power/windows/open"}) {
      HttpResponse r = Call("POST", path, R"({"services":["db"],"ttl_sec":)" + ttl + "}");
      EXPECT_EQ(r.status, 400) << path << " " << ttl << ": " << r.body;
      EXPECT_THAT(Json(r)["detail"].get<std::string>(), HasSubstr("ttl_sec")) << ttl;
    }
  }
  EXPECT_THAT(docker_.calls(), IsEmpty());
  const std::string id = Json(
      Call("POST", "/madre/power/window/open", R"({"services":["db"],"ttl_sec":60})"))["window_id"];
  for (const std::string& ttl : bad) {
    HttpResponse extend = Call("POST", "/madre/power/windows/extend",
                               R"({"window_id":")" + id + R"(","ttl_sec":)" + ttl + "}");
    EXPECT_EQ(extend.status, 400) << ttl << ": " << extend.body;
    EXPECT_THAT(Json(extend)["detail"].get<std::string>(), HasSubstr("ttl_sec")) << ttl;
  }
  EXPECT_EQ(Json(Call("GET", "/madre/power/windows/" + id))["ttl_sec"], 60);
}

TEST_F(WindowRoutesTest, AnUnknownModeIsTakenAsTtlAndAnEmptyServiceListIsA400) {
  Build();
  HttpResponse open = Call("POST", "/madre/power/window/open",
                           R"({"services":["db"],"ttl_sec":60,"mode":"weird"})");
  ASSERT_EQ(open.status, 200) << open.body;
  EXPECT_EQ(Json(open)["hold"], false);
  EXPECT_EQ(Json(open)["ttl_remaining_sec"], 60);
  EXPECT_EQ(Call("POST", "/madre/power/windows/open", R"({"services":[]})").status, 400);
}

TEST_F(WindowRoutesTest, HoldAndExtendAnswerWithTheWindow) {
  Build();
  const std::string id = Json(
      Call("POST", "/madre/power/window/open", R"({"services":["db"],"ttl_sec":60})"))["window_id"];
  HttpResponse hold =
      Call("POST", "/madre/power/windows/hold", R"({"window_id":")" + id + R"(","hold":true})");
  ASSERT_EQ(hold.status, 200) << hold.body;
  EXPECT_EQ(Json(hold)["hold"], true);
  EXPECT_EQ(Json(hold)["ttl_remaining_sec"], nullptr);
  HttpResponse extend =
      Call("POST", "/madre/power/windows/extend", R"({"window_id":")" + id + R"("})");
  EXPECT_EQ(extend.status, 400);
  EXPECT_EQ(Json(extend)["detail"], "ttl_sec is required");
}

TEST_F(WindowRoutesTest, AServiceOpOnAnUnknownServiceIs404AndAudited) {
  Build();
  HttpResponse r = Call("POST", "/madre/power/service/nope/start");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(Json(r)["detail"], "no compose service named \"nope\"");
  EXPECT_EQ(audit_.records().back().action, "service.start");
  EXPECT_EQ(audit_.records().back().outcome, AuditOutcome::kRejected);
}

TEST_F(WindowRoutesTest, SoloMadreApplyStopsWindowServices) {
  Build();
  ASSERT_EQ(Call("POST", "/madre/power/window/open", R"({"services":["db"],"ttl_sec":60})").status,
            200);
  HttpResponse r = Call("POST", "/madre/power/policy/solo_madre/apply");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Json(r)["status"], "ok");  // as the original's clients assert
  EXPECT_EQ(Json(r)["policy"], "solo_madre");
  EXPECT_EQ(Json(r)["state"], "applied");
  EXPECT_EQ(Json(r)["exec_status"], "ok");
  EXPECT_EQ(Json(r)["services_stopped"], json({"db"}));
}

TEST_F(WindowRoutesTest, ASoloMadreApplyWhoseEveryStopFailsIsA500WithStatusError) {
  Build();
  ASSERT_EQ(Call("POST", "/madre/power/window/open", R"({"services":["db"],"ttl_sec":60})").status,
            200);
  docker_.FailNext("stop", Status::Internal("boom"));
  HttpResponse r = Call("POST", "/madre/power/policy/solo_madre/apply");
  ASSERT_EQ(r.status, 500) << r.body;
  EXPECT_EQ(Json(r)["status"], "error");
  EXPECT_EQ(Json(r)["exec_status"], "fail");
  EXPECT_EQ(Json(r)["policy"], "solo_madre");
}

TEST_F(WindowRoutesTest, ServiceStartStopAndRestartAnswerStatusOk) {
  Build();
  for (const char* op : {"start", "restart", "stop"}) {
    HttpResponse r = Call("POST", std::string("/madre/power/service/db/") + op);
    ASSERT_EQ(r.status, 200) << op << ": " << r.body;
    EXPECT_EQ(Json(r)["status"], "ok") << op;
    EXPECT_EQ(Json(r)["service"], "db") << op;
    EXPECT_EQ(Json(r)["action"], op) << op;
  }
}

TEST_F(WindowRoutesTest, TheBodyFormOfServiceStartAndStopNamesTheServiceInTheBody) {
  Build();
  HttpResponse started = Call("POST", "/madre/power/service/start", R"({"service":"web"})");
  ASSERT_EQ(started.status, 200) << started.body;
  EXPECT_EQ(Json(started)["status"], "ok");
  EXPECT_EQ(Json(started)["service"], "web");
  EXPECT_TRUE(docker_.running().count("web"));
  HttpResponse stopped = Call("POST", "/madre/power/service/stop", R"({"service":"web"})");
  ASSERT_EQ(stopped.status, 200) << stopped.body;
  EXPECT_EQ(Json(stopped)["action"], "stop");
  EXPECT_FALSE(docker_.running().count("web"));
}

TEST_F(WindowRoutesTest, TheBodyFormWithoutAServiceIsA400ThatStartsNothing) {
  Build();
  for (const char* body : {"", "{}", R"({"service":7})", R"({"apply":true})"}) {
    HttpResponse r = Call("POST", "/madre/power/service/start", body);
    EXPECT_EQ(r.status, 400) << body << " -> " << r.body;
  }
  EXPECT_THAT(Json(Call("POST", "/madre/power/service/start", "{}"))["detail"].get<std::string>(),
              HasSubstr("service is required"));
  EXPECT_EQ(Call("POST", "/madre/power/service/start", R"({"service":"nope"})").status, 404);
  EXPECT_THAT(docker_.calls(), IsEmpty());
}

TEST_F(WindowRoutesTest, ApplyFalseAnswersThePlanAndDoesNothing) {
  Build();
  HttpResponse r = Call("POST", "/madre/power/service/web/start", R"({"apply":false})");
  ASSERT_EQ(r.status, 200) << r.body;
  json plan = Json(r);
  EXPECT_EQ(plan["status"], "plan");
  EXPECT_EQ(plan["applied"], false);
  EXPECT_EQ(plan["services"], json({"db", "web"})) << "web and the dependency it would start";
  EXPECT_EQ(Json(Call("POST", "/madre/power/service/start",
                      R"({"service":"web","apply":false,"confirm":true})"))["status"],
            "plan");
  EXPECT_EQ(Call("POST", "/madre/power/service/web/start", R"({"apply":"no"})").status, 400);
  EXPECT_THAT(docker_.calls(), IsEmpty());
  EXPECT_EQ(Json(Call("GET", "/madre/power/state"))["active_services"], json({"madre", "redis"}));
}

TEST_F(WindowRoutesTest, AThrottledOpenIsRefusedAuditedAndStartsNothing) {
  options_.throttle = {.cpu_pct = 70, .wait = false};
  cpu_busy_ = [] { return std::optional<double>(95.0); };
  Build();
  HttpResponse r = Call("POST", "/madre/power/window/open", R"({"services":["db"]})");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(audit_.records().back().action, "window.open");
  EXPECT_EQ(audit_.records().back().outcome, AuditOutcome::kRejected);
  EXPECT_THAT(docker_.calls(), IsEmpty());
}

TEST_F(WindowRoutesTest, AThrottledOpenWaitsOnTimersWithoutAWorkerAndThenOpens) {
  options_.throttle = {.cpu_pct = 70, .wait = true};
  int looks = 0;
  cpu_busy_ = [&looks] { return std::optional<double>(++looks < 2 ? 90.0 : 10.0); };
  Build();
  std::optional<HttpResponse> answer;
  router_->Handle(
      Request("POST", "/madre/power/window/open", R"({"services":["db"],"ttl_sec":60})"),
      [&answer](HttpResponse r) { answer = std::move(r); });
  Drain();  // every queued job ran to its end: none of them sleeps through the back-off
  EXPECT_FALSE(answer.has_value());
  EXPECT_THAT(timers_.delays(), ::testing::Contains(Seconds(1)));
  EXPECT_TRUE(router_->sampler().ticking());  // an open waits: container stats are sampled
  clock_.Advance(Seconds(1));
  timers_.FireDue();
  Drain();
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(answer->status, 200) << answer->body;
  EXPECT_EQ(Json(*answer)["state"], "open");
}

}  // namespace
}  // namespace madre
