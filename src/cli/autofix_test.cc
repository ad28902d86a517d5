#include "cli/autofix.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli/cli_test_support.h"
#include "cli/commands.h"
#include "cli/exit_codes.h"

namespace madre::cli {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;
using testing::FakeWorld;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr char kIncidents[] = "/madre/autofix/incidents";

json Phase(const std::string& name, const std::string& status, const std::string& detail = "",
           const json& services = nullptr) {
  json p = {{"name", name}, {"status", status}, {"elapsed_ms", 10}, {"detail", detail}};
  if (!services.is_null()) p["services"] = services;
  return p;
}

json Report(const json& phases, const json& services = {"web", "db"}) {
  return {{"reason", "nightly"}, {"window_id", "w1"}, {"services", services},
          {"phases", phases},    {"overall", "fail"}, {"exit_code", 1}};
}

json Incident(const std::string& service, const std::string& state, const json& cycles,
              bool final = false) {
  return {{"incident", "20261203T112233Z_" + service},
          {"service", service},
          {"kind", "conductor_phase"},
          {"state", state},
          {"final", final},
          {"cycles", cycles},
          {"max_cycles", 3},
          {"forensic_dir", "/var/lib/madre/forensic/madre/20261203T112233Z_" + service}};
}

json Cycle(const std::string& approval, const json& retest = nullptr,
           const std::string& kind = "restart") {
  return {{"cycle", 1},
          {"cause", "command_not_found"},
          {"remediation",
           {{"kind", kind}, {"target", "web"}, {"risk", "low"}, {"text", "restart web"}}},
          {"intent_id", "intent-7"},
          {"approval", approval},
          {"result", retest.is_null() ? json(nullptr) : json("restarted web")},
          {"retest", retest},
          {"retest_evidence", retest.is_null() ? json::array() : json({"web: running, ready"})}};
}

std::vector<std::string> Names(const std::vector<FailedPhase>& phases) {
  std::vector<std::string> out;
  for (const FailedPhase& p : phases) out.push_back(p.name);
  return out;
}

TEST(FailedPhasesTest, FailedPhasesNameTheirServices) {
  json report = Report(json::array({
      Phase("preflight", "ok"), Phase("throttle_check", "degraded", "cpu high"),
      Phase("health", "timeout", "not ready after 60s", {"db"}),
      Phase("availability", "partial", "1/2 services available", {"web"}),
      Phase("flow:web:login", "fail", "expected 200, got 500"),
      Phase("window_open", "fail", "open refused"),  // an older report: no "services"
      Phase("metrics", "partial", "missing: loadavg"),
      Phase("window_close", "error", "skipped: no window was opened, nothing to close"),
      Phase("autofix", "fail", "web not_fixed"),  // conductor --autofix's: not a failure
  }));
  std::vector<FailedPhase> failed = FailedPhases(report);
  EXPECT_THAT(Names(failed),
              ElementsAre("health", "availability", "flow:web:login", "window_open", "metrics"));
  EXPECT_THAT(failed[0].services, ElementsAre("db"));
  EXPECT_EQ(failed[0].status, "timeout");
  EXPECT_THAT(failed[1].services, ElementsAre("web"));
  EXPECT_THAT(failed[2].services, ElementsAre("web"));
  EXPECT_THAT(failed[3].services, ElementsAre("web", "db"));  // cannot tell: the window's
  EXPECT_THAT(failed[4].services, IsEmpty());  // the host's metrics: no service's failure
}

TEST(FailedPhasesTest, OkAndDegradedPhasesAreNotFailures) {
  EXPECT_THAT(FailedPhases(Report(json::array(
                  {Phase("preflight", "degraded"), Phase("health", "ok", "", {"web"})}))),
              IsEmpty());
  EXPECT_THAT(FailedPhases(json::object()), IsEmpty());
}

class AutofixFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = std::filesystem::temp_directory_path() /
            ("madre_autofix_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(root_);
    std::filesystem::create_directories(root_);
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  std::filesystem::path WriteRun(const std::string& name, const json& report) {
    std::filesystem::create_directories(root_ / "out" / name);
    std::ofstream(root_ / "out" / name / "test_results.json") << report.dump(2);
    return root_ / "out" / name;
  }

  std::filesystem::path root_;
};

TEST_F(AutofixFilesTest, TheNewestRunDirectoryIsTheDefault) {
  WriteRun("20261203T100000Z_E2E_CONDUCTOR", Report(json::array()));
  WriteRun("20261203T110000Z_E2E_CONDUCTOR", Report(json::array()));
  WriteRun("20261203T110000Z_E2E_CONDUCTOR_2", Report(json::array()));
  const auto newest = WriteRun("20261203T110000Z_E2E_CONDUCTOR_10", Report(json::array()));
  std::filesystem::create_directories(root_ / "out" / "20261203T120000Z_E2E_CONDUCTOR");  // empty
  Result<std::filesystem::path> file = FindConductorReport("", root_ / "out");
  ASSERT_TRUE(file.ok()) << file.status().message();
  EXPECT_EQ(*file, newest / "test_results.json");
  // A run directory names its report; a file is itself.
  EXPECT_EQ(*FindConductorReport(newest, ""), newest / "test_results.json");
  EXPECT_EQ(*FindConductorReport(newest / "test_results.json", ""), newest / "test_results.json");
}

TEST_F(AutofixFilesTest, MissingOrBadReportsAreClearErrors) {
  Result<std::filesystem::path> none = FindConductorReport("", root_ / "nothing");
  ASSERT_FALSE(none.ok());
  EXPECT_THAT(none.status().message(), HasSubstr("does not exist"));
  std::filesystem::create_directories(root_ / "out");
  EXPECT_THAT(FindConductorReport("", root_ / "out").status().message(),
              HasSubstr("no conductor report under"));
  EXPECT_THAT(FindConductorReport(root_ / "x.json", "").status().message(),
              HasSubstr("no such report"));
  std::ofstream(root_ / "bad.json") << "{not json";
  EXPECT_THAT(LoadConductorReport(root_ / "bad.json").status().message(), HasSubstr("not JSON"));
  std::ofstream(root_ / "other.json") << R"({"a": 1})";
  EXPECT_THAT(LoadConductorReport(root_ / "other.json").status().message(),
              HasSubstr("not a conductor report"));
}

// The commands, through the CLI with the fake madre and clock.
class AutofixCommandTest : public AutofixFilesTest {
 protected:
  int Run(std::vector<std::string> args) {
    CLI::App app{"madre test"};
    int exit_code = -1;
    RegisterCommands(app, &exit_code, world_.Env());
    app.require_subcommand(1);
    std::vector<std::string> reversed(args.rbegin(), args.rend());
    try {
      app.parse(reversed);
    } catch (const CLI::ParseError& e) {
      return HandleParseError(app, e, world_.out, world_.err);
    }
    return exit_code;
  }

