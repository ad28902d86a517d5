#include "adapters/compose/compose_argv.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace madre {
namespace {

using ::testing::ElementsAre;
using Argv = std::vector<std::string>;

ComposeTarget V2() {
  ComposeTarget t;
  t.command = {"docker", "compose"};
  t.flavor = ComposeFlavor::kV2Plugin;
  t.project = "vx11";
  t.files = {"docker-compose.yml", "docker-compose.override.yml"};
  t.working_dir = "/srv/vx11";
  return t;
}

ComposeTarget V1() {
  ComposeTarget t = V2();
  t.command = {"docker-compose"};
  t.flavor = ComposeFlavor::kV1;
  return t;
}

const Argv kV2Prefix = {"docker", "compose",
                        "-p",     "vx11",
                        "-f",     "docker-compose.yml",
                        "-f",     "docker-compose.override.yml"};
const Argv kV1Prefix = {"docker-compose",
                        "-p",
                        "vx11",
                        "-f",
                        "docker-compose.yml",
                        "-f",
                        "docker-compose.override.yml"};

Argv Concat(Argv a, const Argv& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

TEST(ComposeArgvTest, ConfigV2AsksForJson) {
  EXPECT_EQ(ComposeArgv(V2(), ComposeVerb::kConfig, {}),
            Concat(kV2Prefix, {"--profile", "*", "config", "--format", "json"}));
}

TEST(ComposeArgvTest, ConfigV1IsPlainYaml) {
  EXPECT_EQ(ComposeArgv(V1(), ComposeVerb::kConfig, {}), Concat(kV1Prefix, {"config"}));
}

TEST(ComposeArgvTest, ConfigHashV2TakesTheWildcardAsTheNextWord) {
  EXPECT_EQ(ComposeArgv(V2(), ComposeVerb::kConfigHash, {}),
            Concat(kV2Prefix, {"--profile", "*", "config", "--hash", "*"}));
}

TEST(ComposeArgvTest, ConfigHashV1TakesTheWildcardInTheSameWord) {
  // docopt (v1) reads `--hash=*`; verified with docker-compose 1.29.2.
  EXPECT_EQ(ComposeArgv(V1(), ComposeVerb::kConfigHash, {}),
            Concat(kV1Prefix, {"config", "--hash=*"}));
}

TEST(ComposeArgvTest, UpIsDetachedWithoutDepsOrBuild) {
  const Argv tail = {"up", "-d", "--no-deps", "--no-build", "db", "web"};
  EXPECT_EQ(ComposeArgv(V2(), ComposeVerb::kUp, {"db", "web"}), Concat(kV2Prefix, tail));
  EXPECT_EQ(ComposeArgv(V1(), ComposeVerb::kUp, {"db", "web"}), Concat(kV1Prefix, tail));
}

TEST(ComposeArgvTest, UpDoesNotPreventRecreation) {
  const Argv argv = ComposeArgv(V2(), ComposeVerb::kUp, {"web"});
  EXPECT_EQ(std::count(argv.begin(), argv.end(), "--no-recreate"), 0);
}

TEST(ComposeArgvTest, BuildNamesOneServiceInBothFlavors) {
  EXPECT_EQ(ComposeArgv(V2(), ComposeVerb::kBuild, {"web"}), Concat(kV2Prefix, {"build", "web"}));
  EXPECT_EQ(ComposeArgv(V1(), ComposeVerb::kBuild, {"web"}), Concat(kV1Prefix, {"build", "web"}));
  EXPECT_STREQ(ComposeVerbName(ComposeVerb::kBuild), "build");
}

TEST(ComposeArgvTest, StopAndRestartNameTheServices) {
  EXPECT_EQ(ComposeArgv(V2(), ComposeVerb::kStop, {"web"}), Concat(kV2Prefix, {"stop", "web"}));
  EXPECT_EQ(ComposeArgv(V1(), ComposeVerb::kStop, {"web"}), Concat(kV1Prefix, {"stop", "web"}));
  EXPECT_EQ(ComposeArgv(V2(), ComposeVerb::kRestart, {"a", "b"}),
            Concat(kV2Prefix, {"restart", "a", "b"}));
  EXPECT_EQ(ComposeArgv(V1(), ComposeVerb::kRestart, {"a"}), Concat(kV1Prefix, {"restart", "a"}));
  const Argv recreate = {"up", "-d", "--no-deps", "--no-build", "--force-recreate", "web"};
  EXPECT_EQ(ComposeArgv(V2(), ComposeVerb::kRecreate, {"web"}), Concat(kV2Prefix, recreate));
  EXPECT_EQ(ComposeArgv(V1(), ComposeVerb::kRecreate, {"web"}), Concat(kV1Prefix, recreate));
}

TEST(ComposeArgvTest, PsV2ListsAllAsJson) {
  EXPECT_EQ(ComposeArgv(V2(), ComposeVerb::kPs, {}),
            Concat(kV2Prefix, {"--profile", "*", "ps", "--all", "--format", "json"}));
}

TEST(ComposeArgvTest, PsV1ListsAllIds) {
  EXPECT_EQ(ComposeArgv(V1(), ComposeVerb::kPs, {}), Concat(kV1Prefix, {"ps", "-a", "-q"}));
}

TEST(ComposeArgvTest, CreateDoesNotStart) {
  const Argv tail = {"up", "--no-start", "--no-deps", "--no-build", "web"};
  EXPECT_EQ(ComposeArgv(V2(), ComposeVerb::kCreate, {"web"}), Concat(kV2Prefix, tail));
  EXPECT_EQ(ComposeArgv(V1(), ComposeVerb::kCreate, {"web"}), Concat(kV1Prefix, tail));
}

TEST(ComposeArgvTest, ProjectAndFilesComeBeforeTheVerb) {
  ComposeTarget t = V1();
  t.files = {"a.yml"};
  EXPECT_THAT(ComposeArgv(t, ComposeVerb::kStop, {"x"}),
              ElementsAre("docker-compose", "-p", "vx11", "-f", "a.yml", "stop", "x"));
  t.files = {};
  EXPECT_THAT(ComposeArgv(t, ComposeVerb::kStop, {"x"}),
              ElementsAre("docker-compose", "-p", "vx11", "stop", "x"));
}

TEST(ComposeArgvTest, ServiceNameRules) {
  EXPECT_TRUE(IsValidServiceName("web"));
  EXPECT_TRUE(IsValidServiceName("tentaculo_link"));
  EXPECT_TRUE(IsValidServiceName("a.b-c_d"));
  EXPECT_TRUE(IsValidServiceName("0web"));
  EXPECT_TRUE(IsValidServiceName(std::string(63, 'a')));
  EXPECT_FALSE(IsValidServiceName(std::string(64, 'a')));
  EXPECT_FALSE(IsValidServiceName(""));
  EXPECT_FALSE(IsValidServiceName("-rm"));
  EXPECT_FALSE(IsValidServiceName("_x"));
  EXPECT_FALSE(IsValidServiceName(".x"));
  EXPECT_FALSE(IsValidServiceName("web;rm"));
  EXPECT_FALSE(IsValidServiceName("web app"));
  EXPECT_FALSE(IsValidServiceName("$(id)"));
  EXPECT_FALSE(IsValidServiceName("wéb"));
  EXPECT_FALSE(IsValidServiceName(std::string_view("we\0b", 4)));
}

TEST(ComposeArgvDeathTest, InvalidServiceNameNeverReachesArgv) {
  EXPECT_DEATH((void)ComposeArgv(V2(), ComposeVerb::kUp, {"web", "--volumes"}), "invalid service");
}

TEST(ComposeArgvTest, InspectArgvTakesIds) {
  EXPECT_THAT(InspectArgv({"7290a692e256", "025b1350d901"}),
              ElementsAre("docker", "inspect", "7290a692e256", "025b1350d901"));
  EXPECT_TRUE(IsContainerId(std::string(64, 'f')));
  EXPECT_FALSE(IsContainerId(std::string(65, 'f')));
  EXPECT_FALSE(IsContainerId("--format"));
  EXPECT_FALSE(IsContainerId("ABC"));
  EXPECT_FALSE(IsContainerId(""));
}

TEST(ParseComposeCommandTest, DockerComposePluginIsV2) {
  Result<ComposeTarget> t = ParseComposeCommand("docker compose");
  ASSERT_TRUE(t.ok());
  EXPECT_THAT(t->command, ElementsAre("docker", "compose"));
  EXPECT_EQ(t->flavor, ComposeFlavor::kV2Plugin);
}

TEST(ParseComposeCommandTest, DockerBinaryWithAPathIsV2) {
  Result<ComposeTarget> t = ParseComposeCommand("  /usr/local/bin/docker   compose ");
  ASSERT_TRUE(t.ok());
  EXPECT_THAT(t->command, ElementsAre("/usr/local/bin/docker", "compose"));
  EXPECT_EQ(t->flavor, ComposeFlavor::kV2Plugin);
}

TEST(ParseComposeCommandTest, DockerComposeBinaryIsV1) {
  Result<ComposeTarget> t = ParseComposeCommand("docker-compose");
  ASSERT_TRUE(t.ok());
  EXPECT_THAT(t->command, ElementsAre("docker-compose"));
  EXPECT_EQ(t->flavor, ComposeFlavor::kV1);

  t = ParseComposeCommand("/usr/bin/docker-compose");
  ASSERT_TRUE(t.ok());
  EXPECT_THAT(t->command, ElementsAre("/usr/bin/docker-compose"));
  EXPECT_EQ(t->flavor, ComposeFlavor::kV1);
}

TEST(ParseComposeCommandTest, ComposeAfterANonDockerBinaryIsV1) {
  Result<ComposeTarget> t = ParseComposeCommand("podman compose");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->flavor, ComposeFlavor::kV1);
}

TEST(ParseComposeCommandTest, BlankIsInvalid) {
  EXPECT_EQ(ParseComposeCommand("").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseComposeCommand("  \t ").code(), StatusCode::kInvalidArgument);
}

class DefaultComposeFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("madre_compose_files_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void Touch(const std::string& name) { std::ofstream(dir_ / name) << "services: {}\n"; }

  std::filesystem::path dir_;
};

TEST_F(DefaultComposeFilesTest, BaseFileAlone) {
  Touch("docker-compose.yml");
  EXPECT_THAT(DefaultComposeFiles(dir_), ElementsAre("docker-compose.yml"));
}

TEST_F(DefaultComposeFilesTest, BaseFileAndOverride) {
  Touch("docker-compose.yml");
  Touch("docker-compose.override.yml");
  EXPECT_THAT(DefaultComposeFiles(dir_),
              ElementsAre("docker-compose.yml", "docker-compose.override.yml"));
}

TEST_F(DefaultComposeFilesTest, ComposeYamlWhenDockerComposeYmlIsAbsent) {
  Touch("compose.yaml");
  Touch("compose.override.yaml");
  EXPECT_THAT(DefaultComposeFiles(dir_), ElementsAre("compose.yaml", "compose.override.yaml"));
}

TEST_F(DefaultComposeFilesTest, ComposeYml) {
  Touch("compose.yml");
  EXPECT_THAT(DefaultComposeFiles(dir_), ElementsAre("compose.yml"));
}

TEST_F(DefaultComposeFilesTest, DockerComposeYmlWins) {
  Touch("compose.yaml");
  Touch("docker-compose.yml");
  EXPECT_THAT(DefaultComposeFiles(dir_), ElementsAre("docker-compose.yml"));
}

TEST_F(DefaultComposeFilesTest, NothingThereStillNamesTheDefault) {
  EXPECT_THAT(DefaultComposeFiles(dir_), ElementsAre("docker-compose.yml"));
}

TEST(JoinArgvTest, JoinsWithSpaces) {
  EXPECT_EQ(JoinArgv({"docker", "compose", "ps"}), "docker compose ps");
  EXPECT_EQ(JoinArgv({}), "");
}

}  // namespace
}  // namespace madre
