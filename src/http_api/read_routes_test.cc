#include "http_api/read_routes.h"

#include <algorithm>
#include <memory>

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

  void Hold(const std::string& id, bool hold) {
    const std::string body =
        R"({"window_id":")" + id + R"(","hold":)" + (hold ? "true" : "false") + "}";
    HttpResponse r = Call("POST", "/madre/power/windows/hold", body);
    EXPECT_EQ(r.status, 200) << r.body;
  }

  // The views served from a cached body, by path.
  static constexpr const char* kState = "/madre/power/state";
  static constexpr const char* kStatus = "/madre/power/status";
  static constexpr const char* kSolo = "/madre/power/policy/solo_madre/status";
  static constexpr const char* kServices = "/madre/power/services";
  static std::vector<std::string> CachedPaths() { return {kState, kStatus, kSolo, kServices}; }

  // How many times the body of `path` was built.
  int Builds(const std::string& path) const {
    const ReadRoutes::Caches& caches = router_->reads().caches();
    if (path == kState) return caches.state.builds();
    if (path == kStatus) return caches.status.builds();
    if (path == kSolo) return caches.solo_madre.builds();
    return caches.services.builds();
  }

  // Reads each of `paths`, then drops the caches and reads them again: the bodies served must
  // be the ones a fresh build gives (and the second reads must really be builds).
  void ExpectServedEqualsFresh(const std::vector<std::string>& paths, const std::string& step) {
    std::map<std::string, HttpResponse> served;
    for (const std::string& path : paths) served[path] = Call("GET", path);
    router_->OnEngineChange();
    for (const std::string& path : paths) {
      const int builds = Builds(path);
      const HttpResponse fresh = Call("GET", path);
      EXPECT_EQ(served[path].status, 200) << step << " " << path;
      EXPECT_EQ(served[path].body, fresh.body) << step << " " << path;
      EXPECT_EQ(Builds(path), builds + 1) << step << " " << path;
    }
  }

  // Reads `path` without running any queued job: a view of the engine's state answers at once.
  // (An answer that waits is dropped when it comes.)
  std::optional<HttpResponse> ReadNow(const std::string& path) {
    auto answer = std::make_shared<std::optional<HttpResponse>>();
    router_->Handle(Request("GET", path), [answer](HttpResponse r) { *answer = std::move(r); });
    return *answer;
  }
};

DockerEvent StartEvent(const std::string& service, TimePoint time) {
  DockerEvent event;
  event.action = "start";
  event.service = service;
  event.container_id = "id-" + service;
  event.time = time;
  return event;
}

TEST_F(ReadRoutesTest, StateIsSoloMadreWithoutWindowsAndWindowedWithOne) {
  Build();
  json idle = Json(Call("GET", "/madre/power/state"));
  EXPECT_EQ(idle["policy"], "solo_madre");
  EXPECT_EQ(idle["window_id"], nullptr);
  // The always-on services that run, as the original listed them (madre is this daemon).
  EXPECT_EQ(idle["active_services"], json({"madre", "redis"}));
  const std::string id = OpenWindow(R"({"services":["web"],"ttl_sec":60})");
  json state = Json(Call("GET", "/madre/power/state"));
  EXPECT_EQ(state["policy"], "windowed");
  EXPECT_EQ(state["window_id"], id);
  EXPECT_EQ(state["active_services"], json({"db", "madre", "redis", "web"}));
  EXPECT_EQ(state["ttl_remaining_sec"], 60);
}

TEST_F(ReadRoutesTest, TheCachedStateShowsTheTtlFallingEachSecondAndAChangeInvalidatesIt) {
  Build();
  const std::string id = OpenWindow(R"({"services":["db"],"ttl_sec":60})");
  EXPECT_EQ(Json(Call("GET", "/madre/power/state"))["ttl_remaining_sec"], 60);
  const int builds = router_->reads().caches().state.builds();
  clock_.Advance(Millis(400));  // same second: served from the cache
  EXPECT_EQ(Json(Call("GET", "/madre/power/state"))["ttl_remaining_sec"], 60);
  EXPECT_EQ(router_->reads().caches().state.builds(), builds);
  clock_.Advance(Millis(600));  // a second later: rebuilt, one second less
  EXPECT_EQ(Json(Call("GET", "/madre/power/state"))["ttl_remaining_sec"], 59);
  EXPECT_EQ(router_->reads().caches().state.builds(), builds + 1);
  // A change (hold) invalidates at once, within the same second.
  Hold(id, true);
  json held = Json(Call("GET", "/madre/power/state"));
  EXPECT_EQ(held["hold"], true);
  EXPECT_EQ(held["ttl_remaining_sec"], nullptr);
  // Nothing counts down now: later reads are served from the cache.
  const int after_hold = router_->reads().caches().state.builds();
  clock_.Advance(Seconds(5));
  Call("GET", "/madre/power/state");
  EXPECT_EQ(router_->reads().caches().state.builds(), after_hold);
}