  // A run whose health phase found web not ready.
  std::string WebFailed() {
    return WriteRun("20261203T112233Z_E2E_CONDUCTOR",
                    Report(json::array({Phase("window_open", "ok"),
                                        Phase("health", "timeout", "web pending", {"web"}),
                                        Phase("window_close", "ok")})))
        .string();
  }

  std::vector<testing::RecordedCall> Gets(const std::string& service) {
    return world_.madre->CallsTo("GET", std::string(kIncidents) + "/20261203T112233Z_" + service);
  }

  FakeWorld world_;
};

TEST_F(AutofixCommandTest, OpensAnIncidentPerServiceAndFollowsItUntilFixed) {
  const std::string run = WebFailed();
  world_.madre->OnJson("POST", kIncidents, 202, Incident("web", "diagnosing", json::array()));
  const std::string path = std::string(kIncidents) + "/20261203T112233Z_web";
  world_.madre->OnJson("GET", path, 200, Incident("web", "diagnosing", json::array()));
  world_.madre->OnJson("GET", path, 200,
                       Incident("web", "remediating", json::array({Cycle("auto")})));
  world_.madre->OnJson("GET", path, 200,
                       Incident("web", "retesting", json::array({Cycle("auto")})));
  world_.madre->OnJson("GET", path, 200,
                       Incident("web", "fixed", json::array({Cycle("auto", "fixed")}), true));

  EXPECT_EQ(Run({"autofix", "--test-result", run}), kExitOk) << world_.err.str();
  auto posts = world_.madre->CallsTo("POST", kIncidents);
  ASSERT_EQ(posts.size(), 1u);
  EXPECT_EQ(
      posts[0].Json(),
      json({{"service", "web"}, {"phase", "health"}, {"detail", "web pending"}, {"run_dir", run}}));
  EXPECT_EQ(Gets("web").size(), 4u);
  EXPECT_THAT(world_.sleeps, ElementsAre(Seconds(1), Seconds(1), Seconds(1), Seconds(1)));
  // One progress line per change (the repeated "diagnosing" is not printed twice).
  const std::string err = world_.err.str();
  EXPECT_THAT(err, HasSubstr("autofix: web: incident 20261203T112233Z_web opened for health"));
  EXPECT_EQ(err.find("web: diagnosing"), err.rfind("web: diagnosing"));
  EXPECT_THAT(err, HasSubstr("web: remediating (cycle 1/3: command_not_found, restart web "
                             "[risk low], approval auto)"));
  EXPECT_THAT(err, HasSubstr("web: fixed (cycle 1/3"));
  const std::string out = world_.out.str();
  EXPECT_THAT(out, HasSubstr("Failed phases: health=timeout"));
  EXPECT_THAT(out, HasSubstr("command_not_found"));
  EXPECT_THAT(out, HasSubstr("restart web [risk low]"));
  EXPECT_THAT(out, HasSubstr("forensic record /var/lib/madre/forensic/madre/20261203T112233Z_web"));
  EXPECT_THAT(out, HasSubstr("retest evidence: web: running, ready"));
  EXPECT_THAT(out, HasSubstr("RESULT: every failure fixed"));
}

TEST_F(AutofixCommandTest, MadreGetsTheRunDirectoryAsAnAbsolutePath) {
  const std::filesystem::path run = WebFailed();
  const std::filesystem::path relative =
      std::filesystem::relative(run / "test_results.json", std::filesystem::current_path());
  ASSERT_TRUE(relative.is_relative());
  world_.madre->OnJson("POST", kIncidents, 202,
                       Incident("web", "fixed", json::array({Cycle("auto", "fixed")}), true));
  EXPECT_EQ(Run({"autofix", "--test-result", relative.string()}), kExitOk) << world_.err.str();
  auto posts = world_.madre->CallsTo("POST", kIncidents);
  ASSERT_EQ(posts.size(), 1u);
  EXPECT_EQ(posts[0].Json()["run_dir"], run.string());
}

TEST_F(AutofixCommandTest, AnIncidentThatEndsNotFixedIsExitNine) {
  const std::string run = WebFailed();
  world_.madre->OnJson("POST", kIncidents, 202,
                       Incident("web", "remediating", json::array({Cycle("auto")})));
  world_.madre->OnJson(
      "GET", std::string(kIncidents) + "/20261203T112233Z_web", 200,
      Incident("web", "quarantined", json::array({Cycle("auto", "not_fixed")}), true));
  EXPECT_EQ(Run({"autofix", "--test-result", run}), kExitNotFixed);
  EXPECT_THAT(world_.out.str(), HasSubstr("not_fixed"));
  EXPECT_THAT(world_.out.str(), HasSubstr("quarantined"));
  EXPECT_THAT(world_.out.str(), HasSubstr("RESULT: not every failure fixed (exit 9)"));
}

TEST_F(AutofixCommandTest, AwaitingApprovalStopsFollowingAndPrintsTheApproveCommand) {
  const std::string run = WebFailed();
  world_.madre->OnJson("POST", kIncidents, 202, Incident("web", "diagnosing", json::array()));
  world_.madre->OnJson("GET", std::string(kIncidents) + "/20261203T112233Z_web", 200,
                       Incident("web", "awaiting_approval", json::array({Cycle("pending")})));
  EXPECT_EQ(Run({"autofix", "--test-result", run}), kExitAwaitingApproval);
  EXPECT_EQ(Gets("web").size(), 1u);  // not waited for
  EXPECT_THAT(world_.err.str(), HasSubstr("approve it with: madre intent approve intent-7"));
  EXPECT_THAT(world_.out.str(), HasSubstr("waits for approval: madre intent approve intent-7"));
}

TEST_F(AutofixCommandTest, TheTimeoutEndsTheWaitWithExitSeven) {
  const std::string run = WebFailed();
  world_.madre->OnJson("POST", kIncidents, 202,
                       Incident("web", "remediating", json::array({Cycle("auto")})));
  world_.madre->OnJson("GET", std::string(kIncidents) + "/20261203T112233Z_web", 200,
                       Incident("web", "remediating", json::array({Cycle("auto")})));
  EXPECT_EQ(Run({"autofix", "--test-result", run, "--timeout", "5s"}), kExitTimeout);
  EXPECT_EQ(Gets("web").size(), 5u);
  EXPECT_EQ(world_.clock->Now() - testing::kTestStart, Seconds(5));
  EXPECT_THAT(world_.err.str(), HasSubstr("web: still remediating after 5s (--timeout)"));
}

TEST_F(AutofixCommandTest, TwoServicesAreFollowedTogetherAndTheWorstDecides) {
  const std::string run =
      WriteRun("20261203T112233Z_E2E_CONDUCTOR",
               Report(json::array({Phase("health", "partial", "db failed", {"db"}),
                                   Phase("flow:web:login", "fail", "HTTP 500"),
                                   Phase("availability", "fail", "web down", {"web"})})))
          .string();
  world_.madre->handler = [](const testing::RecordedCall& call) -> Result<HttpReply> {
    if (call.method == "POST") {
      const std::string service = call.Json()["service"];
      return HttpReply{202, Incident(service, "diagnosing", json::array()).dump()};
    }
    if (call.path.find("_db") != std::string::npos) {
      return HttpReply{200,
                       Incident("db", "fixed", json::array({Cycle("auto", "fixed")}), true).dump()};
    }
    return HttpReply{
        200, Incident("web", "not_fixed", json::array({Cycle("auto", "not_fixed")}), true).dump()};
  };
  EXPECT_EQ(Run({"autofix", "--test-result", run, "--json"}), kExitNotFixed);
  auto posts = world_.madre->CallsTo("POST", kIncidents);
  ASSERT_EQ(posts.size(), 2u);  // one per service, not per phase
  EXPECT_EQ(posts[0].Json()["service"], "db");
  EXPECT_EQ(posts[1].Json()["service"], "web");
  EXPECT_EQ(posts[1].Json()["phase"], "flow:web:login");
  EXPECT_EQ(posts[1].Json()["detail"], "flow:web:login: HTTP 500; availability: web down");
  json out = json::parse(world_.out.str());
  EXPECT_EQ(out["exit_code"], kExitNotFixed);
  EXPECT_EQ(out["incidents"][0]["outcome"], "fixed");
  EXPECT_EQ(out["incidents"][1]["outcome"], "not_fixed");
  EXPECT_EQ(out["incidents"][1]["phases"], json({"flow:web:login", "availability"}));
  EXPECT_EQ(out["incidents"][1]["incident"]["state"], "not_fixed");
}

TEST_F(AutofixCommandTest, AQuarantinedServiceIsRefusedAndNamesTheReset) {
  const std::string run = WebFailed();
  world_.madre->OnJson("POST", kIncidents, 409,
                       {{"error", "web is quarantined"}, {"code", "quarantined"}});
  EXPECT_EQ(Run({"autofix", "--test-result", run}), kExitNotFixed);
  EXPECT_THAT(
      world_.out.str(),
      HasSubstr("web: HTTP 409: web is quarantined (lift it with: madre autofix reset web)"));
  EXPECT_THAT(Gets("web"), IsEmpty());
}

TEST_F(AutofixCommandTest, APhaseNamingNoServiceIsNotFixed) {
  const std::string run =
      WriteRun("20261203T112233Z_E2E_CONDUCTOR",
               Report(json::array({Phase("metrics", "error", "no host metrics")})))
          .string();
  EXPECT_EQ(Run({"autofix", "--test-result", run}), kExitNotFixed);
  EXPECT_THAT(world_.madre->calls, IsEmpty());
  EXPECT_THAT(world_.out.str(), HasSubstr("metrics: not a service's failure"));
}

TEST_F(AutofixCommandTest, NothingToFixIsExitZeroWithoutCallingMadre) {
  WriteRun("20261203T112233Z_E2E_CONDUCTOR",
           Report(json::array({Phase("preflight", "degraded"), Phase("health", "ok")})));
  EXPECT_EQ(Run({"autofix", "--out", (root_ / "out").string()}), kExitOk);
  EXPECT_THAT(world_.out.str(), HasSubstr("nothing to fix"));
  EXPECT_THAT(world_.madre->calls, IsEmpty());
}

TEST_F(AutofixCommandTest, AMissingReportIsAUsageErrorAndChangesNothing) {
  EXPECT_EQ(Run({"autofix", "--out", (root_ / "none").string()}), kExitUsage);
  EXPECT_THAT(world_.err.str(), HasSubstr("madre: no conductor report"));
  EXPECT_EQ(Run({"autofix", "--test-result", (root_ / "x.json").string()}), kExitUsage);
  EXPECT_THAT(world_.madre->calls, IsEmpty());
  EXPECT_EQ(Run({"autofix", "--timeout", "soon"}), kExitUsage);
}

TEST_F(AutofixCommandTest, AMadreThatCannotBeReachedIsExitEight) {
  const std::string run = WebFailed();
  world_.madre->On("POST", kIncidents, Status::Unavailable("connection refused"));
  EXPECT_EQ(Run({"autofix", "--test-result", run}), kExitNoConnect);
  EXPECT_THAT(world_.out.str(), HasSubstr("Stopped: opening the incident of web"));
}

TEST_F(AutofixCommandTest, ResetSaysWhetherTheQuarantineWasLifted) {
  world_.madre->OnJson("POST", "/madre/autofix/reset/web", 200,
                       {{"service", "web"}, {"was_quarantined", true}});
  EXPECT_EQ(Run({"autofix", "reset", "web"}), kExitOk);
  EXPECT_EQ(world_.out.str(), "web: quarantine lifted\n");
  EXPECT_THAT(world_.madre->CallsTo("POST", kIncidents), IsEmpty());  // not `autofix` itself

  world_.out.str("");
  world_.madre->Clear("POST", "/madre/autofix/reset/web");
  world_.madre->OnJson("POST", "/madre/autofix/reset/web", 200,
                       {{"service", "web"}, {"was_quarantined", false}});
  EXPECT_EQ(Run({"autofix", "reset", "web"}), kExitOk);
  EXPECT_EQ(world_.out.str(), "web was not quarantined\n");

  world_.madre->OnJson("POST", "/madre/autofix/reset/nope", 404, {{"error", "no service nope"}});
  EXPECT_EQ(Run({"autofix", "reset", "nope"}), kExitNotFound);
  EXPECT_THAT(world_.err.str(), HasSubstr("madre: no service nope"));
  EXPECT_EQ(Run({"autofix", "reset"}), kExitUsage);
}

TEST_F(AutofixCommandTest, HelpTeachesWithExamples) {
  EXPECT_EQ(Run({"autofix", "--help"}), kExitOk);
  EXPECT_THAT(world_.out.str(), HasSubstr("madre conductor --reason nightly || madre autofix"));
  EXPECT_THAT(world_.out.str(), HasSubstr("madre intent approve ID"));
  world_.out.str("");
  EXPECT_EQ(Run({"autofix", "reset", "--help"}), kExitOk);
  EXPECT_THAT(world_.out.str(), HasSubstr("madre autofix reset switch"));
}

// `madre conductor --autofix`: the autofix outcome is a phase of its own; the exit code stays
// the failed run's.
class ConductorAutofixTest : public AutofixCommandTest {
 protected:
  void SetUp() override {
    AutofixCommandTest::SetUp();
    std::filesystem::create_directories(root_ / "proc");
    std::ofstream(root_ / "proc" / "stat") << "cpu  1000 0 0 9000 0 0 0 0 0 0\n";
    std::ofstream(root_ / "proc" / "meminfo") << "MemTotal: 4000000 kB\nMemAvailable: 3000000 kB\n";
    std::ofstream(root_ / "proc" / "loadavg") << "0.10 0.20 0.30 1/100 42\n";
    world_.proc_root = root_ / "proc";
    json window = {{"window_id", "w1"},
                   {"state", "open"},
                   {"services", {"web"}},
                   {"services_status", {{"web", {{"state", "running"}, {"health", "healthy"}}}}}};
    FakeWorld& w = world_;
    w.madre->OnJson("GET", "/health", 200, {{"status", "ok"}, {"version", "0.1.0"}});
    w.madre->OnJson("GET", "/madre/power/policy/solo_madre/status", 200, {{"policy_active", true}});
    w.madre->OnJson("GET", "/madre/power/audit", 200, json::array());
    w.madre->OnJson("POST", "/madre/power/windows/open", 200, window);
    w.madre->OnJson("GET", "/madre/power/windows/w1", 200, window);
    w.madre->OnJson("GET", "/madre/power/status", 200, {{"services", json::array()}});
    w.madre->OnJson("POST", "/madre/power/windows/close", 200,
                    {{"window_id", "w1"}, {"state", "closed"}});
    w.probe->On("GET", "http://127.0.0.1:9000/health", HttpReply{200, "{}"});
  }

