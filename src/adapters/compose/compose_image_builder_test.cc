#include "adapters/compose/compose_image_builder.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "adapters/compose/build_files.h"
#include "adapters/sqlite/test_temp_dir.h"
#include "testing/fake_image_builder.h"
#include "testing/fake_process_runner.h"

namespace madre {
namespace {

using ::testing::ElementsAre;
using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::StartsWith;

std::string ReadAll(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

ComposeTarget Target(ComposeFlavor flavor) {
  ComposeTarget target;
  target.command = flavor == ComposeFlavor::kV1 ? std::vector<std::string>{"docker-compose"}
                                                : std::vector<std::string>{"docker", "compose"};
  target.flavor = flavor;
  target.project = "vx11";
  target.files = {"docker-compose.yml"};
  target.working_dir = "/srv/vx11";
  return target;
}

class ComposeImageBuilderTest : public ::testing::Test {
 protected:
  ComposeImageBuilder Builder(ComposeFlavor flavor = ComposeFlavor::kV1,
                              ComposeImageBuilderOptions options = {}) {
    return ComposeImageBuilder(Target(flavor), processes_, images_, options);
  }
  BuildRequest Request() {
    return {.service = "app",
            .image = "vx11_app",
            .log_path = (dir_.path() / "b" / "1.log").string(),
            .staging_image = "",
            .staging_file = ""};
  }

  TestTempDir dir_;
  FakeProcessRunner processes_;
  FakeImageInspector images_;
};

TEST_F(ComposeImageBuilderTest, RunsComposeBuildForTheServiceAndReadsBothImageIds) {
  images_.SetImage("vx11_app", "sha256:old");
  ProcessResult done;
  done.exit_code = 0;
  done.output = "Step 1/2 : FROM madre-busybox:latest\nSuccessfully tagged vx11_app:latest\n";
  done.elapsed_ms = 4200;
  processes_.Push(done);
  ComposeImageBuilder builder = Builder(ComposeFlavor::kV1, {Seconds(90), 1024});
  Result<BuildOutcome> outcome = builder.Build(Request());
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  EXPECT_TRUE(outcome->ok) << outcome->error;
  EXPECT_EQ(outcome->image_before, "sha256:old");
  EXPECT_EQ(outcome->duration_ms, 4200);
  ASSERT_EQ(processes_.specs().size(), 1u);
  const ProcessSpec spec = processes_.specs()[0];
  EXPECT_THAT(spec.argv, ElementsAre("docker-compose", "-p", "vx11", "-f", "docker-compose.yml",
                                     "build", "app"));
  EXPECT_EQ(spec.working_dir, "/srv/vx11");
  EXPECT_EQ(spec.timeout, Seconds(90));
  EXPECT_TRUE(spec.keep_tail);
  EXPECT_EQ(spec.max_output_bytes, 1024u);
  EXPECT_EQ(ReadAll(dir_.path() / "b" / "1.log"), done.output);
  EXPECT_THAT(images_.asked(), ElementsAre("vx11_app", "vx11_app"));
}

BuildRequest Staged(const std::filesystem::path& dir) {
  return {.service = "app",
          .image = "vx11_app",
          .log_path = (dir / "b" / "1.log").string(),
          .staging_image = "vx11_app:madre-build-1",
          .staging_file = (dir / "b" / "1.compose.yml").string()};
}

TEST_F(ComposeImageBuilderTest, AStagedBuildTagsItsOwnNameAndMovesTheServicesNameOnSuccess) {
  images_.SetImage("vx11_app", "sha256:old");
  images_.SetImage("vx11_app:madre-build-1", "sha256:new");  // what compose built
  processes_.PushExit(0, "Successfully tagged vx11_app:madre-build-1\n");
  ComposeImageBuilder builder = Builder();
  const BuildRequest request = Staged(dir_.path());
  Result<BuildOutcome> outcome = builder.Build(request);
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  EXPECT_TRUE(outcome->ok) << outcome->error;
  EXPECT_EQ(outcome->image_before, "sha256:old");
  EXPECT_EQ(outcome->image_after, "sha256:new");
  EXPECT_THAT(processes_.specs()[0].argv,
              ElementsAre("docker-compose", "-p", "vx11", "-f", "docker-compose.yml", "-f",
                          request.staging_file, "build", "app"));
  EXPECT_FALSE(std::filesystem::exists(request.staging_file)) << "removed after the build";
  EXPECT_EQ(images_.ImageId("vx11_app:madre-build-1").value(), "") << "the staging name is gone";
}

TEST_F(ComposeImageBuilderTest, AFailedStagedBuildLeavesTheServicesImageAlone) {
  images_.SetImage("vx11_app", "sha256:old");
  images_.SetImage("vx11_app:madre-build-1", "sha256:half");
  processes_.PushExit(1, "The command '/bin/sh -c false' returned a non-zero code: 1\n");
  ComposeImageBuilder builder = Builder();
  Result<BuildOutcome> outcome = builder.Build(Staged(dir_.path()));
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  EXPECT_FALSE(outcome->ok);
  EXPECT_EQ(outcome->image_after, "sha256:old");
  EXPECT_EQ(images_.ImageId("vx11_app").value(), "sha256:old");
  EXPECT_EQ(images_.ImageId("vx11_app:madre-build-1").value(), "");
}

TEST_F(ComposeImageBuilderTest, V2RunsThePluginsBuild) {
  images_.SetImage("vx11-app", "sha256:x");
  processes_.PushExit(0, "built\n");
  ComposeImageBuilder builder = Builder(ComposeFlavor::kV2Plugin);
  ASSERT_TRUE(builder.Build({"app", "vx11-app", "", "", ""}).ok());
  EXPECT_THAT(processes_.commands(),
              ElementsAre("docker compose -p vx11 -f docker-compose.yml build app"));
}

TEST_F(ComposeImageBuilderTest, AFailedBuildIsAnOutcomeWithTheExitAndTheLastLine) {
  images_.SetImage("vx11_app", "sha256:old");
  processes_.PushExit(1, "Step 2/2 : COPY nope /\nCOPY failed: file not found\n");
  Result<BuildOutcome> outcome = Builder().Build(Request());
  ASSERT_TRUE(outcome.ok());
  EXPECT_FALSE(outcome->ok);
  EXPECT_THAT(outcome->error, HasSubstr("exited with code 1: COPY failed: file not found"));
  EXPECT_EQ(outcome->image_after, "sha256:old");
  EXPECT_THAT(ReadAll(dir_.path() / "b" / "1.log"), HasSubstr("COPY failed"));
}

TEST_F(ComposeImageBuilderTest, ATimeoutIsAFailureNamingTheSetting) {
  processes_.PushTimeout("Step 1/2\n");
  Result<BuildOutcome> outcome = Builder(ComposeFlavor::kV1, {Seconds(600), 1024}).Build(Request());
  ASSERT_TRUE(outcome.ok());
  EXPECT_FALSE(outcome->ok);
  EXPECT_THAT(outcome->error, HasSubstr("timed out after 600 s (VX11_BUILD_TIMEOUT_SEC)"));
}

TEST_F(ComposeImageBuilderTest, ExitZeroWithoutAnImageIsAFailure) {
  processes_.PushExit(0, "");
  Result<BuildOutcome> outcome = Builder().Build(Request());
  ASSERT_TRUE(outcome.ok());
  EXPECT_FALSE(outcome->ok);
  EXPECT_THAT(outcome->error, HasSubstr("no image named vx11_app"));
}

TEST_F(ComposeImageBuilderTest, TheLogKeepsTheTailAndSaysItWasCut) {
  processes_.PushExit(0, std::string(5000, 'x') + "\nthe end\n");
  images_.SetImage("vx11_app", "sha256:a");
  Result<BuildOutcome> outcome = Builder(ComposeFlavor::kV1, {Seconds(600), 2048}).Build(Request());
  ASSERT_TRUE(outcome.ok());
  EXPECT_TRUE(outcome->log_truncated);
  const std::string log = ReadAll(dir_.path() / "b" / "1.log");
  EXPECT_THAT(log, EndsWith("the end\n" + BuildLogCutLine(2048)));
  EXPECT_THAT(log, StartsWith("xxx"));
  EXPECT_LE(log.size(), 2048 + BuildLogCutLine(2048).size());
}

TEST_F(ComposeImageBuilderTest, BadRequestsAndDockerDownAreErrorsAndRunNothing) {
  EXPECT_EQ(Builder().Build({"a b", "x", "", "", ""}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(Builder().Build({"app", "", "", "", ""}).status().code(), StatusCode::kInvalidArgument);
  images_.set_fail(true);
  EXPECT_FALSE(Builder().Build(Request()).ok());
  EXPECT_TRUE(processes_.specs().empty());
}

TEST_F(ComposeImageBuilderTest, ComposeThatCannotStartIsAnError) {
  processes_.PushFailure(Status::NotFound("docker-compose: not found"));
  EXPECT_EQ(Builder().Build(Request()).status().code(), StatusCode::kNotFound);
}

// build_files.h

TEST(BuildFilesTest, SizeHashAndCanonicalPathsOfARealTree) {
  TestTempDir dir;
  std::filesystem::create_directories(dir.path() / "ctx" / "sub");
  std::ofstream(dir.path() / "ctx" / "Dockerfile") << "FROM scratch\n";
  std::ofstream(dir.path() / "ctx" / "sub" / "f") << std::string(1000, 'a');
  std::filesystem::create_symlink("/etc", dir.path() / "ctx" / "etc");  // not followed
  Result<std::uint64_t> bytes = DirectoryBytes((dir.path() / "ctx").string(), 1 << 20);
  ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
  EXPECT_EQ(*bytes, 1013u);
  EXPECT_GT(DirectoryBytes((dir.path() / "ctx").string(), 10).value(), 10u);
  EXPECT_FALSE(DirectoryBytes((dir.path() / "nope").string(), 10).ok());

  EXPECT_EQ(FileSha256((dir.path() / "ctx" / "Dockerfile").string()).value(),
            "bb57c7da220a8753d7bdabac0d3afdb6efa742e4c736c5bc93ab40dfd5e23b9b");
  EXPECT_FALSE(FileSha256((dir.path() / "nope").string()).ok());

  std::filesystem::create_directory_symlink(dir.path() / "ctx", dir.path() / "alias");
  Result<std::string> canonical = WeaklyCanonicalPath((dir.path() / "alias" / "x" / "..").string());
  ASSERT_TRUE(canonical.ok());
  EXPECT_EQ(*canonical, std::filesystem::canonical(dir.path() / "ctx").string());
}

}  // namespace
}  // namespace madre
