// Autofix's cycles on the real dockerd (issue 12; docs/autofix.md): with the default settings a
// failure is proposed as a `remediate` intent and nothing is applied until it is approved; with
// VX11_AUTOFIX_AUTO_ACTIONS=restart a service that fails once is restarted, re-tested `fixed`
// and its window opens, and one that keeps failing is quarantined after the cycle limit,
// audited once, and refused (409 `quarantined`) until `POST /madre/autofix/reset/{service}`.
// docker-compose v1.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "docker_env.h"
#include "madre_process.h"

namespace madre::itest {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

class AutofixLoopTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MADRE_NEED_DOCKER();
    if (!RunCommandForTest({"docker-compose", "version"}, {}, std::chrono::seconds(30)).ok()) {
      MADRE_SKIP_OR_FAIL() << "docker-compose (v1) is not installed";
    }
    EnsureImages();
    project_ = UniqueProjectName("mafloop");
    dir_ = std::filesystem::temp_directory_path() / ("madre_" + project_);
    std::filesystem::create_directories(dir_ / "flag");
    std::filesystem::create_directories(dir_ / "www");
    std::ofstream(dir_ / "www" / "health") << "{\"status\":\"ok\"}\n";
    web_port_ = FreeLoopbackPort();
    std::ofstream(dir_ / "docker-compose.yml")
        << "services:\n"
           // Fails its first start, runs from the second on (the flag survives on the host).
           "  flaky:\n"
           "    image: madre-busybox:latest\n"
           "    stop_grace_period: 1s\n"
           "    volumes: [\""
        << (dir_ / "flag").string()
        << ":/flag\"]\n"
           "    command: [\"sh\", \"-c\", \"if [ -e /flag/ok ]; then exec sleep 300; fi; "
           "touch /flag/ok; echo 'first start: exiting'; exit 1\"]\n"
           // Exits while its container holds /broken (a restart keeps the container's files;
           // a recreate starts from the image again).
           "  stale:\n"
           "    image: madre-busybox:latest\n"
           "    stop_grace_period: 1s\n"
           "    command: [\"sh\", \"-c\", \"if [ -e /broken ]; then echo 'state is broken'; "
           "exit 4; fi; exec sleep 300\"]\n"
           // Like flaky, but serves /health over HTTP once it runs (the conductor checks it).
           "  webflaky:\n"
           "    image: madre-busybox:latest\n"
           "    stop_grace_period: 1s\n"
           "    ports: [\"127.0.0.1:"
        << web_port_
        << ":8080\"]\n"
           "    volumes: [\""
        << (dir_ / "www").string()
        << ":/www\"]\n"
           "    command: [\"sh\", \"-c\", \"if [ -e /www/ok ]; then exec httpd -f -p 8080 -h /www; "
           "fi; touch /www/ok; echo 'first start: exiting'; exit 1\"]\n"
           "  doomed:\n"
           "    image: madre-busybox:latest\n"
           "    command: [\"sh\", \"-c\", \"echo 'panic: bad state'; exit 3\"]\n";
    compose_ = std::make_unique<ComposeProject>(project_, dir_ / "docker-compose.yml");
  }

  void StartMadre(const std::string& auto_actions) {
    std::map<std::string, std::string> env{
        {"VX11_COMPOSE_PROJECT", project_},     {"VX11_COMPOSE_DIR", dir_.string()},
        {"VX11_COMPOSE_CMD", "docker-compose"}, {"VX11_ALWAYS_ON", "madre"},
        {"VX11_THROTTLE_CPU_PCT", "0"},         {"VX11_AUTOFIX_MAX_CYCLES", "2"}};
    if (!auto_actions.empty()) env["VX11_AUTOFIX_AUTO_ACTIONS"] = auto_actions;
    madre_ = std::make_unique<MadreProcess>(env);
    ASSERT_TRUE(madre_->Start());
  }

  void TearDown() override {
    if (madre_ && HasFailure()) std::cerr << "madre log:\n" << madre_->log() << std::endl;
    madre_.reset();
    compose_.reset();  // `down`
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  // The incident of `service`, once the listing has one; its id.
  std::string IncidentOf(const std::string& service) {
    std::string id;
    json listed;
    EXPECT_TRUE(WaitUntil(
        [&] {
          listed = madre_->Get("/madre/autofix/diagnoses").Json();
          for (const json& d : listed.value("diagnoses", json::array())) {
            if (d.value("service", "") == service) id = d.value("incident", "");
          }
          return !id.empty();
        },
        std::chrono::seconds(30)))
        << listed.dump();
    return id;
  }

  json WaitForState(const std::string& id, const std::string& state, std::chrono::seconds max) {
    json got;
    EXPECT_TRUE(WaitUntil(
        [&] {
          got = madre_->Get("/madre/autofix/incidents/" + id).Json();
          return got.value("state", "") == state;
        },
        max))
        << got.dump();
    return got;
  }

  // Opens a window of `service`, which fails to start, and answers the incident it becomes.
  std::string FailedWindowIncident(const std::string& service) {
    HttpAnswer opened =
        madre_->Post("/madre/power/windows/open", R"({"services":[")" + service +
                                                      R"("],"ttl_sec":120,)"
                                                      R"("wait":true,"wait_timeout_sec":30})");
    EXPECT_EQ(opened.Json().value("state", ""), "failed") << opened.body;
    return IncidentOf(service);
  }

  // The environment of a `madre` CLI run against this madre.
  EnvVars CliEnv() const {
    return {{"VX11_MADRE_URL", madre_->Url("")},
            {"VX11_TOKEN", madre_->token()},
            {"VX11_TENTACULO_LINK_TOKEN", ""}};
  }

  bool WaitForSoloMadre() {
    return WaitUntil(
        [&] {
          return madre_->Get("/madre/power/policy/solo_madre/status")
              .Json()
              .value("policy_active", false);
        },
        std::chrono::seconds(30));
  }

  int Audited(const std::string& action) {
    const json audit = madre_->Get("/madre/power/audit?limit=500").Json();
    int n = 0;
    for (const json& r : audit.value("records", json::array()))
      n += r.value("action", "") == action;
    return n;
  }

  std::string project_;
  std::filesystem::path dir_;
  int web_port_ = 0;
  std::unique_ptr<ComposeProject> compose_;
  std::unique_ptr<MadreProcess> madre_;
};

