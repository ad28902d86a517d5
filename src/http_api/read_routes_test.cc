#include "http_api/read_routes.h"

#include "http_api/http_api_test_support.h"

namespace madre {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

class ReadRoutesTest : public HttpApiTest {
 protected:
  std::string OpenWindow(const std::string& body) {
    HttpResponse r = Call("POST", "/madre/power/window/open", body);
    EXPECT_EQ(r.status, 200) << r.body;
    return Json(r)["window_id"];
  }
};

TEST_F(ReadRoutesTest, StateIsSoloMadreWithoutWindowsAndWindowedWithOne) {
  Build();
  json idle = Json(Call("GET", "/madre/power/state"));
  EXPECT_EQ(idle["policy"], "solo_madre");
  EXPECT_EQ(idle["window_id"], nullptr);
  const std::string id = OpenWindow(R"({"services":["web"],"ttl_sec":60})");
  json state = Json(Call("GET", "/madre/power/state"));
  EXPECT_EQ(state["policy"], "windowed");
  EXPECT_EQ(state["window_id"], id);
  EXPECT_EQ(state["active_services"], json({"db", "web"}));
  EXPECT_EQ(state["ttl_remaining_sec"], 60);
}

TEST_F(ReadRoutesTest, TheCachedStateShowsTheTtlFallingEachSecondAndAChangeInvalidatesIt) {
  Build();
  const std::string id = OpenWindow(R"({"services":["db"],"ttl_sec":60})");
  EXPECT_EQ(Json(Call("GET", "/madre/power/state"))["ttl_remaining_sec"], 60);
  const int builds = router_->reads().state_builds();
  clock_.Advance(Millis(400));  // same second: served from the cache
  EXPECT_EQ(Json(Call("GET", "/madre/power/state"))["ttl_remaining_sec"], 60);
  EXPECT_EQ(router_->reads().state_builds(), builds);
  clock_.Advance(Millis(600));  // a second later: rebuilt, one second less
  EXPECT_EQ(Json(Call("GET", "/madre/power/state"))["ttl_remaining_sec"], 59);
  EXPECT_EQ(router_->reads().state_builds(), builds + 1);
  // A change (hold) invalidates at once, within the same second.
  ASSERT_EQ(
      Call("POST", "/madre/power/windows/hold", R"({"window_id":")" + id + R"(","hold":true})")
          .status,
      200);
  json held = Json(Call("GET", "/madre/power/state"));
  EXPECT_EQ(held["hold"], true);
  EXPECT_EQ(held["ttl_remaining_sec"], nullptr);
  // Nothing counts down now: later reads are served from the cache.
  const int after_hold = router_->reads().state_builds();
  clock_.Advance(Seconds(5));
  Call("GET", "/madre/power/state");
  EXPECT_EQ(router_->reads().state_builds(), after_hold);
}

TEST_F(ReadRoutesTest, WindowsStatusShowsTheActiveWindowAndTheHistory) {
  Build();
  const std::string id = OpenWindow(R"({"services":["db"],"ttl_sec":60})");
  json status = Json(Call("GET", "/madre/power/windows/status"));
  EXPECT_EQ(status["active_window"]["window_id"], id);
  EXPECT_EQ(status["policy"], "windowed");
  ASSERT_EQ(Call("POST", "/madre/power/window/close").status, 200);
  HttpRequest limited = Request("GET", "/madre/power/windows/status");
  limited.query["limit"] = "5";
  json after = Json(*Send(limited));
  EXPECT_EQ(after["active_window"], nullptr);
  ASSERT_EQ(after["history"].size(), 1u) << after.dump();
  EXPECT_EQ(after["history"][0]["window_id"], id);
  HttpRequest bad = Request("GET", "/madre/power/windows/status");
  bad.query["limit"] = "many";
  EXPECT_EQ(Send(bad)->status, 400);
}

TEST_F(ReadRoutesTest, OneWindowIsFoundByIdAndAnUnknownIdIs404) {
  Build();
  const std::string id = OpenWindow(R"({"services":["db"],"ttl_sec":60})");
  EXPECT_EQ(Json(Call("GET", "/madre/power/windows/" + id))["window_id"], id);
  HttpResponse missing = Call("GET", "/madre/power/windows/nope");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(Json(missing)["detail"], "No window nope");
}

TEST_F(ReadRoutesTest, ServicesListTheAllowlistAlwaysOnAndEveryComposeService) {
  Build();
  json services = Json(Call("GET", "/madre/power/services"));
  EXPECT_EQ(services["allowlist"], json({"db", "web"}));
  EXPECT_EQ(services["always_on"], json({"madre", "redis"}));
  EXPECT_EQ(services["services"], json({"db", "redis", "web"}));
}

TEST_F(ReadRoutesTest, StatusShowsEachServiceAndTheWindowsHoldingIt) {
  Build();
  const std::string id = OpenWindow(R"({"services":["db"],"ttl_sec":60})");
  json status = Json(Call("GET", "/madre/power/status"));
  std::map<std::string, json> by_name;
  for (const auto& s : status["services"]) by_name[s["service"]] = s;
  EXPECT_EQ(by_name["db"]["state"], "running");
  EXPECT_EQ(by_name["db"]["window_ids"], json({id}));
  EXPECT_EQ(by_name["redis"]["always_on"], true);
  EXPECT_EQ(by_name["web"]["state"], "absent");
}

TEST_F(ReadRoutesTest, StatusShowsAServiceMadreGaveUpStoppingAsFailedWithTheError) {
  docker_.SetRunning("db", true);  // started by hand: madre stops it
  docker_.FailNext("stop", Status::Unavailable("stop refused"));
  Build();
  auto db_entry = [this]() -> json {
    const HttpResponse response = Call("GET", "/madre/power/status");
    const json status = Json(response);
    for (const auto& s : status["services"]) {
      if (s["service"] == "db") return s;
    }
    ADD_FAILURE() << "no db in " << response.status << " " << response.body;
    return json::object();
  };
  EXPECT_EQ(db_entry()["failed"], false) << "one failure is retried, not given up";
  for (int attempt = 0; attempt < 20 && db_entry()["failed"] == false; ++attempt) {
    docker_.FailNext("stop", Status::Unavailable("stop refused"));
    clock_.Advance(Seconds(600));  // past any back-off
    engine_->Tick();
    Drain();
  }
  json db = db_entry();
  EXPECT_EQ(db["failed"], true) << db.dump();
  EXPECT_NE(db["error"].get<std::string>().find("stop refused"), std::string::npos) << db.dump();
  EXPECT_EQ(db["state"], "running");
}

TEST_F(ReadRoutesTest, SoloMadreStatusNamesWhatRunsOutsideTheAlwaysOnSet) {
  Build();
  EXPECT_EQ(Json(Call("GET", "/madre/power/policy/solo_madre/status"))["policy_active"], true);
  OpenWindow(R"({"services":["db"],"ttl_sec":60})");
  json solo = Json(Call("GET", "/madre/power/policy/solo_madre/status"));
  EXPECT_EQ(solo["policy_active"], false);
  EXPECT_EQ(solo["unexpected_services"], json({"db"}));
  EXPECT_EQ(solo["expected_services"], json({"madre", "redis"}));
}

TEST_F(ReadRoutesTest, TheAuditIsReadWithLimitAndAfter) {
  Build();
  OpenWindow(R"({"services":["db"],"ttl_sec":60})");
  json audit = Json(Call("GET", "/madre/power/audit"));
  ASSERT_FALSE(audit["records"].empty());
  HttpRequest bad = Request("GET", "/madre/power/audit");
  bad.query["limit"] = "0";
  HttpResponse r = *Send(bad);
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(Json(r)["detail"].get<std::string>(), HasSubstr("limit must be an integer"));
}

}  // namespace
}  // namespace madre
