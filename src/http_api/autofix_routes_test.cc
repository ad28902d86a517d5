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
  const json analysis = ReadJson(records[0] / "analysis.json");
  EXPECT_EQ(analysis["rule_diagnosis"]["cause"], "port_in_use") << analysis.dump();
  EXPECT_EQ(analysis["window_id"], Json(opened)["window_id"]);
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
