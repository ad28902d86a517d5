#include "cli/render.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace madre::cli {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

json SampleWindow() {
  return json::parse(R"({
    "window_id": "w-7f3a", "kind": "client", "state": "open", "mode": "ttl", "hold": false,
    "services": ["hermes", "switch"], "effective_services": ["switch", "hermes"],
    "reason": "deploy check", "created_at": "2026-11-24T10:00:00.000000Z",
    "opened_at": "2026-11-24T10:00:03.500000Z", "deadline": "2026-11-24T10:05:03.500000Z",
    "ttl_remaining_sec": 270, "closed_at": null, "close_reason": null,
    "services_status": {
      "hermes": {"state": "running", "health": "healthy", "restart_count": 0, "error": ""},
      "switch": {"state": "failed", "health": "unhealthy", "restart_count": 3, "error": "crashloop: exit 1"}
    }})");
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

TEST(RenderTableTest, AlignsColumnsWithoutTrailingBlanks) {
  std::string t = RenderTable({"ID", "STATE"}, {{"abc", "open"}, {"a", "closed"}});
  EXPECT_EQ(t,
            "ID   STATE\n"
            "abc  open\n"
            "a    closed\n");
}

TEST(RenderTest, HealthSaysWhetherTheStartUpReconcileIsDone) {
  EXPECT_EQ(RenderHealth({{"module", "madre"}, {"status", "ok"}, {"version", "0.2.0"}}),
            "madre ok (version 0.2.0)\n");
  EXPECT_EQ(RenderHealth({{"module", "madre"}, {"status", "ok"}, {"ready", true}}),
            "madre ok, ready\n");
  EXPECT_EQ(RenderHealth({{"module", "madre"}, {"status", "ok"}, {"ready", false}}),
            "madre ok, start-up reconcile still running\n");
}

TEST(RenderTest, WindowsTableHasTheDocumentedColumns) {
  json hold = SampleWindow();
  hold["window_id"] = "w-2";
  hold["hold"] = true;
  hold["mode"] = "hold";
  hold["ttl_remaining_sec"] = nullptr;
  hold["kind"] = "service_hold";
  std::vector<std::string> lines = Lines(RenderWindowsTable(json::array({SampleWindow(), hold})));
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], "ID      KIND          STATE  MODE  SERVICES       TTL LEFT  REASON");
  EXPECT_EQ(lines[1], "w-7f3a  client        open   ttl   hermes,switch  4m30s     deploy check");
  EXPECT_EQ(lines[2], "w-2     service_hold  open   hold  hermes,switch  hold      deploy check");
}

TEST(RenderTest, WindowsStatusShowsHistoryOnlyWhenAsked) {
  json closed = SampleWindow();
  closed["window_id"] = "w-old";
  closed["state"] = "closed";
  closed["close_reason"] = "ttl_expired";
  closed["closed_at"] = "2026-11-24T09:00:00.000000Z";
  json body = {{"active_window", "w-7f3a"},
               {"policy", "windowed"},
               {"windows", json::array({SampleWindow()})},
               {"history", json::array({closed})}};
  std::string without = RenderWindowsStatus(body, false);
  EXPECT_THAT(without, HasSubstr("w-7f3a"));
  EXPECT_THAT(without, Not(HasSubstr("w-old")));
  std::string with = RenderWindowsStatus(body, true);
  EXPECT_THAT(with, HasSubstr("w-old"));
  EXPECT_THAT(with, HasSubstr("ttl_expired"));
  EXPECT_THAT(with, HasSubstr("2026-11-24T09:00:00Z"));
}

TEST(RenderTest, NoOpenWindowsSaysSo) {
  EXPECT_THAT(RenderWindowsStatus({{"windows", json::array()}, {"policy", "solo_madre"}}, false),
              HasSubstr("No open windows."));
}

TEST(RenderTest, OneWindowShowsPerServiceStatus) {
  std::string text = RenderWindow(SampleWindow());
  EXPECT_THAT(text, HasSubstr("Window:       w-7f3a"));
  EXPECT_THAT(text, HasSubstr("TTL left:     4m30s"));
  EXPECT_THAT(text, HasSubstr("SERVICE  STATE    HEALTH     RESTARTS  ERROR"));
  EXPECT_THAT(text, HasSubstr("switch   failed   unhealthy  3         crashloop: exit 1"));
}

TEST(RenderTest, StatusTable) {
  json body = json::parse(R"({"status":"ok","services":[
    {"service":"redis","state":"running","health":"healthy","container":"vx11-redis-1","restart_count":0,"window_ids":[]},
    {"service":"switch","state":"running","health":"starting","ready":true,"container":"vx11-switch-1","restart_count":2,"window_ids":["w1","w2"]}]})");
  std::vector<std::string> lines = Lines(RenderServiceStatus(body));
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], "SERVICE  STATE    HEALTH    READY  RESTARTS  WINDOWS");
  EXPECT_EQ(lines[1], "redis    running  healthy   -      0         -")
      << "no ready: an older madre";
  EXPECT_EQ(lines[2], "switch   running  starting  yes    2         w1,w2");
}

TEST(RenderTest, AuditRowsAndHeaderlessFollowMode) {
  json records = json::parse(R"([
    {"seq":41,"time":"2026-11-24T10:00:00.123456Z","actor":"127.0.0.1","action":"window.open",
     "window_id":"w1","services":["switch"],"outcome":"ok","detail":""}])");
  std::string with = RenderAudit(records);
  EXPECT_THAT(with, HasSubstr("SEQ"));
  EXPECT_THAT(with, HasSubstr("41   2026-11-24T10:00:00Z  127.0.0.1  window.open"));
  std::string without = RenderAudit(records, false);
  EXPECT_THAT(without, Not(HasSubstr("SEQ")));
  EXPECT_THAT(without, HasSubstr("window.open"));
}

TEST(RenderTest, StateAndSoloMadre) {
  json state = {{"policy", "windowed"},
                {"active_services", {"madre", "redis", "switch"}},
                {"windows", json::array({SampleWindow()})}};
  EXPECT_THAT(RenderState(state), HasSubstr("Policy: windowed"));
  EXPECT_THAT(RenderState(state), HasSubstr("w-7f3a"));
  json solo = {{"status", "ok"},
               {"policy_active", false},
               {"running_services", {"redis", "switch"}},
               {"expected_services", {"madre", "redis"}}};
  EXPECT_THAT(RenderSoloMadreStatus(solo), HasSubstr("active: no"));
  EXPECT_THAT(RenderSoloMadreStatus(solo), HasSubstr("Running:  redis, switch"));
}

TEST(RenderTest, WaitProgressShowsEachServiceAndTheClock) {
  std::vector<std::string> lines = RenderWaitProgress(SampleWindow(), Millis(4500));
  ASSERT_EQ(lines.size(), 3u);
  // effective_services order (dependencies first).
  EXPECT_THAT(lines[0], HasSubstr("switch"));
  EXPECT_THAT(lines[0], HasSubstr("failed (failed, health unhealthy): crashloop: exit 1"));
  EXPECT_THAT(lines[1], HasSubstr("hermes"));
  EXPECT_THAT(lines[1], HasSubstr("ready"));
  EXPECT_EQ(lines[2], "window w-7f3a open, 4.5s elapsed, TTL left 4m30s");
}

TEST(RenderTest, ClosedWindowHasNoTtlLeft) {
  json w = SampleWindow();
  w["state"] = "closed";
  EXPECT_EQ(TtlLeft(w), "-");
}

}  // namespace
}  // namespace madre::cli