TEST_F(AutofixLoopTest, ByDefaultARemediateIntentWaitsAndNothingIsAppliedUntilApproved) {
  StartMadre("");
  const std::string id = FailedWindowIncident("doomed");
  ASSERT_FALSE(id.empty());
  json got = WaitForState(id, "awaiting_approval", std::chrono::seconds(30));
  ASSERT_EQ(got["cycles"].size(), 1u) << got.dump();
  EXPECT_EQ(got["cycles"][0]["cause"], "crash_exit_code");
  EXPECT_EQ(got["cycles"][0]["remediation"]["kind"], "restart");
  const std::string intent = got["cycles"][0]["intent_id"];
  EXPECT_EQ(madre_->Get("/madre/intents/" + intent).Json()["state"], "pending");
  EXPECT_EQ(Audited("service.retry"), 0);
  EXPECT_EQ(Audited("service.start"), 0);
  // Approved: applied (a service hold: its window failed), re-tested, not fixed (it exits 3
  // again), and the next cycle's proposal waits again.
  HttpAnswer approved = madre_->Post("/madre/intents/" + intent + "/approve", "{}");
  ASSERT_EQ(approved.status, 200) << approved.body;
  ASSERT_TRUE(WaitUntil(
      [&] {
        got = madre_->Get("/madre/autofix/incidents/" + id).Json();
        return got.value("cycles", json::array()).size() >= 2u;
      },
      std::chrono::seconds(90)))
      << got.dump();
  EXPECT_EQ(got["cycles"][0]["approval"], "approved") << got.dump();
  EXPECT_THAT(got["cycles"][0]["result"].get<std::string>(), HasSubstr("doomed"));
  EXPECT_EQ(got["cycles"][0]["retest"], "not_fixed") << got.dump();
  const std::filesystem::path record = got["forensic_dir"].get<std::string>();
  for (const char* file :
       {"failure_context.json", "autofix_summary.json", "cycle-1/analysis.json",
        "cycle-1/PATCH_INTENT.md", "cycle-1/patch_result.json", "cycle-1/retest_result.json"}) {
    EXPECT_TRUE(std::filesystem::exists(record / file)) << file;
  }
}