TEST_F(ReadRoutesTest, EachCachedViewIsBuiltOnceForManyReadsWithoutAChange) {
  Build();
  OpenWindow(R"({"services":["db"],"ttl_sec":60})");
  for (const std::string& path : CachedPaths()) {
    const std::string first = Call("GET", path).body;
    const int builds = Builds(path);
    EXPECT_GE(builds, 1) << path;
    for (int i = 0; i < 5; ++i) EXPECT_EQ(Call("GET", path).body, first) << path;
    EXPECT_EQ(Builds(path), builds) << path;
  }
}

TEST_F(ReadRoutesTest, AnEngineChangeRebuildsEveryCachedView) {
  Build();
  for (const std::string& path : CachedPaths()) Call("GET", path);
  std::map<std::string, int> before;
  for (const std::string& path : CachedPaths()) before[path] = Builds(path);
  OpenWindow(R"({"services":["db"],"ttl_sec":60})");
  for (const std::string& path : CachedPaths()) {
    Call("GET", path);
    EXPECT_GT(Builds(path), before[path]) << path;
  }
  // What the open changed shows at once.
  EXPECT_EQ(Json(Call("GET", kState))["policy"], "windowed");
  EXPECT_EQ(Json(Call("GET", kSolo))["unexpected_services"], json({"db"}));
  EXPECT_THAT(Call("GET", kStatus).body, HasSubstr(R"("service":"db","state":"running")"));
}

TEST_F(ReadRoutesTest, AnObservationAfterADockerEventRebuildsTheStatusViews) {
  Build();
  EXPECT_EQ(Json(Call("GET", kSolo))["policy_active"], true);
  const int builds = Builds(kSolo);
  docker_.SetRunning("web", true);  // by hand; the event makes madre observe
  engine_->OnDockerEvent(StartEvent("web", clock_.Now()));
  workers_.RunAll();  // the observation: web runs
  loop_.RunAll();     // its result (madre's stop of web is queued, not run)
  std::optional<HttpResponse> solo = ReadNow(kSolo);
  ASSERT_TRUE(solo.has_value()) << "answered from the engine's observation, at once";
  EXPECT_EQ(Json(*solo)["unexpected_services"], json({"web"}));
  EXPECT_EQ(Builds(kSolo), builds + 1);
  std::optional<HttpResponse> status = ReadNow(kStatus);
  ASSERT_TRUE(status.has_value());
  EXPECT_THAT(status->body, HasSubstr(R"("service":"web","state":"running")")) << status->body;
  // madre stops web: the views follow.
  Drain();
  EXPECT_EQ(Json(Call("GET", kSolo))["unexpected_services"], json::array());
  ExpectServedEqualsFresh({kStatus, kSolo}, "web stopped");
}

TEST_F(ReadRoutesTest, AnAlwaysOnServiceThatStopsLeavesActiveServicesAfterTheObservation) {
  Build();
  EXPECT_EQ(Json(Call("GET", kState))["active_services"], json({"madre", "redis"}));
  const int builds = Builds(kState);
  docker_.SetRunning("redis", false);  // redis dies; the event makes madre observe
  DockerEvent die = StartEvent("redis", clock_.Now());
  die.action = "die";
  die.exit_code = 1;
  engine_->OnDockerEvent(die);
  workers_.RunAll();  // the observation: redis is not running
  loop_.RunAll();     // its result reaches the engine (madre starting redis again is not run)
  std::optional<HttpResponse> state = ReadNow(kState);
  ASSERT_TRUE(state.has_value());
  EXPECT_EQ(Json(*state)["active_services"], json({"madre"})) << state->body;
  EXPECT_GT(Builds(kState), builds) << "the observation rebuilt the cached body";
}

TEST_F(ReadRoutesTest, TimeAloneRebuildsOnlyTheStateWhoseTtlCountsDown) {
  Build();
  OpenWindow(R"({"services":["db"],"ttl_sec":60})");
  for (const std::string& path : CachedPaths()) Call("GET", path);
  std::map<std::string, int> before;
  for (const std::string& path : CachedPaths()) before[path] = Builds(path);
  clock_.Advance(Seconds(3));  // past whole-second boundaries, no engine change
  for (const std::string& path : CachedPaths()) Call("GET", path);
  EXPECT_EQ(Builds(kState), before[kState] + 1);
  EXPECT_EQ(Builds(kStatus), before[kStatus]);
  EXPECT_EQ(Builds(kSolo), before[kSolo]);
  EXPECT_EQ(Builds(kServices), before[kServices]);
  ExpectServedEqualsFresh(CachedPaths(), "3 s later");
  EXPECT_EQ(Json(Call("GET", kState))["ttl_remaining_sec"], 57);
}

