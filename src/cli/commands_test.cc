#include "cli/commands.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "base/sha256.h"
#include "cli/cli_test_support.h"

namespace madre::cli {
namespace {

using nlohmann::json;
using testing::FakeWorld;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

json Window(const std::string& state, const std::string& switch_state,
            const std::string& hermes_state) {
  return {{"window_id", "w1"},
          {"state", state},
          {"mode", "ttl"},
          {"hold", false},
          {"services", {"switch", "hermes"}},
          {"reason", "manual"},
          {"ttl_remaining_sec", 300},
          {"services_status",
           {{"switch", {{"state", switch_state}, {"health", ""}, {"restart_count", 0}}},
            {"hermes", {{"state", hermes_state}, {"health", ""}, {"restart_count", 0}}}}}};
}

class CommandsTest : public ::testing::Test {
 protected:
  int Run(std::vector<std::string> args) {
    CLI::App app{"madre test"};
    int exit_code = -1;
    RegisterCommands(app, &exit_code, world_.Env());
    app.require_subcommand(1);
    std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 wants it reversed
    try {
      app.parse(reversed);
    } catch (const CLI::ParseError& e) {
      return HandleParseError(app, e, world_.out, world_.err);
    }
    return exit_code;
  }

  FakeWorld world_;
};

TEST_F(CommandsTest, OpenSendsServicesTtlAndReason) {
  world_.madre->OnJson("POST", "/madre/power/windows/open", 200,
                       Window("opening", "pending", "pending"));
  EXPECT_EQ(Run({"open", "switch", "hermes", "--ttl", "5m", "--reason", "deploy"}), kExitOk);
  ASSERT_EQ(world_.madre->calls.size(), 1u);
  json body = world_.madre->calls[0].Json();
  EXPECT_EQ(body["services"], json({"switch", "hermes"}));
  EXPECT_EQ(body["ttl_sec"], 300);
  EXPECT_EQ(body["hold"], false);
  EXPECT_EQ(body["wait"], false);
  EXPECT_EQ(body["reason"], "deploy");
  EXPECT_THAT(world_.out.str(), HasSubstr("Window w1 opening"));
}

TEST_F(CommandsTest, DurationsAcceptSecondsMinutesHoursAndPlainNumbers) {
  world_.madre->OnJson("POST", "/madre/power/windows/open", 200, Window("opening", "", ""));
  world_.madre->OnJson("POST", "/madre/power/windows/extend", 200, Window("open", "", ""));
  EXPECT_EQ(Run({"open", "switch", "--ttl", "90s"}), kExitOk);
  EXPECT_EQ(Run({"open", "switch", "--ttl", "1h"}), kExitOk);
  EXPECT_EQ(Run({"open", "switch", "--ttl", "45"}), kExitOk);
  EXPECT_EQ(Run({"extend", "w1", "10m"}), kExitOk);
  auto opens = world_.madre->CallsTo("POST", "/madre/power/windows/open");
  ASSERT_EQ(opens.size(), 3u);
  EXPECT_EQ(opens[0].Json()["ttl_sec"], 90);
  EXPECT_EQ(opens[1].Json()["ttl_sec"], 3600);
  EXPECT_EQ(opens[2].Json()["ttl_sec"], 45);
  auto extends = world_.madre->CallsTo("POST", "/madre/power/windows/extend");
  ASSERT_EQ(extends.size(), 1u);
  EXPECT_EQ(extends[0].Json(), json({{"window_id", "w1"}, {"ttl_sec", 600}}));
}

TEST_F(CommandsTest, OpenWithCommaSeparatedServices) {
  world_.madre->OnJson("POST", "/madre/power/windows/open", 200, Window("opening", "", ""));
  EXPECT_EQ(Run({"open", "switch,hermes"}), kExitOk);
  EXPECT_EQ(world_.madre->calls[0].Json()["services"], json({"switch", "hermes"}));
  EXPECT_EQ(world_.madre->calls[0].Json()["ttl_sec"], 300);  // 5m: no --ttl is not a hold
}

TEST_F(CommandsTest, HoldSendsNullTtl) {
  world_.madre->OnJson("POST", "/madre/power/windows/open", 200, Window("opening", "", ""));
  EXPECT_EQ(Run({"open", "switch", "--hold"}), kExitOk);
  json body = world_.madre->calls[0].Json();
  EXPECT_TRUE(body["ttl_sec"].is_null());
  EXPECT_EQ(body["hold"], true);
}

TEST_F(CommandsTest, HoldAndTtlTogetherIsAUsageError) {
  EXPECT_EQ(Run({"open", "switch", "--hold", "--ttl", "5m"}), kExitUsage);
  EXPECT_THAT(world_.madre->calls, IsEmpty());
}

TEST_F(CommandsTest, MissingOrBadArgumentsAreUsageErrors) {
  EXPECT_EQ(Run({"open"}), kExitUsage);
  EXPECT_EQ(Run({"open", "switch", "--ttl", "soon"}), kExitUsage);
  EXPECT_EQ(Run({"extend", "w1"}), kExitUsage);
  EXPECT_EQ(Run({"extend", "w1", "1h30"}), kExitUsage);
  EXPECT_EQ(Run({"hold", "w1"}), kExitUsage);
  EXPECT_EQ(Run({"hold", "w1", "maybe"}), kExitUsage);
  EXPECT_EQ(Run({"window"}), kExitUsage);
  EXPECT_EQ(Run({"solo-madre", "nuke"}), kExitUsage);
  EXPECT_EQ(Run({"conductor"}), kExitUsage);  // --reason is required
  EXPECT_EQ(Run({"conductor", "--reason", "x", "--force-fail", "nope"}), kExitUsage);
  EXPECT_EQ(Run({"state", "--timeout", "never"}), kExitUsage);
  EXPECT_EQ(Run({"state", "--token", "a", "--token-file", "/tmp/b"}), kExitUsage);
  EXPECT_EQ(Run({"bogus"}), kExitUsage);
  EXPECT_THAT(world_.madre->calls, IsEmpty());
}

TEST_F(CommandsTest, HelpIsNotAnError) {
  EXPECT_EQ(Run({"--help"}), kExitOk);
  EXPECT_THAT(world_.out.str(), HasSubstr("Exit codes:"));
  EXPECT_THAT(world_.out.str(), HasSubstr("8  cannot connect to madre"));
}

TEST_F(CommandsTest, TokenHashPrintsTheSha256OfTheTokenOnStdinWithoutCallingMadre) {
  world_.in.str("abc\n");  // the trailing newline of `echo abc | madre token hash` is dropped
  EXPECT_EQ(Run({"token", "hash"}), kExitOk);
  EXPECT_EQ(world_.out.str(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\n");
  EXPECT_THAT(world_.madre->calls, IsEmpty());
}

TEST_F(CommandsTest, TokenHashReadsATokenFileAndRefusesAnEmptyToken) {
  const std::filesystem::path path =
      std::filesystem::path(::testing::TempDir()) / "madre_token_hash_test.token";
  {
    std::ofstream file(path);
    file << "  from-a-file \r\n";
  }
  EXPECT_EQ(Run({"token", "hash", "--token-file", path.string()}), kExitOk);
  EXPECT_EQ(world_.out.str(), Sha256Hex("from-a-file") + "\n");
  std::filesystem::remove(path);
  EXPECT_EQ(Run({"token", "hash", "--token-file", path.string()}), kExitError);
  EXPECT_THAT(world_.err.str(), HasSubstr("cannot read " + path.string()));
  world_.in.str(" \n");
  EXPECT_EQ(Run({"token", "hash"}), kExitUsage);
  EXPECT_THAT(world_.err.str(), HasSubstr("no token on stdin"));
}

TEST_F(CommandsTest, TokenHashHelpShowsTheTokensFile) {
  EXPECT_EQ(Run({"token", "hash", "--help"}), kExitOk);
  EXPECT_THAT(world_.out.str(), HasSubstr("[tokens.ci]"));
  EXPECT_THAT(world_.out.str(), HasSubstr("token_sha256 = "));
  EXPECT_THAT(world_.out.str(), HasSubstr("viewer | submitter | operator | admin"));
}

TEST_F(CommandsTest, HoldOnOffAndClose) {
  world_.madre->OnJson("POST", "/madre/power/windows/hold", 200,
                       {{"window_id", "w1"}, {"hold", true}});
  world_.madre->OnJson(
      "POST", "/madre/power/windows/close", 200,
      {{"window_id", "w1"}, {"state", "closed"}, {"services_stopped", {"switch"}}});
  EXPECT_EQ(Run({"hold", "w1", "on"}), kExitOk);
  EXPECT_EQ(Run({"close"}), kExitOk);
  EXPECT_EQ(Run({"close", "w1"}), kExitOk);
  EXPECT_EQ(world_.madre->calls[0].Json(), json({{"window_id", "w1"}, {"hold", true}}));
  EXPECT_EQ(world_.madre->calls[1].Json(), json::object());
  EXPECT_EQ(world_.madre->calls[2].Json(), json({{"window_id", "w1"}}));
  EXPECT_THAT(world_.out.str(), HasSubstr("Window w1 hold on"));
  EXPECT_THAT(world_.out.str(), HasSubstr("Window w1 closed; stopped switch"));
}

json PendingIntent() {
  return {{"intent_id", "intent-1"},
          {"state", "pending"},
          {"status", "pending"},
          {"type", "window"},
          {"source", "hormiguero"},
          {"requested_by", "default"},
          {"created_at", "2026-12-02T12:00:00.000000Z"},
          {"decided_by", nullptr},
          {"reason", nullptr},
          {"payload", {{"ttl_sec", 60}}}};
}

TEST_F(CommandsTest, IntentsListsWithFiltersInTheQuery) {
  world_.madre->OnJson("GET", "/madre/intents", 200,
                       {{"intents", json::array({PendingIntent()})}, {"count", 1}});
  EXPECT_EQ(Run({"intents", "--state", "pending", "--source", "hormiguero", "--type", "window"}),
            kExitOk);
  ASSERT_EQ(world_.madre->calls.size(), 1u);
  EXPECT_EQ(world_.madre->calls[0].path,
            "/madre/intents?limit=50&state=pending&source=hormiguero&type=window");
  EXPECT_THAT(world_.out.str(), HasSubstr("REQUESTED BY"));
  EXPECT_THAT(world_.out.str(), HasSubstr("intent-1"));
  EXPECT_EQ(Run({"intents", "--state", "running"}), kExitUsage) << "not a state";
}

TEST_F(CommandsTest, IntentDecisionsPostTheReason) {
  json approved = PendingIntent();
  approved["state"] = "approved";
  approved["decided_by"] = "default@127.0.0.1";
  approved["reason"] = "fine";
  world_.madre->OnJson("POST", "/madre/intents/intent-1/approve", 200, approved);
  EXPECT_EQ(Run({"intent", "approve", "intent-1", "--reason", "fine"}), kExitOk);
  ASSERT_EQ(world_.madre->calls.size(), 1u);
  EXPECT_EQ(world_.madre->calls[0].Json(), json({{"reason", "fine"}}));
  EXPECT_THAT(world_.out.str(), HasSubstr("Intent intent-1 approved"));
  EXPECT_THAT(world_.out.str(), HasSubstr("decided by: default@127.0.0.1"));
  world_.madre->OnJson("POST", "/madre/intents/intent-1/reject", 409,
                       {{"code", "conflict"}, {"detail", "intent intent-1 is approved"}});
  EXPECT_EQ(Run({"intent", "reject", "intent-1"}), kExitConflict);
  world_.madre->OnJson("GET", "/madre/intents/intent-1", 200, PendingIntent());
  EXPECT_EQ(Run({"intent", "show", "intent-1"}), kExitOk);
  EXPECT_THAT(world_.out.str(), HasSubstr("payload: {\"ttl_sec\":60}"));
  EXPECT_EQ(Run({"intent", "cancel"}), kExitUsage) << "the id is required";
}

json FailedBuild() {
  return {{"id", 7},
          {"intent_id", "intent-1"},
          {"service", "switch"},
          {"outcome", "failed"},
          {"started_at", "2026-01-02T10:00:00.000000Z"},
          {"finished_at", "2026-01-02T10:00:42.500000Z"},
          {"duration_ms", 42500},
          {"image_before", "sha256:0123456789abcdef0123"},
          {"image_after", "sha256:0123456789abcdef0123"},
          {"error", "compose build exited 1"},
          {"log_path", "/var/lib/madre/builds/7.log"}};
}

TEST_F(CommandsTest, BuildsListsWithServiceAndLimitInTheQuery) {
  json running = FailedBuild();
  running["id"] = 8;
  running["outcome"] = "running";
  running["finished_at"] = nullptr;
  running["image_before"] = "";
  running["image_after"] = "";
  running["error"] = nullptr;
  world_.madre->OnJson("GET", "/madre/builds", 200,
                       {{"builds", json::array({running, FailedBuild()})}, {"count", 2}});
  EXPECT_EQ(Run({"builds", "--service", "switch", "--limit", "5"}), kExitOk);
  ASSERT_EQ(world_.madre->calls.size(), 1u);
  EXPECT_EQ(world_.madre->calls[0].path, "/madre/builds?limit=5&service=switch");
  const std::string out = world_.out.str();
  EXPECT_THAT(out, HasSubstr("ID  SERVICE  OUTCOME"));
  EXPECT_THAT(out, HasSubstr("42.5s"));
  EXPECT_THAT(out, HasSubstr("0123456789ab -> 0123456789ab"));
  EXPECT_THAT(out, HasSubstr("compose build exited 1"));
  EXPECT_THAT(out, HasSubstr("none -> ?")) << "a running build has no image after yet";
  EXPECT_EQ(Run({"builds", "--limit", "0"}), kExitUsage);
}

TEST_F(CommandsTest, BuildsSaysSoWhenThereAreNoneAndPrintsJsonOnRequest) {
  world_.madre->OnJson("GET", "/madre/builds", 200, {{"builds", json::array()}, {"count", 0}});
  EXPECT_EQ(Run({"builds"}), kExitOk);
  EXPECT_EQ(world_.madre->calls[0].path, "/madre/builds?limit=50");
  EXPECT_EQ(world_.out.str(), "No builds.\n");
  world_.out.str("");
  EXPECT_EQ(Run({"builds", "--json"}), kExitOk);
  EXPECT_EQ(json::parse(world_.out.str()), json({{"builds", json::array()}, {"count", 0}}));
}

TEST_F(CommandsTest, DiagnosePrintsTheCauseTheEvidenceAndTheRemediations) {
  world_.madre->OnJson("GET", "/madre/autofix/diagnose/switch", 200,
                       {{"service", "switch"},
                        {"failure", "crash_loop"},
                        {"cause", "dependency_unavailable"},
                        {"confidence", 0.8},
                        {"evidence", {"dependency redis: exited"}},
                        {"remediations",
                         {{{"kind", "start_dependency"},
                           {"risk", "low"},
                           {"target", "redis"},
                           {"text", "start redis (a dependency of switch), then switch"}},
                          {{"kind", "restart"},
                           {"risk", "low"},
                           {"target", "switch"},
                           {"text", "restart switch"}}}}});
  EXPECT_EQ(Run({"diagnose", "switch"}), kExitOk);
  EXPECT_EQ(world_.out.str(),
            "switch: dependency_unavailable (confidence 80%), seen as a crash_loop failure\n"
            "Evidence:\n"
            "  dependency redis: exited\n"
            "Remediations (best first):\n"
            "  1. start_dependency [risk low]: start redis (a dependency of switch), then switch\n"
            "  2. restart [risk low]: restart switch\n");
  world_.out.str("");
  EXPECT_EQ(Run({"diagnose", "switch", "--json"}), kExitOk);
  EXPECT_EQ(json::parse(world_.out.str())["cause"], "dependency_unavailable");
  world_.madre->OnJson("GET", "/madre/autofix/diagnose/nope", 404,
                       {{"detail", "No service nope"}, {"code", "not_found"}});
  EXPECT_EQ(Run({"diagnose", "nope"}), kExitNotFound);
  EXPECT_THAT(world_.err.str(), HasSubstr("No service nope"));
}

TEST_F(CommandsTest, BuildLogPrintsTheTailAsItIs) {
  json build = FailedBuild();
  build["log_tail"] = "#1 building\nERROR: exit 1\n";
  world_.madre->OnJson("GET", "/madre/builds/7", 200, build);
  EXPECT_EQ(Run({"build-log", "7"}), kExitOk);
  EXPECT_EQ(world_.out.str(), "#1 building\nERROR: exit 1\n");
  EXPECT_THAT(world_.err.str(), IsEmpty());
}

TEST_F(CommandsTest, BuildLogOfAnUnknownBuildExits1Clearly) {
  world_.madre->OnJson("GET", "/madre/builds/9", 404,
                       {{"code", "not_found"}, {"detail", "No build 9"}});
  EXPECT_EQ(Run({"build-log", "9"}), kExitError);
  EXPECT_THAT(world_.err.str(), HasSubstr("No build 9"));
  EXPECT_THAT(world_.out.str(), IsEmpty());
  EXPECT_EQ(Run({"build-log"}), kExitUsage) << "the id is required";
}

TEST_F(CommandsTest, BuildLogSaysWhenTheLogIsGone) {
  json build = FailedBuild();
  build["log_tail"] = nullptr;
  world_.madre->OnJson("GET", "/madre/builds/7", 200, build);
  EXPECT_EQ(Run({"build-log", "7"}), kExitError);
  EXPECT_THAT(world_.err.str(),
              HasSubstr("the log of build 7 is gone (/var/lib/madre/builds/7.log)"));
}

TEST_F(CommandsTest, IntentSubmitSendsTheOriginalShape) {
  world_.madre->OnJson("POST", "/madre/intent", 200, PendingIntent());
  EXPECT_EQ(Run({"intent", "submit", "window", "--payload", R"({"ttl_sec":60})", "--source",
                 "hormiguero", "--correlation-id", "c-1"}),
            kExitOk);
  ASSERT_EQ(world_.madre->calls.size(), 1u);
  EXPECT_EQ(world_.madre->calls[0].Json(), json({{"type", "window"},
                                                 {"payload", {{"ttl_sec", 60}}},
                                                 {"source", "hormiguero"},
                                                 {"correlation_id", "c-1"}}));
  EXPECT_EQ(Run({"intent", "submit", "window", "--payload", "[1]"}), kExitUsage);
  EXPECT_EQ(world_.madre->calls.size(), 1u) << "nothing sent";
}

TEST_F(CommandsTest, HttpErrorsPrintDetailAndMapExitCodes) {
  world_.madre->OnJson("GET", "/madre/power/windows/w9", 404,
                       {{"detail", "No window w9"}, {"code", "not_found"}});
  world_.madre->OnJson("POST", "/madre/power/windows/close", 409,
                       {{"detail", "several windows are open"}, {"code", "conflict"}});
  world_.madre->OnJson("POST", "/madre/power/policy/solo_madre/apply", 500,
                       {{"detail", "docker failed"}, {"code", "internal"}});
  world_.madre->OnJson("GET", "/madre/power/state", 504, {{"detail", "slow"}, {"code", "timeout"}});
  EXPECT_EQ(Run({"window", "w9"}), kExitNotFound);
  EXPECT_EQ(Run({"close"}), kExitConflict);
  EXPECT_EQ(Run({"solo-madre", "apply"}), kExitDocker);
  EXPECT_EQ(Run({"state"}), kExitTimeout);
  EXPECT_THAT(world_.err.str(), HasSubstr("madre: No window w9\n"));
  EXPECT_THAT(world_.err.str(), HasSubstr("madre: several windows are open\n"));
  EXPECT_THAT(world_.out.str(), IsEmpty());
}

TEST_F(CommandsTest, AuthFailureWithoutTokenGivesAHint) {
  world_.env_vars["VX11_STATE_DIR"] = "/nonexistent-state";
  world_.madre->OnJson(
      "GET", "/madre/power/state", 401,
      {{"detail", "auth_required: X-VX11-Token header missing"}, {"code", "auth"}});
  EXPECT_EQ(Run({"state"}), kExitAuth);
  EXPECT_THAT(world_.err.str(), HasSubstr("auth_required"));
  EXPECT_THAT(world_.err.str(), HasSubstr("VX11_TENTACULO_LINK_TOKEN"));
}

TEST_F(CommandsTest, CannotConnectIsExitEight) {
  world_.madre->On("GET", "/madre/power/status",
                   Status::Unavailable("cannot connect to madre at http://127.0.0.1:8001"));
  EXPECT_EQ(Run({"status"}), kExitNoConnect);
  EXPECT_THAT(world_.err.str(), HasSubstr("madre: cannot connect to madre"));
}

TEST_F(CommandsTest, ConnectionComesFromFlagsAndEnvironment) {
  world_.env_vars = {{"VX11_TOKEN", "env-token"}, {"VX11_MADRE_PORT", "9100"}};
  world_.madre->OnJson("GET", "/health", 200, {{"module", "madre"}, {"status", "ok"}});
  EXPECT_EQ(Run({"health"}), kExitOk);
  EXPECT_EQ(
      Run({"health", "--token", "flag-token", "--url", "http://127.0.0.1:7777", "--timeout", "5s"}),
      kExitOk);
  ASSERT_EQ(world_.connections.size(), 2u);
  EXPECT_EQ(world_.connections[0].url, "http://127.0.0.1:9100");
  EXPECT_EQ(world_.connections[0].token, "env-token");
  EXPECT_EQ(world_.connections[0].timeout, Seconds(30));
  EXPECT_EQ(world_.connections[1].url, "http://127.0.0.1:7777");
  EXPECT_EQ(world_.connections[1].token, "flag-token");
  EXPECT_EQ(world_.connections[1].timeout, Seconds(5));
  EXPECT_THAT(world_.out.str(), HasSubstr("madre ok"));
}

TEST_F(CommandsTest, JsonPrintsTheServerAnswer) {
  json state = {{"policy", "solo_madre"}, {"windows", json::array()}, {"x_extra", 1}};
  world_.madre->OnJson("GET", "/madre/power/state", 200, state);
  EXPECT_EQ(Run({"state", "--json"}), kExitOk);
  EXPECT_EQ(json::parse(world_.out.str()), state);
}

TEST_F(CommandsTest, TablesForStatusWindowsAndServices) {
  world_.madre->OnJson("GET", "/madre/power/status", 200,
                       {{"status", "ok"},
                        {"services",
                         {{{"service", "redis"},
                           {"state", "running"},
                           {"health", "healthy"},
                           {"restart_count", 0},
                           {"window_ids", json::array()}}}}});
  world_.madre->OnJson(
      "GET", "/madre/power/windows/status", 200,
      {{"windows", {Window("open", "running", "running")}}, {"history", json::array()}});
  EXPECT_EQ(Run({"status"}), kExitOk);
  EXPECT_EQ(Run({"windows", "--history", "--limit", "5"}), kExitOk);
  EXPECT_THAT(world_.out.str(), HasSubstr("SERVICE  STATE    HEALTH   READY  RESTARTS  WINDOWS"));
  EXPECT_THAT(world_.out.str(),
              HasSubstr("ID  KIND  STATE  MODE  SERVICES       TTL LEFT  REASON"));
  EXPECT_THAT(world_.out.str(), HasSubstr("History (newest first)"));
  EXPECT_EQ(world_.madre->calls.back().path, "/madre/power/windows/status?limit=5");
}

TEST_F(CommandsTest, OpenWaitPollsTheWindowUntilOpen) {
  world_.madre->OnJson("POST", "/madre/power/windows/open", 200,
                       Window("opening", "pending", "pending"));
  world_.madre->OnJson("GET", "/madre/power/windows/w1", 200,
                       Window("opening", "starting", "pending"));
  world_.madre->OnJson("GET", "/madre/power/windows/w1", 200,
                       Window("opening", "running", "starting"));
  world_.madre->OnJson("GET", "/madre/power/windows/w1", 200, Window("open", "running", "running"));
  EXPECT_EQ(Run({"open", "switch", "hermes", "--wait"}), kExitOk);
  EXPECT_EQ(world_.madre->calls[0].Json()["wait"], false);  // we poll ourselves
  EXPECT_EQ(world_.madre->CallsTo("GET", "/madre/power/windows/w1").size(), 3u);
  EXPECT_EQ(world_.sleeps, std::vector<Duration>(3, Millis(500)));
  const std::string out = world_.out.str();
  EXPECT_THAT(out, HasSubstr("switch: ready (running) (1.0s)"));
  EXPECT_THAT(out, HasSubstr("hermes: ready (running) (1.5s)"));
  EXPECT_THAT(out, HasSubstr("Window w1 open: switch, hermes ready in 1.5s"));
  EXPECT_THAT(out, Not(HasSubstr("\x1b[")));  // no terminal codes when not a tty
  // The HTTP timeout covers the wait: default wait 120s + 30s.
  EXPECT_EQ(world_.connections.at(0).timeout, Seconds(150));
}

TEST_F(CommandsTest, OpenWaitRedrawsInPlaceOnATerminal) {
  world_.tty = true;
  world_.madre->OnJson("POST", "/madre/power/windows/open", 200,
                       Window("opening", "pending", "pending"));
  world_.madre->OnJson("GET", "/madre/power/windows/w1", 200, Window("open", "running", "running"));
  EXPECT_EQ(Run({"open", "switch", "hermes", "--wait"}), kExitOk);
  EXPECT_THAT(world_.out.str(), HasSubstr("\x1b[3A"));  // moved up over the 3-line block
  EXPECT_THAT(world_.out.str(), HasSubstr("TTL left 5m"));
}

TEST_F(CommandsTest, OpenWaitTimesOut) {
  world_.madre->OnJson("POST", "/madre/power/windows/open", 200,
                       Window("opening", "pending", "pending"));
  world_.madre->OnJson("GET", "/madre/power/windows/w1", 200,
                       Window("opening", "running", "starting"));
  EXPECT_EQ(Run({"open", "switch", "hermes", "--wait", "--wait-timeout", "3s"}), kExitTimeout);
  EXPECT_EQ(world_.sleeps.size(), 6u);  // 6 x 500 ms = the 3 s budget
  EXPECT_THAT(world_.err.str(), HasSubstr("madre: window w1 not ready after 3s (still opening)"));
}

TEST_F(CommandsTest, OpenWaitReportsAFailedWindow) {
  json failed = Window("failed", "failed", "pending");
  failed["error"] = "switch: exit 1";
  world_.madre->OnJson("POST", "/madre/power/windows/open", 200,
                       Window("opening", "pending", "pending"));
  world_.madre->OnJson("GET", "/madre/power/windows/w1", 200, failed);
  EXPECT_EQ(Run({"open", "switch", "hermes", "--wait"}), kExitDocker);
  EXPECT_THAT(world_.err.str(), HasSubstr("madre: window w1 failed: switch: exit 1"));
}

TEST_F(CommandsTest, AuditIsOldestFirstAndFollowAsksForNewerRecords) {
  json first = json::array(
      {{{"seq", 2}, {"action", "window.close"}}, {{"seq", 1}, {"action", "window.open"}}});
  json second = json::array({{{"seq", 3}, {"action", "reconcile"}}});
  world_.madre->OnJson("GET", "/madre/power/audit", 200, first);
  world_.madre->OnJson("GET", "/madre/power/audit", 200, second);
  world_.madre->OnJson("GET", "/madre/power/audit", 200, json::array());
  world_.follow_polls = 2;
  EXPECT_EQ(Run({"audit", "--limit", "10", "--follow"}), kExitOk);
  const std::string out = world_.out.str();
  EXPECT_LT(out.find("window.open"), out.find("window.close"));
  EXPECT_LT(out.find("window.close"), out.find("reconcile"));
  ASSERT_EQ(world_.madre->calls.size(), 3u);
  EXPECT_EQ(world_.madre->calls[0].path, "/madre/power/audit?limit=10");
  EXPECT_EQ(world_.madre->calls[1].path, "/madre/power/audit?limit=1000&after=2");
  EXPECT_EQ(world_.madre->calls[2].path, "/madre/power/audit?limit=1000&after=3");
}

TEST_F(CommandsTest, SoloMadreStatus) {
  world_.madre->OnJson("GET", "/madre/power/policy/solo_madre/status", 200,
                       {{"status", "ok"},
                        {"policy_active", true},
                        {"running_services", {"madre", "redis"}},
                        {"expected_services", {"madre", "redis"}}});
  EXPECT_EQ(Run({"solo-madre", "status"}), kExitOk);
  EXPECT_THAT(world_.out.str(), HasSubstr("SOLO_MADRE policy active: yes"));
}

}  // namespace
}  // namespace madre::cli
