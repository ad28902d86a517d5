// GET /madre/autofix/diagnose/{service} (issue 12): the engine's view and Docker's evidence
// make one diagnosis; unknown names and a Docker that does not answer.
#include "http_api/autofix_routes.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "http_api/http_api_test_support.h"
#include "testing/fake_image_builder.h"

namespace madre {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

class AutofixRoutesTest : public HttpApiTest {
 protected:
  AutofixRoutesTest()
      : dir_(std::filesystem::temp_directory_path() /
             ("madre-autofix-" + std::to_string(getpid()) + "-" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name())) {
    std::filesystem::remove_all(dir_);
    options_.forensic_dir = dir_;
  }
  ~AutofixRoutesTest() override {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  std::vector<std::filesystem::path> Records() const {
    std::vector<std::filesystem::path> out;
    std::error_code ec;
    if (!std::filesystem::is_directory(dir_, ec)) return out;
    for (const auto& e : std::filesystem::directory_iterator(dir_)) out.push_back(e.path());
    std::sort(out.begin(), out.end());
    return out;
  }
  static json ReadJson(const std::filesystem::path& file) {
    std::ifstream in(file);
    return json::parse(in, nullptr, false);
  }
  // docker_.calls() answers a copy: counted from one.
  long UpsOf(const std::string& service) {
    const std::vector<std::string> calls = docker_.calls();
    return std::count(calls.begin(), calls.end(), "up " + service);
  }
  // `rounds` times: the clock moves `step`, due timers fire, the engine ticks.
  void Rounds(int rounds, Duration step) {
    for (int round = 0; round < rounds; ++round) {
      clock_.Advance(step);
      timers_.FireDue();
      Drain();
      engine_->Tick();
      Drain();
    }
  }
  int Diagnosed() {
    int n = 0;
    for (const AuditRecord& r : audit_.records()) n += r.action == "autofix.diagnosed";
    return n;
  }

  std::filesystem::path dir_;
};

TEST_F(AutofixRoutesTest, AnExit127IsDiagnosedFromDockersEvidence) {
  FailureEvidence said;
  said.exit_code = 127;
  said.log_lines = {"starting", "sh: nosuchcmd: not found"};
  docker_.SetEvidence("db", said);
  docker_.SetRunning("db", false);
  Build();
  HttpResponse r = Call("GET", "/madre/autofix/diagnose/db");
  ASSERT_EQ(r.status, 200) << r.body;
  const json view = Json(r);
  EXPECT_EQ(view["service"], "db");
  EXPECT_EQ(view["failure"], "readiness");
  EXPECT_EQ(view["cause"], "command_not_found");
  EXPECT_EQ(view["evidence"], json({"State.ExitCode: 127", "log: sh: nosuchcmd: not found"}));
  ASSERT_EQ(view["remediations"].size(), 1u);
  EXPECT_EQ(view["remediations"][0]["kind"], "manual");
  EXPECT_EQ(view["remediations"][0]["risk"], "high");
}

TEST_F(AutofixRoutesTest, AStoppedDependencyComesFromTheEnginesView) {
  FailureEvidence said;
  said.exit_code = 1;
  said.log_lines = {"connecting to db"};
  docker_.SetEvidence("web", said);
  docker_.SetRunning("web", false);
  docker_.SetRunning("db", false);
  Build();
  const json view = Json(Call("GET", "/madre/autofix/diagnose/web"));
  EXPECT_EQ(view["cause"], "dependency_unavailable") << view.dump();
  EXPECT_EQ(view["evidence"][0], "dependency db: exited");
  EXPECT_EQ(view["remediations"][0]["kind"], "start_dependency");
  EXPECT_EQ(view["remediations"][0]["target"], "db");
  EXPECT_EQ(view["remediations"][1]["kind"], "restart");
}

TEST_F(AutofixRoutesTest, AServiceWithoutAContainerIsDiagnosedFromWhatMadreKnows) {
  Build();
  const json view = Json(Call("GET", "/madre/autofix/diagnose/db"));
  EXPECT_EQ(view["cause"], "unknown") << view.dump();
  EXPECT_EQ(view["remediations"][0]["kind"], "manual");
}

TEST_F(AutofixRoutesTest, AnImageThatIsNotOnTheHostIsImageMissing) {
  FakeImageInspector images;  // knows no image
  image_inspector_ = &images;
  docker_.SetRunning("db", false);
  FailureEvidence said;
  said.image = "vx11/db:2";
  said.exit_code = 1;
  docker_.SetEvidence("db", said);
  Build();
  const json view = Json(Call("GET", "/madre/autofix/diagnose/db"));
  EXPECT_EQ(view["cause"], "image_missing") << view.dump();
  EXPECT_THAT(images.asked(), ElementsAre("vx11/db:2"));
}

TEST_F(AutofixRoutesTest, UnknownServicesAndADockerThatDoesNotAnswer) {
  docker_.SetRunning("db", false);
  Build();
  HttpResponse unknown = Call("GET", "/madre/autofix/diagnose/nope");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_THAT(Json(unknown)["detail"].get<std::string>(), HasSubstr("nope"));
  EXPECT_EQ(Call("GET", "/madre/autofix/diagnose/db", "", std::nullopt).status, 401);
  docker_.SetDown(true);
  HttpResponse down = Call("GET", "/madre/autofix/diagnose/db");
  EXPECT_EQ(down.status, 503) << down.body;
  EXPECT_THAT(Json(down)["detail"].get<std::string>(), HasSubstr("Docker did not answer"));
}

TEST_F(AutofixRoutesTest, AWindowServiceThatFailsIsDiagnosedOnceWithAForensicRecord) {
  Build();
  docker_.FailNext("up", Status::Internal("compose up exited 1: Bind for 127.0.0.1:8080 failed: "
                                          "port is already allocated"));
  HttpResponse opened =
      Call("POST", "/madre/power/windows/open", R"({"services":["db"],"ttl_sec":60,"wait":true})");
  ASSERT_NE(Json(opened)["state"], "open") << opened.body;
  const std::vector<std::filesystem::path> records = Records();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_THAT(records[0].filename().string(), ::testing::EndsWith("Z_db"));
  const json context = ReadJson(records[0] / "failure_context.json");
  EXPECT_EQ(context["service"], "db");
  EXPECT_THAT(context["error"].get<std::string>(), HasSubstr("port is already allocated"));
  const json analysis = ReadJson(records[0] / "cycle-1" / "analysis.json");
  EXPECT_EQ(analysis["rule_diagnosis"]["cause"], "port_in_use") << analysis.dump();
  EXPECT_EQ(analysis["window_id"], Json(opened)["window_id"]);
  // port_in_use proposes only `manual`: nothing to approve, the incident ends.
  const json summary = ReadJson(records[0] / "autofix_summary.json");
  EXPECT_EQ(summary["state"], "manual") << summary.dump();
  EXPECT_EQ(summary["cycles"][0]["intent_id"], "");
  std::ifstream patch(records[0] / "cycle-1" / "PATCH_INTENT.md");
  const std::string patch_text((std::istreambuf_iterator<char>(patch)), {});
  EXPECT_THAT(patch_text, HasSubstr("a human must act"));
  EXPECT_EQ(Diagnosed(), 1);
  const std::vector<AuditRecord> all = audit_.records();
  const auto found = std::find_if(
      all.begin(), all.end(), [](const AuditRecord& r) { return r.action == "autofix.diagnosed"; });
  ASSERT_NE(found, all.end());
  const AuditRecord& audited = *found;
  EXPECT_EQ(audited.reason, "port_in_use");
  EXPECT_THAT(audited.detail, HasSubstr(records[0].string()));

  // The listing reads the records back.
  const json listed = Json(Call("GET", "/madre/autofix/diagnoses"));
  ASSERT_EQ(listed["count"], 1) << listed.dump();
  EXPECT_EQ(listed["diagnoses"][0]["cause"], "port_in_use");
  EXPECT_EQ(listed["diagnoses"][0]["incident"], records[0].filename().string());
  HttpRequest zero = Request("GET", "/madre/autofix/diagnoses");
  zero.query["limit"] = "0";
  EXPECT_EQ(Send(zero)->status, 400);
  HttpRequest unknown = Request("GET", "/madre/autofix/diagnoses");
  unknown.query["since"] = "1";
  EXPECT_EQ(Send(unknown)->status, 400);

  // Nothing more while nothing fails again; a new failed open is a new incident, in the same
  // second of the fake clock too.
  engine_->Tick();
  Drain();
  EXPECT_EQ(Diagnosed(), 1);
  clock_.Advance(Seconds(120));  // past the back-off of the failed start
  engine_->Tick();
  Drain();
  docker_.FailNext("up", Status::Internal("compose up exited 1: port is already allocated"));
  Call("POST", "/madre/power/windows/open", R"({"services":["db"],"ttl_sec":60,"wait":true})");
  EXPECT_EQ(Records().size(), 2u);
  EXPECT_EQ(Diagnosed(), 2);
}

TEST_F(AutofixRoutesTest, ByDefaultARestartIsProposedAndWaitsForApprovalWithNothingApplied) {
  Build();
  docker_.CrashOnStart("db");  // exits 1: crash_exit_code, whose first remediation is restart
  HttpResponse opened =
      Call("POST", "/madre/power/windows/open", R"({"services":["db"],"ttl_sec":60,"wait":true})");
  EXPECT_EQ(Json(opened)["state"], "failed") << opened.body;
  ASSERT_EQ(Records().size(), 1u);
  const std::string incident = Records()[0].filename().string();
  const json got = Json(Call("GET", "/madre/autofix/incidents/" + incident));
  EXPECT_EQ(got["state"], "awaiting_approval") << got.dump();
  EXPECT_EQ(got["cycles"][0]["cause"], "crash_exit_code");
  EXPECT_EQ(got["cycles"][0]["remediation"]["kind"], "restart");
  EXPECT_EQ(got["cycles"][0]["approval"], "pending");
  const std::string intent_id = got["cycles"][0]["intent_id"];
  const json intent = Json(Call("GET", "/madre/intents/" + intent_id));
  EXPECT_EQ(intent["state"], "pending") << intent.dump();
  EXPECT_EQ(intent["type"], "remediate");
  std::ifstream patch(Records()[0] / "cycle-1" / "PATCH_INTENT.md");
  const std::string patch_text((std::istreambuf_iterator<char>(patch)), {});
  EXPECT_THAT(patch_text, HasSubstr("waits for approval"));
  EXPECT_THAT(patch_text, HasSubstr("madre intent approve " + intent_id));
  // Nothing is applied while it waits, also when time passes.
  clock_.Advance(Seconds(60));
  timers_.FireDue();
  engine_->Tick();
  Drain();
  EXPECT_EQ(UpsOf("db"), 1);
  // A conductor's report on db while it waits: the same incident.
  EXPECT_EQ(Json(Call("GET", "/madre/autofix/incidents/" + incident))["state"],
            "awaiting_approval");
  HttpResponse again = Call("POST", "/madre/autofix/incidents", R"({"service":"db"})");
  EXPECT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(Json(again)["incident"], incident);
  // Rejected: not fixed, and a new failure is a new incident.
  EXPECT_EQ(Call("POST", "/madre/intents/" + intent_id + "/reject", R"({"reason":"no"})").status,
            200);
  const json rejected = Json(Call("GET", "/madre/autofix/incidents/" + incident));
  EXPECT_EQ(rejected["state"], "not_fixed") << rejected.dump();
  EXPECT_EQ(rejected["cycles"][0]["approval"], "rejected");
  clock_.Advance(Seconds(300));
  engine_->Tick();
  Drain();
  Call("POST", "/madre/power/windows/open", R"({"services":["db"],"ttl_sec":60,"wait":true})");
  EXPECT_EQ(Records().size(), 2u);
}

int CountAudited(const std::vector<AuditRecord>& records, const std::string& action) {
  return static_cast<int>(std::count_if(records.begin(), records.end(),
                                        [&](const AuditRecord& r) { return r.action == action; }));
}

TEST_F(AutofixRoutesTest, AnAutoApprovedRestartFixesAServiceThatFailedOnceAndTheWindowOpens) {
  autofix_holds_ = true;
  options_.autofix.policy.auto_actions = {RemediationKind::kRestart};
  Build();
  docker_.CrashOnStart("db", 1);  // the first start exits 1, the next runs
  HttpResponse opened =
      Call("POST", "/madre/power/windows/open", R"({"services":["db"],"ttl_sec":60})");
  const std::string window = Json(opened)["window_id"];
  Drain();
  // The window waits while autofix remediates: db shows `remediating`.
  json w = Json(Call("GET", "/madre/power/windows/" + window));
  EXPECT_EQ(w["state"], "opening") << w.dump();
  EXPECT_EQ(w["services_status"]["db"]["state"], "remediating") << w.dump();
  ASSERT_EQ(Records().size(), 1u);
  const std::string incident = Records()[0].filename().string();
  json got = Json(Call("GET", "/madre/autofix/incidents/" + incident));
  EXPECT_EQ(got["state"], "remediating") << got.dump();
  EXPECT_EQ(got["cycles"][0]["remediation"]["kind"], "restart");
  EXPECT_EQ(got["cycles"][0]["approval"], "auto");
  // The restart waits for its back-off (2 s in cycle 1), then db starts fine.
  EXPECT_EQ(UpsOf("db"), 1);
  clock_.Advance(Seconds(2));
  timers_.FireDue();
  Drain();
  engine_->Tick();
  Drain();
  EXPECT_EQ(UpsOf("db"), 2);
  w = Json(Call("GET", "/madre/power/windows/" + window));
  EXPECT_EQ(w["state"], "open") << w.dump();
  got = Json(Call("GET", "/madre/autofix/incidents/" + incident));
  EXPECT_EQ(got["state"], "fixed") << got.dump();
  EXPECT_EQ(got["final"], true);
  EXPECT_EQ(got["cycles"][0]["retest"], "fixed");
  EXPECT_THAT(got["cycles"][0]["result"].get<std::string>(), HasSubstr("started db again"));
  const json intent =
      Json(Call("GET", "/madre/intents/" + got["cycles"][0]["intent_id"].get<std::string>()));
  EXPECT_EQ(intent["state"], "succeeded") << intent.dump();
  EXPECT_EQ(ReadJson(Records()[0] / "cycle-1" / "retest_result.json")["fixed"], true);
  EXPECT_EQ(ReadJson(Records()[0] / "cycle-1" / "patch_result.json")["applied"], true);
  EXPECT_EQ(ReadJson(Records()[0] / "autofix_summary.json")["state"], "fixed");
  EXPECT_EQ(CountAudited(audit_.records(), "autofix.retested"), 1);
}

TEST_F(AutofixRoutesTest, AServiceThatKeepsFailingIsQuarantinedAfterTheCycleLimitAndAuditedOnce) {
  autofix_holds_ = true;
  options_.autofix.policy.auto_actions = {RemediationKind::kRestart};
  options_.autofix.policy.max_cycles = 2;
  Build();
  docker_.CrashOnStart("db");
  HttpResponse opened =
      Call("POST", "/madre/power/windows/open", R"({"services":["db"],"ttl_sec":60})");
  const std::string window = Json(opened)["window_id"];
  Drain();
  for (int round = 0; round < 4; ++round) {
    clock_.Advance(Seconds(60));
    timers_.FireDue();
    Drain();
    engine_->Tick();
    Drain();
  }
  ASSERT_EQ(Records().size(), 1u);
  const json got =
      Json(Call("GET", "/madre/autofix/incidents/" + Records()[0].filename().string()));
  EXPECT_EQ(got["state"], "quarantined") << got.dump();
  ASSERT_EQ(got["cycles"].size(), 3u) << got.dump();
  EXPECT_EQ(got["cycles"][0]["retest"], "not_fixed");
  EXPECT_EQ(got["cycles"][1]["retest"], "not_fixed");
  EXPECT_EQ(got["cycles"][2]["remediation"]["kind"], "quarantine");
  EXPECT_EQ(CountAudited(audit_.records(), "autofix.gave_up"), 1);
  EXPECT_EQ(Json(Call("GET", "/madre/power/windows/" + window))["state"], "failed");
  // A window that needs it is refused while it is quarantined; the reset lifts it.
  HttpResponse refused =
      Call("POST", "/madre/power/windows/open", R"({"services":["web"],"ttl_sec":60})");
  EXPECT_EQ(refused.status, 409) << refused.body;
  EXPECT_EQ(Json(refused)["code"], "quarantined");
  const json reset = Json(Call("POST", "/madre/autofix/reset/db"));
  EXPECT_EQ(reset["was_quarantined"], true) << reset.dump();
  EXPECT_EQ(Json(Call("POST", "/madre/autofix/reset/db"))["was_quarantined"], false);
  EXPECT_EQ(CountAudited(audit_.records(), "autofix.reset"), 2);
  EXPECT_NE(Call("POST", "/madre/power/windows/open", R"({"services":["db"],"ttl_sec":60})").status,
            409);
}

TEST_F(AutofixRoutesTest, AnApprovedRestartAfterItsWindowFailedStartsAHoldAndIsRetested) {
  Build();
  docker_.CrashOnStart("db");
  Call("POST", "/madre/power/windows/open", R"({"services":["db"],"ttl_sec":60,"wait":true})");
  ASSERT_EQ(Records().size(), 1u);
  const std::string incident = Records()[0].filename().string();
  json got = Json(Call("GET", "/madre/autofix/incidents/" + incident));
  const std::string intent_id = got["cycles"][0]["intent_id"];
  ASSERT_EQ(Call("POST", "/madre/intents/" + intent_id + "/approve", "{}").status, 200);
  Rounds(4, Seconds(5));
  got = Json(Call("GET", "/madre/autofix/incidents/" + incident));
  ASSERT_GE(got["cycles"].size(), 2u) << got.dump();
  EXPECT_EQ(got["cycles"][0]["approval"], "approved");
  EXPECT_THAT(got["cycles"][0]["result"].get<std::string>(), HasSubstr("service hold"));
  EXPECT_EQ(got["cycles"][0]["retest"], "not_fixed");
  EXPECT_EQ(got["state"], "awaiting_approval");  // the next cycle's proposal waits again
  EXPECT_EQ(UpsOf("db"), 2);
}

TEST_F(AutofixRoutesTest, TheServiceHoldOfARemediationEndsWithTheIncident) {
  Build();
  docker_.CrashOnStart("db", 1);  // its window fails; the approved restart runs it
  Call("POST", "/madre/power/windows/open", R"({"services":["db"],"ttl_sec":60,"wait":true})");
  ASSERT_EQ(Records().size(), 1u);
  const std::string incident = Records()[0].filename().string();
  json got = Json(Call("GET", "/madre/autofix/incidents/" + incident));
  const std::string intent_id = got["cycles"][0]["intent_id"];
  ASSERT_EQ(Call("POST", "/madre/intents/" + intent_id + "/approve", "{}").status, 200);
  Rounds(3, Seconds(5));
  got = Json(Call("GET", "/madre/autofix/incidents/" + incident));
  EXPECT_EQ(got["state"], "fixed") << got.dump();
  EXPECT_THAT(got["cycles"][0]["result"].get<std::string>(),
              HasSubstr("closed when the incident ends"));
  // Nothing but the re-test wanted db: its hold is closed and db is back at rest.
  const json windows = Json(Call("GET", "/madre/power/windows"));
  for (const json& w : windows.value("windows", json::array())) {
    EXPECT_NE(w.value("state", ""), "open") << w.dump();
  }
  bool db_runs = false;
  const Result<std::vector<ContainerState>> listed = docker_.ListProject();
  ASSERT_TRUE(listed.ok());
  for (const ContainerState& c : *listed) {
    db_runs = db_runs || (c.service == "db" && c.Running());
  }
  EXPECT_FALSE(db_runs);
  EXPECT_EQ(UpsOf("db"), 2);
}

TEST_F(AutofixRoutesTest, IncidentsAreReadBackFromTheirRecordsAtStartAndTheInterruptedOnesEnd) {
  auto write = [this](const std::string& name, const std::string& text) {
    std::filesystem::create_directories(dir_ / name);
    std::ofstream(dir_ / name / "autofix_summary.json") << text;
  };
  const json cycle = {
      {"cycle", 1},
      {"failure", "readiness"},
      {"cause", "crash_exit_code"},
      {"evidence", {"State.ExitCode: 1"}},
      {"remediation",
       {{"kind", "restart"}, {"target", "db"}, {"risk", "low"}, {"text", "restart"}}},
      {"from_adviser", false},
      {"intent_id", "intent-x"},
      {"approval", "auto"},
      {"applied", true},
      {"result", "started db again"},
      {"retest", "fixed"},
      {"retest_evidence", {"phase: running"}},
      {"adviser", nullptr}};
  json fixed = {{"incident", "20261124T090000Z_db"},
                {"service", "db"},
                {"kind", "readiness"},
                {"state", "fixed"},
                {"started_at", "2026-11-24T09:00:00Z"},
                {"cycles", {cycle}}};
  write("20261124T090000Z_db", fixed.dump());
  json diagnosing = {{"incident", "20261124T091000Z_web"},
                     {"service", "web"},
                     {"kind", "crash_loop"},
                     {"state", "diagnosing"},
                     {"cycles", json::array()}};
  write("20261124T091000Z_web", diagnosing.dump());
  write("20261124T092000Z_db", "{not json");
  Build();
  json got = Json(Call("GET", "/madre/autofix/incidents/20261124T090000Z_db"));
  EXPECT_EQ(got["state"], "fixed") << got.dump();
  EXPECT_EQ(got["kind"], "readiness");
  ASSERT_EQ(got["cycles"].size(), 1u);
  EXPECT_EQ(got["cycles"][0], cycle);  // read back as written
  got = Json(Call("GET", "/madre/autofix/incidents/20261124T091000Z_web"));
  EXPECT_EQ(got["state"], "not_fixed") << got.dump();
  EXPECT_THAT(got["detail"].get<std::string>(),
              HasSubstr("madre restarted while it was diagnosing"));
  EXPECT_EQ(ReadJson(dir_ / "20261124T091000Z_web" / "autofix_summary.json")["state"], "not_fixed");
  EXPECT_EQ(Call("GET", "/madre/autofix/incidents/20261124T092000Z_db").status, 404);
}

// Answers what it is given and records every request (what would be sent).
class RecordingAdviser : public Adviser {
 public:
  Result<Advice> Advise(const AdviceRequest& request) override {
    requests.push_back(request);
    return answer;
  }
  std::vector<AdviceRequest> requests;
  Result<Advice> answer = Advice{};
};

TEST_F(AutofixRoutesTest, TheAdvisersPickIsProposedButWaitsForAHumanAndItsSecretsAreGiven) {
  autofix_holds_ = true;
  options_.autofix.policy.auto_actions = {RemediationKind::kRestart};
  RecordingAdviser adviser;
  Advice advice;
  advice.remediation = Remediation{RemediationKind::kRestart, "db", "restart db"};
  advice.explanation = "a flake";
  advice.masked_prompt = "the masked prompt";
  advice.model = "stub-model";
  adviser.answer = advice;
  adviser_ = &adviser;
  Build();
  FailureEvidence env;
  env.env_values = {"hunter2-password", "postgres://u:pw@db/x"};
  docker_.SetEvidence("db", env);
  docker_.CrashOnStart("db");
  Call("POST", "/madre/power/windows/open", R"({"services":["db"],"ttl_sec":60,"wait":true})");
  ASSERT_EQ(adviser.requests.size(), 1u);
  const AdviceRequest& asked = adviser.requests[0];
  EXPECT_EQ(asked.diagnosis.cause, FailureCause::kCrashExitCode);
  EXPECT_EQ(asked.evidence.exit_code, 1);
  // The secrets to mask: madre's token and the service's environment values.
  EXPECT_THAT(asked.secrets,
              ::testing::IsSupersetOf({std::string("secret"), std::string("hunter2-password"),
                                       std::string("postgres://u:pw@db/x")}));
  ASSERT_EQ(Records().size(), 1u);
  const json got =
      Json(Call("GET", "/madre/autofix/incidents/" + Records()[0].filename().string()));
  // A restart is in VX11_AUTOFIX_AUTO_ACTIONS, but the adviser picked it: it waits.
  EXPECT_EQ(got["state"], "awaiting_approval") << got.dump();
  EXPECT_EQ(got["cycles"][0]["from_adviser"], true);
  EXPECT_EQ(got["cycles"][0]["approval"], "pending");
  EXPECT_EQ(got["cycles"][0]["adviser"]["masked_prompt"], "the masked prompt");
  EXPECT_EQ(UpsOf("db"), 1);
  const json analysis = ReadJson(Records()[0] / "cycle-1" / "analysis.json");
  EXPECT_EQ(analysis["adviser"]["model"], "stub-model") << analysis.dump();
  // The environment values are never written to the forensic record.
  std::ifstream in(Records()[0] / "failure_context.json");
  const std::string context((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(context.find("hunter2-password"), std::string::npos);
}

TEST_F(AutofixRoutesTest, AnApprovedRecreateRecreatesTheContainerForTheWindowThatWantsIt) {
  RecordingAdviser adviser;
  Advice advice;
  advice.remediation = Remediation{RemediationKind::kRecreate, "web", "recreate web"};
  adviser.answer = advice;
  adviser_ = &adviser;
  Build();
  docker_.CrashOnStart("web", 1);
  HttpResponse opened =
      Call("POST", "/madre/power/windows/open", R"({"services":["web"],"ttl_sec":60,"wait":true})");
  // db (its dependency) runs: the window opens with web failed, and still wants it.
  EXPECT_EQ(Json(opened)["state"], "open") << opened.body;
  ASSERT_EQ(Records().size(), 1u);
  const std::string incident = Records()[0].filename().string();
  json got = Json(Call("GET", "/madre/autofix/incidents/" + incident));
  ASSERT_EQ(got["state"], "awaiting_approval") << got.dump();
  EXPECT_EQ(got["cycles"][0]["remediation"]["kind"], "recreate");
  const std::string intent_id = got["cycles"][0]["intent_id"];
  ASSERT_EQ(Call("POST", "/madre/intents/" + intent_id + "/approve", "{}").status, 200);
  Drain();
  engine_->Tick();
  Drain();
  const std::vector<std::string> calls = docker_.calls();
  EXPECT_EQ(std::count(calls.begin(), calls.end(), "recreate web"), 1);
  got = Json(Call("GET", "/madre/autofix/incidents/" + incident));
  EXPECT_EQ(got["state"], "fixed") << got.dump();
  EXPECT_THAT(got["cycles"][0]["result"].get<std::string>(), HasSubstr("--force-recreate"));
}

// Without a build executor (VX11_PROVIDER=swarm, or a DOCKER_HOST that is not unix://), an
// approved rebuild is not applied, says what a build needs, and the incident ends not fixed.
TEST_F(AutofixRoutesTest, AnApprovedRebuildWithoutABuildExecutorIsNotAppliedAndSaysWhy) {
  RecordingAdviser adviser;
  Advice advice;
  advice.remediation = Remediation{RemediationKind::kRebuild, "web", "rebuild web"};
  adviser.answer = advice;
  adviser_ = &adviser;
  Build();
  docker_.CrashOnStart("web", 1);
  Call("POST", "/madre/power/windows/open", R"({"services":["web"],"ttl_sec":60,"wait":true})");
  ASSERT_EQ(Records().size(), 1u);
  const std::string incident = Records()[0].filename().string();
  json got = Json(Call("GET", "/madre/autofix/incidents/" + incident));
  ASSERT_EQ(got["state"], "awaiting_approval") << got.dump();
  EXPECT_EQ(got["cycles"][0]["remediation"]["kind"], "rebuild");
  const long ups = UpsOf("web");
  const std::string intent_id = got["cycles"][0]["intent_id"];
  ASSERT_EQ(Call("POST", "/madre/intents/" + intent_id + "/approve", "{}").status, 200);
  Drain();
  engine_->Tick();
  Drain();
  EXPECT_EQ(UpsOf("web"), ups);  // nothing built, nothing started again
  got = Json(Call("GET", "/madre/autofix/incidents/" + incident));
  EXPECT_EQ(got["state"], "not_fixed") << got.dump();
  EXPECT_EQ(got["cycles"][0]["applied"], false) << got.dump();
  EXPECT_THAT(got["cycles"][0]["result"].get<std::string>(),
              HasSubstr("not applied: madre has no build executor (image builds need "
                        "VX11_PROVIDER=compose and the Engine API: a unix:// DOCKER_HOST)"));
}

TEST_F(AutofixRoutesTest, AnAnswerTheAdviserCouldNotUseChangesNothing) {
  autofix_holds_ = true;
  options_.autofix.policy.auto_actions = {RemediationKind::kRestart};
  RecordingAdviser adviser;
  Advice advice;
  advice.rejected = "the answer is not JSON";
  advice.answer = "I think you should reboot the host";
  adviser.answer = advice;
  adviser_ = &adviser;
  Build();
  docker_.CrashOnStart("db", 1);
  Call("POST", "/madre/power/windows/open", R"({"services":["db"],"ttl_sec":60})");
  Drain();
  ASSERT_EQ(Records().size(), 1u);
  const std::string id = Records()[0].filename().string();
  json got = Json(Call("GET", "/madre/autofix/incidents/" + id));
  // The rules' restart, auto-approved as without an adviser; the answer kept for the record.
  EXPECT_EQ(got["cycles"][0]["from_adviser"], false) << got.dump();
  EXPECT_EQ(got["cycles"][0]["approval"], "auto");
  EXPECT_EQ(got["cycles"][0]["adviser"]["rejected"], "the answer is not JSON");
  EXPECT_EQ(got["cycles"][0]["adviser"]["answer"], "I think you should reboot the host");
  clock_.Advance(Seconds(2));
  timers_.FireDue();
  Drain();
  EXPECT_EQ(Json(Call("GET", "/madre/autofix/incidents/" + id))["state"], "fixed");
}

TEST_F(AutofixRoutesTest, AConductorPhaseIsReportedAsAnIncidentAndReadBack) {
  Build();
  HttpResponse bad = Call("POST", "/madre/autofix/incidents", R"({"service":"nope"})");
  EXPECT_EQ(bad.status, 404) << bad.body;
  EXPECT_EQ(Call("POST", "/madre/autofix/incidents", R"({"service":"db","x":"1"})").status, 400);
  EXPECT_EQ(Call("POST", "/madre/autofix/incidents", "[]").status, 400);
  HttpResponse made =
      Call("POST", "/madre/autofix/incidents",
           R"({"service":"db","phase":"availability","detail":"GET /health: 503"})");
  EXPECT_EQ(made.status, 202) << made.body;
  const std::string id = Json(made)["incident"];
  const json got = Json(Call("GET", "/madre/autofix/incidents/" + id));
  EXPECT_EQ(got["kind"], "conductor_phase") << got.dump();
  EXPECT_EQ(got["phase"], "availability");
  EXPECT_EQ(got["cycles"].size(), 1u);
  // db never ran: nothing explains it (unknown): manual, final; a new report is a new incident.
  EXPECT_EQ(got["state"], "manual") << got.dump();
  HttpResponse again = Call("POST", "/madre/autofix/incidents", R"({"service":"db"})");
  EXPECT_EQ(again.status, 202) << again.body;
  EXPECT_NE(Json(again)["incident"], id);
  EXPECT_EQ(Call("GET", "/madre/autofix/incidents/nope").status, 404);
  // A remediate intent is madre's own: a client cannot submit one.
  HttpResponse submitted =
      Call("POST", "/madre/intent", R"({"type":"remediate","payload":{"service":"db"}})");
  EXPECT_EQ(submitted.status, 400) << submitted.body;
}

TEST_F(AutofixRoutesTest, WithoutAForensicDirNothingIsDiagnosedByItself) {
  options_.forensic_dir.clear();
  Build();
  docker_.FailNext("up", Status::Internal("compose up exited 1"));
  Call("POST", "/madre/power/windows/open", R"({"services":["db"],"ttl_sec":60,"wait":true})");
  EXPECT_EQ(Diagnosed(), 0);
  EXPECT_EQ(Json(Call("GET", "/madre/autofix/diagnoses"))["count"], 0);
}

TEST(IncidentDirNameTest, IsTheUtcSecondAndTheService) {
  const TimePoint t = ParseRfc3339("2026-12-03T11:22:33.456Z").value();
  EXPECT_EQ(IncidentDirName(t, "switch"), "20261203T112233Z_switch");
}

}  // namespace
}  // namespace madre
