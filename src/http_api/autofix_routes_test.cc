// GET /madre/autofix/diagnose/{service} (issue 12): the engine's view and Docker's evidence
// make one diagnosis; unknown names and a Docker that does not answer.
#include "http_api/autofix_routes.h"

#include "http_api/http_api_test_support.h"
#include "testing/fake_image_builder.h"

namespace madre {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

class AutofixRoutesTest : public HttpApiTest {};

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

}  // namespace
}  // namespace madre