TEST_F(AutofixLoopTest, AutoRestartFixesAServiceThatFailsOnceAndQuarantinesOneThatKeepsFailing) {
  StartMadre("restart");
  // flaky: fails its first start; the window stays opening while autofix restarts it.
  HttpAnswer opened = madre_->Post("/madre/power/windows/open",
                                   R"({"services":["flaky"],"ttl_sec":300,"wait":true,)"
                                   R"("wait_timeout_sec":60})");
  EXPECT_EQ(opened.Json().value("state", ""), "open") << opened.body;
  const std::string flaky = IncidentOf("flaky");
  ASSERT_FALSE(flaky.empty());
  json got = WaitForState(flaky, "fixed", std::chrono::seconds(60));
  EXPECT_EQ(got["cycles"][0]["approval"], "auto") << got.dump();
  EXPECT_EQ(got["cycles"][0]["retest"], "fixed");
  EXPECT_GE(Audited("autofix.retested"), 1);
  const std::string window = opened.Json().value("window_id", "");
  EXPECT_EQ(madre_->Get("/madre/power/windows/" + window).Json()["state"], "open");
  EXPECT_EQ(
      madre_->Post("/madre/power/windows/close", R"({"window_id":")" + window + R"("})").status,
      200);

  // doomed: always exits 3: two cycles, then the quarantine, audited once.
  EXPECT_TRUE(WaitUntil(
      [&] {
        return madre_->Post("/madre/power/windows/open",
                            R"({"services":["doomed"],"ttl_sec":300})")
                       .status /
                   100 ==
               2;  // 202: opening
      },
      std::chrono::seconds(30)));
  const std::string doomed = IncidentOf("doomed");
  ASSERT_FALSE(doomed.empty());
  got = WaitForState(doomed, "quarantined", std::chrono::seconds(120));
  EXPECT_EQ(got["cycles"].size(), 3u) << got.dump();
  EXPECT_EQ(Audited("autofix.gave_up"), 1);
  HttpAnswer refused =
      madre_->Post("/madre/power/windows/open", R"({"services":["doomed"],"ttl_sec":60})");
  EXPECT_EQ(refused.status, 409) << refused.body;
  EXPECT_EQ(refused.Json().value("code", ""), "quarantined");
  // The quarantine survives a restart of madre; the reset lifts it.
  madre_->Kill9();
  ASSERT_TRUE(madre_->Start());
  EXPECT_TRUE(WaitUntil(
      [&] {
        return madre_->Post("/madre/power/windows/open", R"({"services":["doomed"],"ttl_sec":60})")
                   .status == 409;
      },
      std::chrono::seconds(30)));
  HttpAnswer reset = madre_->Post("/madre/autofix/reset/doomed", "{}");
  EXPECT_EQ(reset.status, 200) << reset.body;
  EXPECT_EQ(reset.Json()["was_quarantined"], true);
}

