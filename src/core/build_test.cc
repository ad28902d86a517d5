#include "core/build.h"

#include <map>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace madre {
namespace {

using ::testing::HasSubstr;

const TimePoint kT0 = FromMicros(1'795'514'400'000'000);

ServiceModel Model() {
  ServiceModel model;
  ServiceDef app;
  app.name = "app";
  app.build = BuildDef{"/srv/vx11/app", "/srv/vx11/app/Dockerfile"};
  app.image = "vx11_app";
  model.services["app"] = app;
  ServiceDef db;
  db.name = "db";
  db.image = "redis:7";
  model.services["db"] = db;
  return model;
}

// A filesystem of symlinks: a path whose prefix is a link resolves through it; a path under
// "/missing" cannot be resolved.
CanonicalPathFn Links(std::map<std::string, std::string> links) {
  return [links](const std::string& path) -> Result<std::string> {
    if (path.rfind("/missing", 0) == 0) return Status::NotFound("no such directory");
    for (const auto& entry : links) {
      const std::string& from = entry.first;
      if (path == from || path.rfind(from + "/", 0) == 0) {
        return entry.second + path.substr(from.size());
      }
    }
    return path;
  };
}

TEST(CheckBuildRequestTest, TheServiceAloneBuildsWhatTheModelNames) {
  Result<BuildPlan> plan = CheckBuildRequest(Model(), {"app", "", ""}, "/srv/vx11", Links({}));
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ(*plan, (BuildPlan{"app", "vx11_app", "/srv/vx11/app", "/srv/vx11/app/Dockerfile"}));
}

TEST(CheckBuildRequestTest, RelativeAndAbsolutePathsToTheSameFilesPass) {
  EXPECT_TRUE(
      CheckBuildRequest(Model(), {"app", "app/Dockerfile", "./app"}, "/srv/vx11", Links({})).ok());
  EXPECT_TRUE(CheckBuildRequest(Model(),
                                {"app", "/srv/vx11/app/../app/Dockerfile", "/srv/vx11/app"},
                                "/srv/vx11", Links({}))
                  .ok());
}

TEST(CheckBuildRequestTest, UnknownServiceOrNoBuildIsRefused) {
  Result<BuildPlan> unknown = CheckBuildRequest(Model(), {"nope", "", ""}, "/srv/vx11", Links({}));
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(unknown.status().message(), HasSubstr("'nope' is not a service"));
  Result<BuildPlan> no_build = CheckBuildRequest(Model(), {"db", "", ""}, "/srv/vx11", Links({}));
  ASSERT_FALSE(no_build.ok());
  EXPECT_THAT(no_build.status().message(), HasSubstr("has no build:"));
  EXPECT_FALSE(CheckBuildRequest(Model(), {"", "", ""}, "/srv/vx11", Links({})).ok());
  EXPECT_FALSE(CheckBuildRequest(Model(), {"a b", "", ""}, "/srv/vx11", Links({})).ok());
}

TEST(CheckBuildRequestTest, APathToOtherFilesIsRefusedNamingBoth) {
  Result<BuildPlan> other =
      CheckBuildRequest(Model(), {"app", "other/Dockerfile", ""}, "/srv/vx11", Links({}));
  ASSERT_FALSE(other.ok());
  EXPECT_THAT(other.status().message(), HasSubstr("dockerfile_path 'other/Dockerfile'"));
  EXPECT_THAT(other.status().message(), HasSubstr("/srv/vx11/app/Dockerfile"));
  EXPECT_FALSE(CheckBuildRequest(Model(), {"app", "", "/etc"}, "/srv/vx11", Links({})).ok());
  EXPECT_FALSE(
      CheckBuildRequest(Model(), {"app", "", "../vx11x/app"}, "/srv/vx11", Links({})).ok());
}

TEST(CheckBuildRequestTest, ASymlinkOutOfTheComposeDirIsRefused) {
  // The request names a link that leads elsewhere: not the model's files.
  EXPECT_FALSE(CheckBuildRequest(Model(), {"app", "", "link"}, "/srv/vx11",
                                 Links({{"/srv/vx11/link", "/etc"}}))
                   .ok());
  // The model's context itself is a link out of the compose directory.
  Result<BuildPlan> escaped = CheckBuildRequest(Model(), {"app", "", ""}, "/srv/vx11",
                                                Links({{"/srv/vx11/app", "/home/x/app"}}));
  ASSERT_FALSE(escaped.ok());
  EXPECT_THAT(escaped.status().message(), HasSubstr("outside the compose directory"));
  // A link that stays inside and leads to the same directory is the same files.
  EXPECT_TRUE(CheckBuildRequest(Model(), {"app", "", "alias"}, "/srv/vx11",
                                Links({{"/srv/vx11/alias", "/srv/vx11/app"}}))
                  .ok());
}

TEST(CheckBuildRequestTest, AnUnresolvablePathIsAClearError) {
  Result<BuildPlan> plan =
      CheckBuildRequest(Model(), {"app", "/missing/Dockerfile", ""}, "/srv/vx11", Links({}));
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(plan.status().message(), HasSubstr("cannot be resolved"));
}

TEST(CheckBuildContextSizeTest, OverTheCapIsRefused) {
  EXPECT_TRUE(CheckBuildContextSize("/c", 200ull * 1024 * 1024, 200).ok());
  Status over = CheckBuildContextSize("/c", 200ull * 1024 * 1024 + 1, 200);
  EXPECT_EQ(over.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(over.message(), HasSubstr("VX11_BUILD_CONTEXT_MAX_MB"));
  EXPECT_THAT(over.message(), HasSubstr("201 MiB"));
}

TEST(BuildApprovalViewTest, CarriesThePlanTheHashAndTheReplacedImage) {
  const BuildPlan plan{"app", "vx11_app", "/srv/vx11/app", "/srv/vx11/app/Dockerfile"};
  const BuildApprovalView view = MakeBuildApprovalView(plan, "abc", "sha256:old", 42);
  EXPECT_EQ(view.context, "/srv/vx11/app");
  EXPECT_EQ(view.dockerfile_sha256, "abc");
  EXPECT_EQ(view.image_replaced, "sha256:old");
  EXPECT_EQ(view.image, "vx11_app");
  EXPECT_EQ(view.context_bytes, 42u);
}

BuildRecord Running() {
  BuildRecord r;
  r.id = 7;
  r.service = "app";
  r.started_at = kT0;
  r.image_before = "sha256:old";
  r.log_path = "/state/builds/7.log";
  return r;
}

TEST(ReconcileUnfinishedBuildTest, NoStagingImageMeansTheBuildFailed) {
  const BuildRecord r = ReconcileUnfinishedBuild(Running(), "", "sha256:old", kT0 + Seconds(3));
  EXPECT_EQ(r.outcome, BuildOutcomeKind::kFailed);
  EXPECT_EQ(r.error, kRestartedDuringBuild);
  EXPECT_EQ(r.image_after, "sha256:old");
  EXPECT_EQ(r.finished_at, kT0 + Seconds(3));
  EXPECT_EQ(r.duration_ms, 3000);
  // Even when the service's image changed meanwhile (something else built it): not this build.
  EXPECT_EQ(ReconcileUnfinishedBuild(Running(), "", "sha256:other", kT0).outcome,
            BuildOutcomeKind::kFailed);
}

TEST(ReconcileUnfinishedBuildTest, AStagingImageMeansItFinished) {
  const BuildRecord r =
      ReconcileUnfinishedBuild(Running(), "sha256:new", "sha256:old", kT0 + Seconds(1));
  EXPECT_EQ(r.outcome, BuildOutcomeKind::kSucceeded);
  EXPECT_EQ(r.image_after, "sha256:new");
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(r.id, 7);
}

TEST(StagingImageTest, ReplacesTheTagAndKeepsARegistryPort) {
  EXPECT_EQ(StagingImage("vx11_app", 7), "vx11_app:madre-build-7");
  EXPECT_EQ(StagingImage("vx11-app:1.2", 12), "vx11-app:madre-build-12");
  EXPECT_EQ(StagingImage("localhost:5000/team/app", 3), "localhost:5000/team/app:madre-build-3");
  EXPECT_EQ(StagingImage("localhost:5000/app:v1", 3), "localhost:5000/app:madre-build-3");
  EXPECT_EQ(StagingImage("app@sha256:abc", 4), "app:madre-build-4");
}

TEST(StagingImageTest, TheComposeFileNamesTheServiceAndTheStagingImage) {
  EXPECT_EQ(StagingComposeFile("app", "vx11_app:madre-build-7"),
            "# Written by madre for one build: the build tags this name, not the service's "
            "image.\nservices:\n  app:\n    image: \"vx11_app:madre-build-7\"\n");
}

TEST(BuildOutcomeTest, NamesRoundTrip) {
  for (BuildOutcomeKind k :
       {BuildOutcomeKind::kRunning, BuildOutcomeKind::kSucceeded, BuildOutcomeKind::kFailed}) {
    EXPECT_EQ(ParseBuildOutcome(BuildOutcomeName(k)), k);
  }
  EXPECT_FALSE(ParseBuildOutcome("done").has_value());
}

}  // namespace
}  // namespace madre
