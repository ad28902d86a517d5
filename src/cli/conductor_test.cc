#include "cli/conductor.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "cli/cli_test_support.h"
#include "cli/exit_codes.h"

namespace madre::cli {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;
using testing::FakeClock;
using testing::FakeTransport;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing::kTestStart;
using ::testing::Not;

std::string ReadAll(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

json Window(const std::string& state, const std::string& service_state) {
  return {{"window_id", "w1"},
          {"state", state},
          {"services", {"switch", "hermes"}},
          {"ttl_remaining_sec", 60},
          {"services_status",
           {{"switch", {{"state", service_state}, {"health", "healthy"}}},
            {"hermes", {{"state", service_state}, {"health", "healthy"}}}}}};
}

class ConductorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = std::filesystem::temp_directory_path() /
            ("madre_conductor_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(root_);
    std::filesystem::create_directories(root_ / "proc");
    WriteStat();
    std::ofstream(root_ / "proc" / "meminfo") << "MemTotal: 4000000 kB\nMemAvailable: 3000000 kB\n";
    std::ofstream(root_ / "proc" / "loadavg") << "0.10 0.20 0.30 1/100 42\n";
    options_.reason = "nightly check";
    options_.out_dir = root_ / "out";
    ScriptHealthyMadre();
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  // /proc/stat that grows by `busy` and `idle` jiffies on every sleep.
  void WriteStat() {
    std::ofstream(root_ / "proc" / "stat")
        << "cpu  " << user_ << " 0 0 " << idle_ << " " << iowait_ << " 0 0 0 0 0\n";
  }

  void ScriptHealthyMadre() {
    madre_.OnJson("GET", "/health", 200,
                  {{"module", "madre"}, {"status", "ok"}, {"version", "0.1.0"}});
    madre_.OnJson("GET", "/madre/power/policy/solo_madre/status", 200,
                  {{"status", "ok"},
                   {"policy_active", true},
                   {"running_services", {"madre", "redis"}},
                   {"expected_services", {"madre", "redis"}}});
    madre_.OnJson("GET", "/madre/power/audit", 200, json::array({{{"seq", 10}}}));
    madre_.OnJson("GET", "/madre/power/audit", 200,
                  json::array({{{"seq", 12}, {"action", "window.close"}, {"window_id", "w1"}},
                               {{"seq", 11}, {"action", "window.open"}, {"window_id", "w1"}}}));
    madre_.OnJson("POST", "/madre/power/windows/open", 200, Window("opening", "pending"));
    madre_.OnJson("GET", "/madre/power/windows/w1", 200, Window("opening", "starting"));
    madre_.OnJson("GET", "/madre/power/windows/w1", 200, Window("open", "running"));
    madre_.OnJson("GET", "/madre/power/status", 200,
                  {{"status", "ok"},
                   {"services",
                    {{{"service", "switch"},
                      {"state", "running"},
                      {"health", "healthy"},
                      {"restart_count", 0},
                      {"window_ids", {"w1"}}}}}});
    madre_.OnJson(
        "POST", "/madre/power/windows/close", 200,
        {{"window_id", "w1"}, {"state", "closed"}, {"services_stopped", {"hermes", "switch"}}});
    probe_.On("GET", "http://127.0.0.1:8002/health", HttpReply{200, "{}"});
    probe_.On("GET", "http://127.0.0.1:8002/switch/state", HttpReply{404, ""});
    probe_.On("GET", "http://127.0.0.1:8003/health", HttpReply{200, "{}"});
  }

  ConductorReport Run() {
    ConductorDeps deps{madre_,
                       probe_,
                       clock_,
                       [this](Duration d) {
                         sleeps_.push_back(d);
                         clock_.Advance(d);
                         user_ += busy_per_sleep_;
                         idle_ += 100 - busy_per_sleep_;
                         WriteStat();
                       },
                       root_ / "proc",
                       [this](const std::string& line) { progress_ += line + "\n"; }};
    return RunConductor(options_, deps);
  }

  const PhaseResult& Phase(const ConductorReport& report, const std::string& name) {
    for (const PhaseResult& p : report.phases) {
      if (p.name == name) return p;
    }
    static PhaseResult missing{"missing", PhaseStatus::kError, 0, ""};
    ADD_FAILURE() << "no phase " << name;
    return missing;
  }

  std::filesystem::path root_;
  FakeTransport madre_, probe_;
  FakeClock clock_{kTestStart};
  ConductorOptions options_;
  std::vector<Duration> sleeps_;
  std::string progress_;
  std::uint64_t user_ = 1000, idle_ = 9000, iowait_ = 0;
  std::uint64_t busy_per_sleep_ = 10;  // 10% CPU
};

TEST_F(ConductorTest, HealthyRunPassesEveryPhaseAndWritesEveryFile) {
  ConductorReport report = Run();
  EXPECT_EQ(report.exit_code, kExitOk) << RenderConductorSummary(report);
  EXPECT_EQ(report.overall, "ok");
  std::vector<std::string> names;
  for (const PhaseResult& p : report.phases) {
    names.push_back(p.name);
    EXPECT_EQ(p.status, PhaseStatus::kOk) << p.name << ": " << p.detail;
  }
  EXPECT_EQ(names, ConductorPhaseNames());
  EXPECT_EQ(report.window_id, "w1");

  EXPECT_EQ(report.run_dir, root_ / "out" / "20261124T101500Z_E2E_CONDUCTOR");
  for (const char* file : {"test_results.json", "metrics.json", "logs/docker_events.txt",
                           "logs/services_health.txt", "CONDUCTOR_RUN_LOG.md"}) {
    EXPECT_TRUE(std::filesystem::exists(report.run_dir / file)) << file;
  }
  json results = json::parse(ReadAll(report.run_dir / "test_results.json"));
  EXPECT_EQ(results["reason"], "nightly check");
  EXPECT_EQ(results["window_id"], "w1");
  EXPECT_EQ(results["overall"], "ok");
  EXPECT_EQ(results["started_at"], "2026-11-24T10:15:00.000000Z");
  ASSERT_EQ(results["phases"].size(), 8u);
  EXPECT_EQ(results["phases"][2]["name"], "window_open");
  EXPECT_EQ(results["phases"][2]["status"], "ok");
  EXPECT_TRUE(results["phases"][3].contains("elapsed_ms"));
  EXPECT_EQ(results["phases"][3]["elapsed_ms"], 1000);  // one 1 s pause between two polls

  json metrics = json::parse(ReadAll(report.run_dir / "metrics.json"));
  EXPECT_DOUBLE_EQ(metrics["host"]["cpu_percent"].get<double>(), 10.0);
  EXPECT_EQ(metrics["host"]["mem_total_bytes"], 4000000ull * 1024);
  EXPECT_EQ(metrics["host"]["mem_used_bytes"], 1000000ull * 1024);
  EXPECT_EQ(metrics["host"]["load_avg"][0], 0.1);
  EXPECT_THAT(metrics["containers"], IsEmpty());
  EXPECT_THAT(metrics["containers_note"].get<std::string>(), HasSubstr("does not report"));

  // This run's audit records only (after seq 10), oldest first, one per line.
  std::string events = ReadAll(report.run_dir / "logs" / "docker_events.txt");
  EXPECT_EQ(events,
            "{\"action\":\"window.open\",\"seq\":11,\"window_id\":\"w1\"}\n"
            "{\"action\":\"window.close\",\"seq\":12,\"window_id\":\"w1\"}\n");
  EXPECT_EQ(madre_.CallsTo("GET", "/madre/power/audit").back().path,
            "/madre/power/audit?limit=1000&after=10");

  std::string health = ReadAll(report.run_dir / "logs" / "services_health.txt");
  EXPECT_THAT(health, HasSubstr("switch: GET http://127.0.0.1:8002/switch/state -> HTTP 404 ok"));
  EXPECT_THAT(health, HasSubstr("GET /madre/power/status"));

  std::string md = ReadAll(report.run_dir / "CONDUCTOR_RUN_LOG.md");
  EXPECT_THAT(md, HasSubstr("**Reason:** nightly check"));
  EXPECT_THAT(md, HasSubstr("| 4 | health | ok |"));
  EXPECT_THAT(md, HasSubstr("madre audit records"));
  EXPECT_THAT(md, HasSubstr("Every phase is ok."));

  // The open carried the reason, services and TTL, and the window was closed.
  json open = madre_.CallsTo("POST", "/madre/power/windows/open").at(0).Json();
  EXPECT_EQ(open["reason"], "nightly check");
  EXPECT_EQ(open["services"], json({"switch", "hermes"}));
  EXPECT_EQ(open["ttl_sec"], 60);
  EXPECT_EQ(madre_.CallsTo("POST", "/madre/power/windows/close").at(0).Json(),
            json({{"window_id", "w1"}}));
  EXPECT_THAT(RenderConductorSummary(report), HasSubstr("RESULT: OK, all 8 phases ok"));
}

TEST_F(ConductorTest, OpenFailureFailsTheRunWithoutAClose) {
  madre_ = FakeTransport();
  madre_.OnJson("GET", "/health", 200, {{"module", "madre"}, {"status", "ok"}});
  madre_.OnJson("GET", "/madre/power/policy/solo_madre/status", 200, {{"policy_active", true}});
  madre_.OnJson("POST", "/madre/power/windows/open", 422,
                {{"detail", "Services not in allowlist: [\"nope\"]"}, {"code", "not_allowed"}});
  madre_.OnJson("GET", "/madre/power/audit", 200, json::array());
  options_.services = {"nope"};

  ConductorReport report = Run();
  EXPECT_EQ(report.exit_code, kExitError);
  EXPECT_EQ(report.overall, "fail");
  EXPECT_EQ(report.window_id, "");
  EXPECT_EQ(Phase(report, "window_open").status, PhaseStatus::kFail);
  EXPECT_THAT(Phase(report, "window_open").detail, HasSubstr("Services not in allowlist"));
  EXPECT_EQ(Phase(report, "health").status, PhaseStatus::kError);
  EXPECT_THAT(Phase(report, "window_close").detail, HasSubstr("no window was opened"));
  EXPECT_THAT(madre_.CallsTo("POST", "/madre/power/windows/close"), IsEmpty());

  std::string md = ReadAll(report.run_dir / "CONDUCTOR_RUN_LOG.md");
  EXPECT_THAT(md, HasSubstr("**Reason:** nightly check"));
  EXPECT_THAT(md,
              HasSubstr("window_open (fail): open refused: HTTP 422: Services not in allowlist"));
  EXPECT_THAT(md, Not(HasSubstr("Every phase is ok")));
  const std::string summary = RenderConductorSummary(report);
  EXPECT_THAT(summary, HasSubstr("RESULT: FAIL"));
  EXPECT_THAT(summary, Not(HasSubstr("passed")));
  EXPECT_THAT(summary, Not(HasSubstr("RESULT: OK")));
}

TEST_F(ConductorTest, WindowThatFailedAtOpenIsNamedAndCheckedClosed) {
  json failed = Window("failed", "failed");
  failed["detail"] = "every service failed to start; the window was rolled back";
  failed["code"] = "exec_failed";
  madre_.Clear("POST", "/madre/power/windows/open");
  madre_.OnJson("POST", "/madre/power/windows/open", 500, failed);
  madre_.Clear("POST", "/madre/power/windows/close");
  madre_.OnJson("POST", "/madre/power/windows/close", 409,
                {{"detail", "window w1 is not open"}, {"code", "failed_precondition"}});
  madre_.Clear("GET", "/madre/power/windows/w1");
  madre_.OnJson("GET", "/madre/power/windows/w1", 200, failed);
  options_.force_fail = "";
  ConductorReport report = Run();
  EXPECT_EQ(report.window_id, "w1");
  EXPECT_EQ(Phase(report, "window_open").status, PhaseStatus::kFail);
  EXPECT_THAT(Phase(report, "window_open").detail, HasSubstr("HTTP 500: every service failed"));
  EXPECT_EQ(madre_.CallsTo("POST", "/madre/power/windows/close").size(), 1u);
  EXPECT_THAT(Phase(report, "health").detail, HasSubstr("skipped: window_open failed"));
  EXPECT_THAT(probe_.calls, IsEmpty());
  EXPECT_EQ(Phase(report, "window_close").status, PhaseStatus::kOk);
  EXPECT_THAT(Phase(report, "window_close").detail, HasSubstr("already failed"));
  EXPECT_EQ(report.exit_code, kExitError);
}

TEST_F(ConductorTest, ForcedHealthFailureStillClosesTheWindow) {
  options_.force_fail = "health";
  ConductorReport report = Run();
  EXPECT_EQ(report.exit_code, kExitError);
  EXPECT_EQ(Phase(report, "health").status, PhaseStatus::kFail);
  EXPECT_EQ(Phase(report, "health").detail, "forced failure (--force-fail health)");
  ASSERT_EQ(madre_.CallsTo("POST", "/madre/power/windows/close").size(), 1u);
  EXPECT_EQ(madre_.CallsTo("POST", "/madre/power/windows/close")[0].Json()["window_id"], "w1");
  EXPECT_EQ(Phase(report, "window_close").status, PhaseStatus::kOk);
  EXPECT_THAT(ReadAll(report.run_dir / "CONDUCTOR_RUN_LOG.md"),
              HasSubstr("health (fail): forced failure (--force-fail health)"));
  json results = json::parse(ReadAll(report.run_dir / "test_results.json"));
  EXPECT_EQ(results["overall"], "fail");
}

TEST_F(ConductorTest, HealthTimeoutIsReportedAndTheWindowClosed) {
  madre_ = FakeTransport();
  madre_.OnJson("GET", "/health", 200, {{"module", "madre"}, {"status", "ok"}});
  madre_.OnJson("GET", "/madre/power/policy/solo_madre/status", 200, {{"policy_active", true}});
  madre_.OnJson("GET", "/madre/power/audit", 200, json::array());
  madre_.OnJson("POST", "/madre/power/windows/open", 200, Window("opening", "pending"));
  madre_.OnJson("GET", "/madre/power/windows/w1", 200, Window("opening", "starting"));
  madre_.OnJson("POST", "/madre/power/windows/close", 200,
                {{"window_id", "w1"}, {"state", "closed"}});
  options_.health_timeout = Seconds(5);
  ConductorReport report = Run();
  EXPECT_EQ(Phase(report, "health").status, PhaseStatus::kTimeout);
  EXPECT_THAT(Phase(report, "health").detail, HasSubstr("not ready after 5s"));
  EXPECT_THAT(Phase(report, "health").services, ElementsAre("switch", "hermes"));
  EXPECT_EQ(madre_.CallsTo("POST", "/madre/power/windows/close").size(), 1u);
  EXPECT_EQ(report.exit_code, kExitError);
}

TEST_F(ConductorTest, HighCpuRetriesThreeTimesThenContinuesDegraded) {
  busy_per_sleep_ = 90;
  ConductorReport report = Run();
  const PhaseResult& throttle = Phase(report, "throttle_check");
  EXPECT_EQ(throttle.status, PhaseStatus::kDegraded);
  EXPECT_THAT(throttle.detail, HasSubstr("90.0% still above 70.0% after 3 retries"));
  EXPECT_EQ(std::count(sleeps_.begin(), sleeps_.end(), Seconds(5)), 3);
  EXPECT_EQ(Phase(report, "window_open").status, PhaseStatus::kOk);  // it went on
  EXPECT_EQ(report.exit_code, kExitError);
  EXPECT_EQ(report.overall, "degraded");
}

TEST_F(ConductorTest, NotSoloMadreAtStartIsDegraded) {
  madre_.Clear("GET", "/madre/power/policy/solo_madre/status");
  madre_.OnJson("GET", "/madre/power/policy/solo_madre/status", 200,
                {{"policy_active", false}, {"running_services", {"madre", "redis", "switch"}}});
  madre_.OnJson("GET", "/madre/power/policy/solo_madre/status", 200, {{"policy_active", true}});
  ConductorReport report = Run();
  EXPECT_EQ(Phase(report, "preflight").status, PhaseStatus::kDegraded);
  EXPECT_THAT(Phase(report, "preflight").detail, HasSubstr("not SOLO_MADRE at start"));
  EXPECT_EQ(Phase(report, "solo_madre_verify").status, PhaseStatus::kOk);
  EXPECT_EQ(report.exit_code, kExitError);
}

TEST_F(ConductorTest, SoloMadreNotBackAfterTenSecondsIsDegraded) {
  madre_.Clear("GET", "/madre/power/policy/solo_madre/status");
  madre_.OnJson("GET", "/madre/power/policy/solo_madre/status", 200, {{"policy_active", true}});
  madre_.OnJson("GET", "/madre/power/policy/solo_madre/status", 200,
                {{"policy_active", false}, {"running_services", {"madre", "redis", "hermes"}}});
  ConductorReport report = Run();
  const PhaseResult& verify = Phase(report, "solo_madre_verify");
  EXPECT_EQ(verify.status, PhaseStatus::kDegraded);
  EXPECT_THAT(verify.detail, HasSubstr("hermes"));
  EXPECT_GE(verify.elapsed_ms, 10000);
}

TEST_F(ConductorTest, FailedAvailabilityCheckIsPartial) {
  probe_ = FakeTransport();
  probe_.On("GET", "http://127.0.0.1:8002/health", HttpReply{200, "{}"});
  probe_.On("GET", "http://127.0.0.1:8002/switch/state", HttpReply{200, "{}"});
  probe_.On("GET", "http://127.0.0.1:8003/health", Status::Unavailable("connection refused"));
  options_.latency_samples = 0;  // no latency requests: the calls counted are availability's
  ConductorReport report = Run();
  const PhaseResult& availability = Phase(report, "availability");
  EXPECT_EQ(availability.status, PhaseStatus::kPartial);
  EXPECT_THAT(availability.detail, HasSubstr("1/2 services available"));
  EXPECT_THAT(availability.detail, HasSubstr("connection refused"));
  EXPECT_EQ(probe_.CallsTo("GET", "http://127.0.0.1:8003/health").size(), 3u);  // 3 attempts
  // The service whose check failed is named for `madre autofix`, in the report too.
  EXPECT_THAT(availability.services, ElementsAre("hermes"));
  json results = json::parse(ReadAll(report.run_dir / "test_results.json"));
  for (const json& phase : results["phases"]) {
    if (phase["name"] == "availability") {
      EXPECT_EQ(phase["services"], json({"hermes"}));
    }
    if (phase["name"] == "health") {
      EXPECT_FALSE(phase.contains("services"));  // ok: none
    }
  }
  EXPECT_EQ(results["services"], json({"switch", "hermes"}));
}

TEST_F(ConductorTest, CheckFlagsReplaceTheBuiltInChecks) {
  auto check = ParseCheckFlag("hermes=http://127.0.0.1:9999/ready");
  ASSERT_TRUE(check.ok());
  options_.checks[check->first].push_back(check->second);
  probe_.On("GET", "http://127.0.0.1:9999/ready", HttpReply{204, ""});
  ConductorReport report = Run();
  EXPECT_EQ(Phase(report, "availability").status, PhaseStatus::kOk);
  EXPECT_THAT(probe_.CallsTo("GET", "http://127.0.0.1:8003/health"), IsEmpty());
  EXPECT_FALSE(ParseCheckFlag("hermes").ok());
  EXPECT_FALSE(ParseCheckFlag("hermes=ftp://x").ok());
}

TEST_F(ConductorTest, CannotReachMadreIsExitEightAndNothingIsOpened) {
  madre_ = FakeTransport();
  madre_.On("GET", "/health",
            Status::Unavailable("cannot connect to madre at http://127.0.0.1:8001"));
  ConductorReport report = Run();
  EXPECT_EQ(report.exit_code, kExitNoConnect);
  EXPECT_EQ(Phase(report, "preflight").status, PhaseStatus::kError);
  EXPECT_EQ(Phase(report, "preflight").elapsed_ms, 60000) << "--startup-wait bounds the wait";
  EXPECT_THAT(Phase(report, "preflight").detail, HasSubstr("cannot connect"));
  EXPECT_THAT(Phase(report, "preflight").detail, HasSubstr("--startup-wait"));
  EXPECT_THAT(progress_, HasSubstr("[preflight] waiting for madre to answer (0.0s of 1m)..."));
  EXPECT_EQ(report.phases.size(), 8u);
  EXPECT_THAT(madre_.CallsTo("POST", "/madre/power/windows/open"), IsEmpty());
  EXPECT_TRUE(std::filesystem::exists(report.run_dir / "CONDUCTOR_RUN_LOG.md"));
}

TEST_F(ConductorTest, BadTokenIsExitThree) {
  madre_ = FakeTransport();
  madre_.OnJson("GET", "/health", 200, {{"status", "ok"}});
  madre_.OnJson("GET", "/madre/power/policy/solo_madre/status", 403,
                {{"detail", "forbidden: invalid token"}, {"code", "forbidden"}});
  ConductorReport report = Run();
  EXPECT_EQ(report.exit_code, kExitAuth);
  EXPECT_THAT(Phase(report, "preflight").detail, HasSubstr("forbidden: invalid token"));
}

json HealthAnswer(std::optional<bool> ready) {
  json body = {{"module", "madre"}, {"status", "ok"}, {"version", "0.2.0"}};
  if (ready) body["ready"] = *ready;
  return body;
}

int CountOf(const std::string& text, const std::string& part) {
  int n = 0;
  for (std::size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) {
    ++n;
  }
  return n;
}

TEST_F(ConductorTest, PreflightWaitsForTheStartUpReconcileWithProgressThenGoesOn) {
  madre_.Clear("GET", "/health");
  for (int i = 0; i < 12; ++i) madre_.OnJson("GET", "/health", 200, HealthAnswer(false));
  madre_.OnJson("GET", "/health", 200, HealthAnswer(true));
  ConductorReport report = Run();
  const PhaseResult& preflight = Phase(report, "preflight");
  EXPECT_EQ(preflight.status, PhaseStatus::kOk) << preflight.detail;
  EXPECT_EQ(preflight.elapsed_ms, 6000);  // 12 polls 500 ms apart
  EXPECT_THAT(preflight.detail, HasSubstr("after 6.0s of start-up reconcile"));
  EXPECT_EQ(madre_.CallsTo("GET", "/health").size(), 13u);
  // SOLO_MADRE is asked only once madre is ready: it would not be reached before.
  EXPECT_EQ(madre_.CallsTo("GET", "/madre/power/policy/solo_madre/status").size(), 2u);
  // Progress at once, then at most every 5 s.
  EXPECT_EQ(CountOf(progress_, "waiting for madre's start-up reconcile"), 2) << progress_;
  EXPECT_THAT(progress_, HasSubstr("[preflight] waiting for madre's start-up reconcile (0.0s of "
                                   "1m)...\n"));
  EXPECT_THAT(progress_, HasSubstr("(5.0s of 1m)..."));
  EXPECT_EQ(report.exit_code, kExitOk) << RenderConductorSummary(report);
  EXPECT_EQ(report.overall, "ok");
}

TEST_F(ConductorTest, AMadreThatStartsListeningDuringTheWaitIsWaitedFor) {
  madre_.Clear("GET", "/health");
  for (int i = 0; i < 3; ++i) {
    madre_.On("GET", "/health",
              Status::Unavailable("cannot connect to madre at http://127.0.0.1:8001"));
  }
  madre_.OnJson("GET", "/health", 200, HealthAnswer(false));
  madre_.OnJson("GET", "/health", 200, HealthAnswer(true));
  ConductorReport report = Run();
  const PhaseResult& preflight = Phase(report, "preflight");
  EXPECT_EQ(preflight.status, PhaseStatus::kOk) << preflight.detail;
  EXPECT_EQ(preflight.elapsed_ms, 2000);  // 4 polls 500 ms apart
  EXPECT_EQ(report.exit_code, kExitOk) << RenderConductorSummary(report);
}

TEST_F(ConductorTest, AStartUpReconcileLongerThanTheWaitFailsPreflightClearly) {
  madre_.Clear("GET", "/health");
  madre_.OnJson("GET", "/health", 200, HealthAnswer(false));
  options_.startup_wait = Seconds(10);
  ConductorReport report = Run();
  const PhaseResult& preflight = Phase(report, "preflight");
  EXPECT_EQ(preflight.status, PhaseStatus::kFail);
  EXPECT_EQ(preflight.detail,
            "madre's start-up reconcile still running after 10s (GET /health says \"ready\": "
            "false); see its log and GET /madre/power/status, or wait longer with "
            "--startup-wait");
  EXPECT_EQ(preflight.elapsed_ms, 10000);
  EXPECT_EQ(CountOf(progress_, "waiting for madre's start-up reconcile"), 2) << progress_;
  EXPECT_THAT(madre_.CallsTo("POST", "/madre/power/windows/open"), IsEmpty());
  EXPECT_THAT(Phase(report, "window_open").detail, HasSubstr("skipped: preflight failed"));
  EXPECT_EQ(report.overall, "fail");
  EXPECT_EQ(report.exit_code, kExitError);
}

TEST_F(ConductorTest, A503StartingFromMadreIsWaitedOnLikeReadyFalse) {
  madre_.Clear("GET", "/health");
  madre_.OnJson("GET", "/health", 200, HealthAnswer(std::nullopt));
  madre_.Clear("GET", "/madre/power/policy/solo_madre/status");
  madre_.OnJson(
      "GET", "/madre/power/policy/solo_madre/status", 503,
      {{"detail", "madre is starting: reconciling with Docker"}, {"code", "unavailable"}});
  madre_.OnJson("GET", "/madre/power/policy/solo_madre/status", 200,
                {{"policy_active", true}, {"running_services", {"madre", "redis"}}});
  ConductorReport report = Run();
  const PhaseResult& preflight = Phase(report, "preflight");
  EXPECT_EQ(preflight.status, PhaseStatus::kOk) << preflight.detail;
  EXPECT_EQ(preflight.elapsed_ms, 500);
  EXPECT_EQ(CountOf(progress_, "waiting for madre's start-up reconcile"), 1) << progress_;
}

TEST_F(ConductorTest, AMadreWithoutReadyInItsHealthIsNotWaitedFor) {
  madre_.Clear("GET", "/health");
  madre_.OnJson("GET", "/health", 200, HealthAnswer(std::nullopt));
  madre_.Clear("GET", "/madre/power/policy/solo_madre/status");
  madre_.OnJson("GET", "/madre/power/policy/solo_madre/status", 200,
                {{"policy_active", false}, {"running_services", {"madre"}}});
  madre_.OnJson("GET", "/madre/power/policy/solo_madre/status", 200, {{"policy_active", true}});
  ConductorReport report = Run();
  const PhaseResult& preflight = Phase(report, "preflight");
  EXPECT_EQ(preflight.status, PhaseStatus::kDegraded);  // as before: nothing says "starting"
  EXPECT_EQ(preflight.elapsed_ms, 0);
  EXPECT_EQ(madre_.CallsTo("GET", "/health").size(), 1u);
  EXPECT_THAT(progress_, Not(HasSubstr("waiting")));
}

TEST_F(ConductorTest, AZeroStartupWaitDoesNotWait) {
  madre_.Clear("GET", "/health");
  madre_.OnJson("GET", "/health", 200, HealthAnswer(false));
  options_.startup_wait = Duration::zero();
  ConductorReport report = Run();
  EXPECT_EQ(Phase(report, "preflight").status, PhaseStatus::kFail);
  EXPECT_THAT(Phase(report, "preflight").detail, HasSubstr("still running after 0s"));
  EXPECT_THAT(sleeps_, IsEmpty());
}

TEST_F(ConductorTest, TwoRunsInTheSameSecondGetTwoDirectories) {
  ConductorReport first = Run();
  clock_ = FakeClock(kTestStart);
  ConductorReport second = Run();
  EXPECT_NE(first.run_dir, second.run_dir);
  EXPECT_EQ(second.run_dir.filename(), "20261124T101500Z_E2E_CONDUCTOR_2");
}

TEST(ConductorCommandTest, FlagsReachTheRunAndTheSummaryIsPrinted) {
  testing::FakeWorld world;
  const std::filesystem::path out = std::filesystem::temp_directory_path() /
                                    ("madre_conductor_cmd_" + std::to_string(::getpid()));
  world.madre->OnJson("GET", "/health", 200, {{"status", "ok"}});
  world.madre->OnJson("GET", "/madre/power/policy/solo_madre/status", 200,
                      {{"policy_active", true}});
  world.madre->OnJson("POST", "/madre/power/windows/open", 500,
                      {{"detail", "docker compose up failed"}, {"code", "internal"}});
  CLI::App app{"madre test"};
  int exit_code = -1;
  RegisterCommands(app, &exit_code, world.Env());
  std::vector<std::string> args = {"conductor",  "--reason",    "release 1.2",
                                   "--services", "mcp,spawner", "--ttl",
                                   "2m",         "--out",       out.string()};
  std::reverse(args.begin(), args.end());
  app.parse(args);
  EXPECT_EQ(exit_code, kExitError);
  json open = world.madre->CallsTo("POST", "/madre/power/windows/open").at(0).Json();
  EXPECT_EQ(open["services"], json({"mcp", "spawner"}));
  EXPECT_EQ(open["ttl_sec"], 120);
  EXPECT_EQ(open["reason"], "release 1.2");
  EXPECT_THAT(world.out.str(), HasSubstr("window_open"));
  EXPECT_THAT(world.out.str(), HasSubstr("RESULT: FAIL"));
  EXPECT_THAT(world.out.str(), HasSubstr("Report: " + out.string()));
  std::filesystem::remove_all(out);
}

TEST(ConductorCommandTest, StartupWaitFlagBoundsThePreflightWait) {
  testing::FakeWorld world;
  const std::filesystem::path out = std::filesystem::temp_directory_path() /
                                    ("madre_conductor_wait_" + std::to_string(::getpid()));
  world.madre->OnJson("GET", "/health", 200, {{"status", "ok"}, {"ready", false}});
  CLI::App app{"madre test"};
  int exit_code = -1;
  RegisterCommands(app, &exit_code, world.Env());
  std::vector<std::string> args = {"conductor", "--reason", "boot",      "--startup-wait",
                                   "3s",        "--out",    out.string()};
  std::reverse(args.begin(), args.end());
  app.parse(args);
  EXPECT_EQ(exit_code, kExitError);
  EXPECT_THAT(world.out.str(), HasSubstr("[preflight] waiting for madre's start-up reconcile"));
  EXPECT_THAT(world.out.str(), HasSubstr("still running after 3s"));
  EXPECT_THAT(world.madre->CallsTo("POST", "/madre/power/windows/open"), IsEmpty());
  std::filesystem::remove_all(out);
}

json DeclaredFlows(json errors = json::array()) {
  return {
      {"flows",
       {{{"service", "switch"},
         {"name", "state"},
         {"origin", "labels of switch"},
         {"steps",
          {{{"request", "GET http://127.0.0.1:8002/switch/state"},
            {"expect_status", {200, 404}},
            {"expect_body", "json:/mode=auto"}}}}},
        {{"service", "hermes"},
         {"name", "audio"},
         {"origin", "labels of hermes"},
         {"steps", {{{"request", "GET http://127.0.0.1:8003/audio"}, {"expect_status", {200}}}}}},
        {{"service", "redis"},
         {"name", "ping"},
         {"origin", "labels of redis"},
         {"steps", {{{"request", "GET http://127.0.0.1:6379/"}, {"expect_status", {200}}}}}}}},
      {"errors", errors},
      {"health_urls", {{"switch", "http://127.0.0.1:8002/health"}}}};
}

TEST_F(ConductorTest, FlowsOfTheWindowsServicesRunAsPhasesAndABrokenOneFailsTheRun) {
  madre_.OnJson("GET", "/madre/power/flows", 200, DeclaredFlows());
  probe_.Clear("GET", "http://127.0.0.1:8002/switch/state");
  probe_.On("GET", "http://127.0.0.1:8002/switch/state", HttpReply{200, R"({"mode":"auto"})"});
  probe_.On("GET", "http://127.0.0.1:8003/audio", HttpReply{503, "no sound card"});
  ConductorReport report = Run();
  std::vector<std::string> names;
  for (const PhaseResult& p : report.phases) names.push_back(p.name);
  EXPECT_THAT(names, ElementsAre("preflight", "throttle_check", "window_open", "health",
                                 "availability", "flow:hermes:audio", "flow:switch:state",
                                 "metrics", "window_close", "solo_madre_verify"))
      << "redis:ping is not a window service's";
  EXPECT_EQ(Phase(report, "flow:switch:state").status, PhaseStatus::kOk);
  const PhaseResult& audio = Phase(report, "flow:hermes:audio");
  EXPECT_EQ(audio.status, PhaseStatus::kFail);
  EXPECT_THAT(audio.detail, HasSubstr("step 1 (GET http://127.0.0.1:8003/audio): HTTP 503, "
                                      "expected 200; answer: no sound card"));
  EXPECT_THAT(audio.services, ElementsAre("hermes"));
  EXPECT_EQ(report.overall, "fail");
  EXPECT_NE(report.exit_code, 0);
  const std::string health = ReadAll(report.run_dir / "logs" / "services_health.txt");
  EXPECT_THAT(health, HasSubstr("GET http://127.0.0.1:8003/audio -> HTTP 503 FAIL"));
  EXPECT_THAT(health, HasSubstr("answer: no sound card"));
}

TEST_F(ConductorTest, BadFlowLabelsFailAFlowsPhaseNamingThem) {
  madre_.OnJson("GET", "/madre/power/flows", 200,
                DeclaredFlows({"service hermes: label vx11.flow.x.request: missing"}));
  probe_.On("GET", "http://127.0.0.1:8003/audio", HttpReply{200, "{}"});
  ConductorReport report = Run();
  const PhaseResult& flows = Phase(report, "flows");
  EXPECT_EQ(flows.status, PhaseStatus::kFail);
  EXPECT_THAT(flows.detail, HasSubstr("label vx11.flow.x.request: missing"));
  EXPECT_EQ(report.overall, "fail");
}

TEST_F(ConductorTest, OneFlowByNameAndFileFlowsBesideTheDeclaredOnes) {
  madre_.OnJson("GET", "/madre/power/flows", 200, DeclaredFlows());
  Flow file_flow;
  file_flow.service = "switch";
  file_flow.name = "route";
  FlowStep step;
  step.url = "http://127.0.0.1:8002/switch/route";
  file_flow.steps = {step};
  options_.flows = {file_flow};
  options_.only_flow = "switch:route";
  probe_.On("GET", "http://127.0.0.1:8002/switch/route", HttpReply{200, "{}"});
  ConductorReport report = Run();
  int flow_phases = 0;
  for (const PhaseResult& p : report.phases) flow_phases += p.name.rfind("flow:", 0) == 0;
  EXPECT_EQ(flow_phases, 1);
  EXPECT_EQ(Phase(report, "flow:switch:route").status, PhaseStatus::kOk);

  options_.only_flow = "switch:nope";
  ConductorReport missing = Run();
  EXPECT_THAT(Phase(missing, "flows").detail,
              HasSubstr("no flow switch:nope (declared: hermes:audio, redis:ping, switch:route, "
                        "switch:state)"));
}

TEST_F(ConductorTest, MetricsHaveEachWindowServicesHealthEndpointLatency) {
  madre_.OnJson("GET", "/madre/power/flows", 200, DeclaredFlows());
  probe_.On("GET", "http://127.0.0.1:8003/audio", HttpReply{200, "{}"});
  probe_.handler = [this](const testing::RecordedCall& call) -> Result<HttpReply> {
    clock_.Advance(Millis(call.path == "http://127.0.0.1:8002/health" ? 4 : 1));
    if (call.path.find("/switch/state") != std::string::npos)
      return HttpReply{200, R"({"mode":"auto"})"};
    return HttpReply{200, "{}"};
  };
  options_.latency_samples = 5;
  ConductorReport report = Run();
  const json metrics = json::parse(ReadAll(report.run_dir / "metrics.json"));
  const json& sw = metrics["latency"]["switch"];
  EXPECT_EQ(sw["url"], "http://127.0.0.1:8002/health") << "madre's vx11.health.url";
  EXPECT_EQ(sw["n"], 5);
  EXPECT_EQ(sw["p50_ms"], 4.0);
  EXPECT_EQ(sw["p95_ms"], 4.0);
  EXPECT_EQ(sw["max_ms"], 4.0);
  EXPECT_EQ(metrics["latency"]["hermes"]["url"], "http://127.0.0.1:8003/audio")
      << "no vx11.health.url: its flow's GET";
  EXPECT_THAT(ReadAll(report.run_dir / "logs" / "services_health.txt"),
              HasSubstr("switch: p50 4.0 ms, p95 4.0 ms, max 4.0 ms over 5 requests"));
  EXPECT_THAT(ReadAll(report.run_dir / "CONDUCTOR_RUN_LOG.md"),
              HasSubstr("| switch | 4.0 | 4.0 | 4.0 | 5 | http://127.0.0.1:8002/health |"));

  madre_.Clear("GET", "/madre/power/flows");  // a madre without flows: no URL for either
  const json none = json::parse(ReadAll(Run().run_dir / "metrics.json"));
  EXPECT_EQ(none["latency"]["switch"], "n/a");
}

}  // namespace
}  // namespace madre::cli