TEST_F(ReadRoutesTest, WithoutACurrentObservationTheStatusViewsAskDockerAndAreNotCached) {
  Build();
  Call("GET", kStatus);
  Call("GET", kSolo);
  const int status_builds = Builds(kStatus);
  const int solo_builds = Builds(kSolo);
  engine_->OnEventsConnected(false);  // events lost: the observation may be stale
  Drain();
  docker_.SetRunning("web", true);  // unseen by the engine: no event
  docker_.RecordLists();
  auto lists = [this] {
    const std::vector<std::string> calls = docker_.calls();
    return std::count(calls.begin(), calls.end(), "list");
  };
  for (int i = 0; i < 2; ++i) {
    EXPECT_FALSE(ReadNow(kStatus).has_value()) << "waits for Docker's listing";
    Drain();
    EXPECT_THAT(Call("GET", kStatus).body, HasSubstr(R"("service":"web","state":"running")"));
    EXPECT_EQ(Json(Call("GET", kSolo))["unexpected_services"], json({"web"}));
  }
  EXPECT_EQ(lists(), 6) << "each read asked Docker";
  EXPECT_EQ(Builds(kStatus), status_builds);
  EXPECT_EQ(Builds(kSolo), solo_builds);
  docker_.FailNext("list", Status::Unavailable("docker is away"));
  HttpResponse failed = Call("GET", kStatus);
  EXPECT_EQ(failed.status, 503);
  EXPECT_THAT(Json(failed)["detail"].get<std::string>(), HasSubstr("docker is away"));
  // Events back: the engine observes again, and the views come from it (cached) again.
  engine_->OnEventsConnected(true);
  Drain();
  const auto lists_before = lists();
  ExpectServedEqualsFresh({kStatus, kSolo}, "events back");
  EXPECT_EQ(lists(), lists_before) << "answered from the engine's observation";
  EXPECT_GT(Builds(kStatus), status_builds);
}

TEST_F(ReadRoutesTest, CachedBodiesEqualFreshlyBuiltOnesThroughAWindowsLife) {
  Build();
  auto check = [this](const std::string& step) { ExpectServedEqualsFresh(CachedPaths(), step); };
  check("idle");
  const std::string id = OpenWindow(R"({"services":["web"],"ttl_sec":3})");
  check("opened");
  clock_.Advance(Millis(400));
  check("same second");
  clock_.Advance(Millis(600));
  check("next second");
  Hold(id, true);
  check("held");
  clock_.Advance(Millis(1500));
  check("held, later");
  Hold(id, false);
  check("released");
  clock_.Advance(Millis(2500));
  check("ttl almost out");
  clock_.Advance(Seconds(1));
  check("ttl out, not yet ticked");
  engine_->Tick();
  Drain();
  check("expired");
  EXPECT_EQ(Json(Call("GET", kState))["policy"], "solo_madre");
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

TEST_F(ReadRoutesTest, FlowsListWhatTheServicesDeclareAndNameAnUnknownService) {
  Build();
  HttpResponse all = Call("GET", "/madre/power/flows");
  ASSERT_EQ(all.status, 200);
  EXPECT_EQ(Json(all), json({{"flows", json::array()},
                             {"errors", json::array()},
                             {"health_urls", json::object()}}));  // the model has no labels
  HttpRequest db = Request("GET", "/madre/power/flows");
  db.query["service"] = "db";
  EXPECT_EQ(Send(db)->status, 200);
  HttpRequest nope = Request("GET", "/madre/power/flows");
  nope.query["service"] = "nope";
  HttpResponse unknown = *Send(nope);
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(Json(unknown)["detail"], "no service nope in the compose project");
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

// VX11_PROVIDER=swarm: an entry is a service with its replicas and their nodes; a service Swarm
// still schedules (desired 1, running 0) is not running for SOLO_MADRE.
TEST_F(ReadRoutesTest, StatusShowsASwarmServicesReplicasAndNodes) {
  docker_.SetReplicas(
      "db", ServiceReplicas{.desired = 2, .running = 2, .nodes = {"n1", "n2"}, .unplaceable = ""});
  docker_.SetReplicas("redis",
                      ServiceReplicas{.desired = 1, .running = 0, .nodes = {}, .unplaceable = ""});
  Build();
  OpenWindow(R"({"services":["db"],"ttl_sec":60})");
  json status = Json(Call("GET", "/madre/power/status"));
  std::map<std::string, json> by_name;
  for (const auto& s : status["services"]) by_name[s["service"]] = s;
  EXPECT_EQ(by_name["db"]["desired"], 2);
  EXPECT_EQ(by_name["db"]["running"], 2);
  EXPECT_EQ(by_name["db"]["nodes"], json({"n1", "n2"}));
  EXPECT_EQ(by_name["redis"]["running"], 0);
  EXPECT_EQ(by_name["db"]["ready"], true);
  // Its tasks went with their node: rescheduled, not ready although madre found it ready.
  EXPECT_EQ(by_name["redis"]["ready"], false);
  EXPECT_FALSE(by_name["web"].contains("desired"));  // no container: absent, no replicas
  json solo = Json(Call("GET", "/madre/power/policy/solo_madre/status"));
  EXPECT_EQ(solo["running_services"], json({"db", "madre"}));
  EXPECT_EQ(solo["missing_services"], json({"redis"}));
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
  EXPECT_EQ(solo["idled_services"], json::array()) << "none idled (cpu_idle)";
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