// A container whose own files went bad: restarting it does not help, so the next cycle
// escalates to the rules' next remediation, a recreate from the compose definition, which
// fixes it and the window opens.
TEST_F(AutofixLoopTest, WhenARestartDoesNotHelpTheNextCycleRecreatesTheContainer) {
  StartMadre("restart,recreate");
  HttpAnswer opened = madre_->Post("/madre/power/windows/open",
                                   R"({"services":["stale"],"ttl_sec":300,"wait":true,)"
                                   R"("wait_timeout_sec":60})");
  ASSERT_EQ(opened.Json().value("state", ""), "open") << opened.body;
  const CommandOutput id = compose_->Compose({"ps", "-q", "stale"});
  ASSERT_TRUE(id.ok()) << id.output;
  std::string container = id.output.substr(0, id.output.find('\n'));
  ASSERT_FALSE(container.empty());
  ASSERT_TRUE(RunCommandForTest({"docker", "exec", container, "touch", "/broken"}).ok());
  const std::string first = opened.Json().value("window_id", "");
  ASSERT_EQ(
      madre_->Post("/madre/power/windows/close", R"({"window_id":")" + first + R"("})").status,
      200);
  // The next open starts the stopped container, which exits 4: autofix restarts it (still
  // broken), then recreates it.
  HttpAnswer again;
  ASSERT_TRUE(WaitUntil(
      [&] {
        again =
            madre_->Post("/madre/power/windows/open", R"({"services":["stale"],"ttl_sec":300})");
        return again.status / 100 == 2;
      },
      std::chrono::seconds(30)))
      << again.body;
  const std::string incident = IncidentOf("stale");
  ASSERT_FALSE(incident.empty());
  json got = WaitForState(incident, "fixed", std::chrono::seconds(120));
  ASSERT_EQ(got.value("cycles", json::array()).size(), 2u) << got.dump();
  EXPECT_EQ(got["cycles"][0]["remediation"]["kind"], "restart");
  EXPECT_EQ(got["cycles"][0]["retest"], "not_fixed");
  EXPECT_EQ(got["cycles"][1]["remediation"]["kind"], "recreate");
  EXPECT_EQ(got["cycles"][1]["approval"], "auto");
  EXPECT_THAT(got["cycles"][1]["result"].get<std::string>(), HasSubstr("--force-recreate"));
  EXPECT_EQ(got["cycles"][1]["retest"], "fixed");
  const CommandOutput now = compose_->Compose({"ps", "-q", "stale"});
  EXPECT_EQ(now.output.substr(0, now.output.find('\n')).rfind(container, 0), std::string::npos)
      << "the container was not recreated: " << now.output;
  const std::string window = again.Json().value("window_id", "");
  EXPECT_TRUE(WaitUntil(
      [&] {
        return madre_->Get("/madre/power/windows/" + window).Json().value("state", "") == "open";
      },
      std::chrono::seconds(30)));
}

// `madre conductor` fails on a service, then `madre autofix` on its report: the incident's
// forensic record with real content, and an honest exit code (10: the remediation waits for
// approval, nothing was applied).
TEST_F(AutofixLoopTest, MadreAutofixAfterAFailedConductorRunTellsWhatWaitsAndExits10) {
  StartMadre("");
  const std::filesystem::path out = dir_ / "conductor";
  std::filesystem::create_directories(out);
  const EnvVars env = CliEnv();
  CommandOutput run = RunCommandForTest(
      {MADRE_BINARY, "conductor", "--reason", "itest", "--out", out.string(), "--cpu-threshold",
       "100", "--services", "doomed", "--health-timeout", "30s"},
      env, std::chrono::seconds(180));
  EXPECT_NE(run.exit_code, 0) << run.output;
  CommandOutput fix = RunCommandForTest(
      {MADRE_BINARY, "autofix", "--out", out.string(), "--timeout", "60s", "--json"}, env,
      std::chrono::seconds(120));
  EXPECT_EQ(fix.exit_code, 10) << fix.output;
  EXPECT_THAT(fix.output, HasSubstr("doomed"));
  EXPECT_THAT(fix.output, HasSubstr("awaiting_approval"));
  const std::string id = IncidentOf("doomed");
  ASSERT_FALSE(id.empty());
  const json got = madre_->Get("/madre/autofix/incidents/" + id).Json();
  const std::filesystem::path record = got["forensic_dir"].get<std::string>();
  std::ifstream context_in(record / "failure_context.json");
  const json context = json::parse(context_in, nullptr, false);
  EXPECT_EQ(context.value("exit_code", 0), 3) << context.dump();
  std::ifstream patch_in(record / "cycle-1" / "PATCH_INTENT.md");
  const std::string patch((std::istreambuf_iterator<char>(patch_in)), {});
  EXPECT_THAT(patch, HasSubstr("crash_exit_code"));
  EXPECT_THAT(patch, HasSubstr("madre intent approve"));
  std::ifstream summary_in(record / "autofix_summary.json");
  EXPECT_EQ(json::parse(summary_in, nullptr, false).value("state", ""), "awaiting_approval");
  // Nothing was applied: no patch result.
  EXPECT_FALSE(std::filesystem::exists(record / "cycle-1" / "patch_result.json"));
}