  int RunConductor(std::vector<std::string> extra) {
    std::vector<std::string> args = {"conductor",
                                     "--reason",
                                     "nightly",
                                     "--services",
                                     "web",
                                     "--out",
                                     (root_ / "out").string(),
                                     "--check",
                                     "web=http://127.0.0.1:9000/health",
                                     "--latency-samples",
                                     "0"};
    args.insert(args.end(), extra.begin(), extra.end());
    return Run(args);
  }

  // The conductor's run directories, oldest first.
  std::vector<std::filesystem::path> RunDirs() {
    std::vector<std::filesystem::path> dirs;
    for (const auto& entry : std::filesystem::directory_iterator(root_ / "out")) {
      if (entry.path().filename().string().find("_E2E_CONDUCTOR") != std::string::npos) {
        dirs.push_back(entry.path());
      }
    }
    std::sort(dirs.begin(), dirs.end(), [](const auto& a, const auto& b) {
      const std::string x = a.filename().string(), y = b.filename().string();
      return x.size() != y.size() ? x.size() < y.size() : x < y;  // ..._CONDUCTOR before _2
    });
    return dirs;
  }

  std::vector<json> AllResults() {
    std::vector<json> out;
    for (const auto& dir : RunDirs()) {
      std::ifstream in(dir / "test_results.json");
      std::ostringstream text;
      text << in.rdbuf();
      out.push_back(json::parse(text.str()));
    }
    return out;
  }