// The whole loop from the CLI: the conductor fails on a service, `madre autofix` proposes a
// restart that waits (exit 10), the operator approves it, `madre autofix` again follows it to
// `fixed`, and runs the same conductor again, which passes: exit 0. The service hold that the
// restart needed (its window had failed) ends with the incident.
TEST_F(AutofixLoopTest, AfterAnApprovedFixMadreAutofixRunsTheConductorAgainAndItPasses) {
  StartMadre("");
  const std::filesystem::path out = dir_ / "conductor";
  std::filesystem::create_directories(out);
  const EnvVars env = CliEnv();
  const std::string check = "webflaky=http://127.0.0.1:" + std::to_string(web_port_) + "/health";
  CommandOutput run =
      RunCommandForTest({MADRE_BINARY, "conductor", "--reason", "itest", "--out", out.string(),
                         "--cpu-threshold", "100", "--services", "webflaky", "--health-timeout",
                         "30s", "--check", check, "--latency-samples", "0"},
                        env, std::chrono::seconds(180));
  ASSERT_NE(run.exit_code, 0) << run.output;
  CommandOutput waits = RunCommandForTest(
      {MADRE_BINARY, "autofix", "--out", out.string(), "--timeout", "60s", "--json"}, env,
      std::chrono::seconds(120));
  ASSERT_EQ(waits.exit_code, 10) << waits.output;
  const std::string id = IncidentOf("webflaky");
  ASSERT_FALSE(id.empty());
  const json got = madre_->Get("/madre/autofix/incidents/" + id).Json();
  const std::string intent = got["cycles"][0]["intent_id"];
  ASSERT_EQ(madre_->Post("/madre/intents/" + intent + "/approve", "{}").status, 200);
  CommandOutput fixed = RunCommandForTest(
      {MADRE_BINARY, "autofix", "--out", out.string(), "--timeout", "120s", "--json"}, env,
      std::chrono::seconds(300));
  EXPECT_EQ(fixed.exit_code, 0) << fixed.output;
  const std::size_t brace = fixed.output.find("{\n");
  ASSERT_NE(brace, std::string::npos) << fixed.output;
  const json result = json::parse(fixed.output.substr(brace), nullptr, false);
  ASSERT_TRUE(result.is_object()) << fixed.output;
  EXPECT_EQ(result["incidents"][0]["outcome"], "fixed") << result.dump();
  ASSERT_TRUE(result["rerun"].is_object()) << result.dump();
  EXPECT_EQ(result["rerun"]["overall"], "ok") << result.dump();
  EXPECT_EQ(result["rerun"]["exit_code"], 0);
  // The run again is a new run directory beside the failed one, with the same settings.
  int runs = 0;
  for (const auto& entry : std::filesystem::directory_iterator(out)) runs += entry.is_directory();
  EXPECT_EQ(runs, 2);
  // Nothing keeps webflaky up any more: SOLO_MADRE.
  EXPECT_TRUE(WaitForSoloMadre());
}

// Incidents outlive madre: after a kill -9, an incident that waits for approval is answered
// again as it was, its approval applies it, and it ends fixed.
TEST_F(AutofixLoopTest, AnIncidentWaitingForApprovalSurvivesAKill9AndIsAppliedAfterwards) {
  StartMadre("");
  const std::string id = FailedWindowIncident("flaky");
  ASSERT_FALSE(id.empty());
  const json before = WaitForState(id, "awaiting_approval", std::chrono::seconds(30));
  madre_->Kill9();
  ASSERT_TRUE(madre_->Start());
  HttpAnswer again = madre_->Get("/madre/autofix/incidents/" + id);
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(again.Json()["state"], "awaiting_approval");
  EXPECT_EQ(again.Json()["cycles"], before["cycles"]);
  const std::string intent = before["cycles"][0]["intent_id"];
  ASSERT_EQ(madre_->Post("/madre/intents/" + intent + "/approve", "{}").status, 200);
  const json got = WaitForState(id, "fixed", std::chrono::seconds(60));
  EXPECT_EQ(got["cycles"][0]["applied"], true) << got.dump();
  // The service hold the restart needed ends with the incident: SOLO_MADRE again.
  EXPECT_TRUE(WaitForSoloMadre());
}

}  // namespace
}  // namespace madre::itest