  json Results() {
    std::vector<json> all = AllResults();
    return all.empty() ? json(nullptr) : all.front();
  }
};

TEST_F(ConductorAutofixTest, AFixedFailureIsAnOkPhaseAfterTheRunAgainAndTheExitCodeIsTheRuns) {
  world_.madre->OnJson("POST", kIncidents, 202,
                       Incident("web", "fixed", json::array({Cycle("auto", "fixed")}), true));
  // The run again has no --force-fail, and passes; the command still says the run failed.
  EXPECT_EQ(RunConductor({"--force-fail", "health", "--autofix"}), kExitError) << world_.out.str();
  EXPECT_THAT(world_.out.str(), HasSubstr("every failure was fixed: running the conductor again"));
  EXPECT_THAT(world_.out.str(), HasSubstr("The run again:"));
  EXPECT_EQ(world_.madre->CallsTo("POST", "/madre/power/windows/open").size(), 2u);
  auto posts = world_.madre->CallsTo("POST", kIncidents);
  ASSERT_EQ(posts.size(), 1u);
  EXPECT_EQ(posts[0].Json()["service"], "web");
  EXPECT_EQ(posts[0].Json()["phase"], "health");
  EXPECT_THAT(world_.out.str(), HasSubstr("[autofix] ok ("));
  EXPECT_THAT(world_.out.str(), HasSubstr("web fixed (command_not_found)"));
  // The first run's report keeps its failure and gains the autofix phase, which names the
  // run again.
  std::vector<json> runs = AllResults();
  ASSERT_EQ(runs.size(), 2u);
  const json& results = runs[0];
  EXPECT_EQ(results["exit_code"], kExitError);
  EXPECT_EQ(results["overall"], "fail");
  EXPECT_EQ(results["services"], json({"web"}));
  ASSERT_FALSE(results["phases"].empty());
  EXPECT_EQ(results["phases"].back()["name"], "autofix");
  EXPECT_EQ(results["phases"].back()["status"], "ok");
  EXPECT_THAT(results["phases"].back()["detail"].get<std::string>(), HasSubstr("run again"));
  EXPECT_EQ(runs[1]["overall"], "ok");
  EXPECT_EQ(posts[0].Json()["run_dir"], RunDirs()[0].string());
}

TEST_F(ConductorAutofixTest, TheReportRecordsTheSettingsAndMadreAutofixRunsTheSameConductorAgain) {
  EXPECT_EQ(RunConductor({"--force-fail", "health", "--ttl", "90"}), kExitError);
  ASSERT_EQ(RunDirs().size(), 1u);
  const json options = AllResults()[0]["options"];
  EXPECT_EQ(options["services"], json({"web"}));
  EXPECT_EQ(options["ttl"], "90");
  EXPECT_EQ(options["checks"], json({"web=http://127.0.0.1:9000/health"}));
  EXPECT_FALSE(options.contains("force_fail"));  // a drill is never repeated
  world_.madre->OnJson("POST", kIncidents, 202,
                       Incident("web", "fixed", json::array({Cycle("auto", "fixed")}), true));
  world_.out.str("");
  EXPECT_EQ(Run({"autofix", "--out", (root_ / "out").string(), "--json"}), kExitOk)
      << world_.err.str();
  ASSERT_EQ(RunDirs().size(), 2u);  // the run again, beside the failed one
  const json out = json::parse(world_.out.str());
  EXPECT_EQ(out["rerun"]["overall"], "ok");
  EXPECT_EQ(out["rerun"]["run_dir"], RunDirs()[1].string());
  const auto opens = world_.madre->CallsTo("POST", "/madre/power/windows/open");
  ASSERT_EQ(opens.size(), 2u);
  EXPECT_EQ(opens[1].Json()["ttl_sec"], 90);
  EXPECT_THAT(world_.err.str(), HasSubstr("running the conductor again"));
}

TEST_F(AutofixCommandTest, BeforeTheRunAgainMadreIsGivenTimeToReachRestBounded) {
  const char* kSolo = "/madre/power/policy/solo_madre/status";
  world_.madre->OnJson("GET", kSolo, 200,
                       {{"policy_active", false}, {"running_services", {"madre", "web"}}});
  world_.madre->OnJson("GET", kSolo, 200, {{"policy_active", false}});
  world_.madre->OnJson("GET", kSolo, 200, {{"policy_active", true}});
  std::vector<std::string> lines;
  AutofixDeps deps{*world_.madre, *world_.clock,
                   [this](Duration d) {
                     world_.sleeps.push_back(d);
                     world_.clock->Advance(d);
                   },
                   [&lines](const std::string& line) { lines.push_back(line); }};
  EXPECT_TRUE(WaitForRest(deps, Seconds(30)));
  EXPECT_EQ(world_.madre->CallsTo("GET", kSolo).size(), 3u);
  ASSERT_EQ(lines.size(), 1u);  // one line, however long it waits
  EXPECT_THAT(lines[0], HasSubstr("running: madre, web"));
  // Never at rest: it gives up at the bound.
  world_.madre->Clear("GET", kSolo);
  world_.madre->OnJson("GET", kSolo, 200, {{"policy_active", false}});
  const TimePoint before = world_.clock->Now();
  EXPECT_FALSE(WaitForRest(deps, Seconds(5)));
  EXPECT_EQ(world_.clock->Now() - before, Seconds(5));
}

TEST_F(ConductorAutofixTest, ARunAgainThatFailsMakesMadreAutofixExitNine) {
  EXPECT_EQ(RunConductor({"--force-fail", "health"}), kExitError);
  world_.madre->OnJson("POST", kIncidents, 202,
                       Incident("web", "fixed", json::array({Cycle("auto", "fixed")}), true));
  // The readiness re-test passed, but the check the conductor makes still fails.
  world_.probe->Clear("GET", "http://127.0.0.1:9000/health");
  world_.probe->On("GET", "http://127.0.0.1:9000/health", HttpReply{500, "{}"});
  world_.out.str("");
  EXPECT_EQ(Run({"autofix", "--out", (root_ / "out").string()}), kExitNotFixed);
  EXPECT_THAT(world_.out.str(), HasSubstr("Conductor run again: "));
  EXPECT_THAT(world_.out.str(), HasSubstr("failed: availability=fail"));
  EXPECT_THAT(world_.out.str(),
              HasSubstr("every incident re-tested fixed, but the conductor run again failed"));
}

TEST_F(ConductorAutofixTest, NoRerunOrAnOlderReportTrustsTheReTests) {
  EXPECT_EQ(RunConductor({"--force-fail", "health"}), kExitError);
  world_.madre->OnJson("POST", kIncidents, 202,
                       Incident("web", "fixed", json::array({Cycle("auto", "fixed")}), true));
  world_.out.str("");
  EXPECT_EQ(Run({"autofix", "--out", (root_ / "out").string(), "--no-rerun"}), kExitOk);
  EXPECT_THAT(world_.out.str(), HasSubstr("Conductor not run again: --no-rerun"));
  EXPECT_EQ(RunDirs().size(), 1u);
  // A report without `options` (an older madre's): said, and the re-tests decide.
  const std::string run = WebFailed();
  world_.out.str("");
  EXPECT_EQ(Run({"autofix", "--test-result", run}), kExitOk);
  EXPECT_THAT(world_.out.str(), HasSubstr("Conductor not run again: the report has no"));
}

TEST_F(ConductorAutofixTest, ANotFixedFailureIsAFailedPhaseAndTheExitCodeIsTheRuns) {
  world_.madre->OnJson(
      "POST", kIncidents, 202,
      Incident("web", "not_fixed", json::array({Cycle("auto", "not_fixed")}), true));
  EXPECT_EQ(RunConductor({"--force-fail", "availability", "--autofix", "--json"}), kExitError);
  json out = json::parse(world_.out.str());
  EXPECT_EQ(out["phases"].back()["name"], "autofix");
  EXPECT_EQ(out["phases"].back()["status"], "fail");
  EXPECT_EQ(out["autofix"]["exit_code"], kExitNotFixed);
  EXPECT_EQ(Results()["phases"].back()["status"], "fail");
}

TEST_F(ConductorAutofixTest, APassingRunRunsNoAutofix) {
  EXPECT_EQ(RunConductor({"--autofix"}), kExitOk) << world_.out.str();
  EXPECT_THAT(world_.madre->CallsTo("POST", kIncidents), IsEmpty());
  EXPECT_THAT(world_.out.str(), Not(HasSubstr("[autofix]")));
  EXPECT_NE(Results()["phases"].back()["name"], "autofix");
}

TEST_F(ConductorAutofixTest, WithoutTheFlagAFailedRunRunsNoAutofix) {
  EXPECT_EQ(RunConductor({"--force-fail", "health"}), kExitError);
  EXPECT_THAT(world_.madre->CallsTo("POST", kIncidents), IsEmpty());
}

}  // namespace
}  // namespace madre::cli
