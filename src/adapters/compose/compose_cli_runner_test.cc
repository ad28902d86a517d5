#include "adapters/compose/compose_cli_runner.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "adapters/compose/compose_test_samples.h"
#include "adapters/process/posix_process_runner.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/fake_process_runner.h"

namespace madre {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::SizeIs;
using ::testing::StartsWith;

ComposeTarget Target(ComposeFlavor flavor) {
  ComposeTarget t;
  t.command = flavor == ComposeFlavor::kV2Plugin ? std::vector<std::string>{"docker", "compose"}
                                                 : std::vector<std::string>{"docker-compose"};
  t.flavor = flavor;
  t.project = "vx11";
  t.files = {"docker-compose.yml", "docker-compose.override.yml"};
  t.working_dir = "/srv/vx11";
  return t;
}

const char kV2[] = "docker compose -p vx11 -f docker-compose.yml -f docker-compose.override.yml";
const char kV1[] = "docker-compose -p vx11 -f docker-compose.yml -f docker-compose.override.yml";

class ComposeCliRunnerTest : public ::testing::TestWithParam<ComposeFlavor> {
 protected:
  ComposeCliRunner MakeRunner(ComposeFlavor flavor) {
    return ComposeCliRunner(Target(flavor), processes_, Seconds(30),
                            [this](Duration d) { sleeps_.push_back(d); });
  }
  std::string Prefix(ComposeFlavor flavor) const {
    return flavor == ComposeFlavor::kV2Plugin ? kV2 : kV1;
  }

  FakeProcessRunner processes_;
  std::vector<Duration> sleeps_;
};

INSTANTIATE_TEST_SUITE_P(BothFlavors, ComposeCliRunnerTest,
                         ::testing::Values(ComposeFlavor::kV2Plugin, ComposeFlavor::kV1),
                         [](const auto& info) {
                           return info.param == ComposeFlavor::kV2Plugin ? "V2" : "V1";
                         });

TEST_P(ComposeCliRunnerTest, UpRunsTheExactArgvInTheWorkingDir) {
  ComposeCliRunner runner = MakeRunner(GetParam());
  processes_.PushExit(0, "Creating vx11_db_1 ... done\n");
  ComposeOutcome outcome = runner.Up({"db", "web"});
  EXPECT_TRUE(outcome.status.ok()) << outcome.status.ToString();
  EXPECT_THAT(processes_.commands(),
              ElementsAre(Prefix(GetParam()) + " up -d --no-deps --no-build db web"));
  ASSERT_THAT(processes_.specs(), SizeIs(1));
  EXPECT_EQ(processes_.specs()[0].working_dir, "/srv/vx11");
  EXPECT_EQ(processes_.specs()[0].timeout, Seconds(30));
  EXPECT_TRUE(sleeps_.empty());
}

TEST_P(ComposeCliRunnerTest, StopAndRestartRunTheExactArgv) {
  ComposeCliRunner runner = MakeRunner(GetParam());
  EXPECT_TRUE(runner.Stop({"web"}).status.ok());
  EXPECT_TRUE(runner.Restart({"web", "db"}).status.ok());
  EXPECT_THAT(processes_.commands(), ElementsAre(Prefix(GetParam()) + " stop web",
                                                 Prefix(GetParam()) + " restart web db"));
}

TEST_P(ComposeCliRunnerTest, SuccessIsRecordedAsOneOp) {
  ComposeCliRunner runner = MakeRunner(GetParam());
  ProcessResult result;
  result.exit_code = 0;
  result.output = "Stopping vx11_web_1 ... done\n";
  result.elapsed_ms = 812;
  processes_.Push(result);
  ComposeOutcome outcome = runner.Stop({"web"});
  ASSERT_TRUE(outcome.status.ok());
  ASSERT_THAT(outcome.ops, SizeIs(1));
  EXPECT_EQ(outcome.ops[0].command, Prefix(GetParam()) + " stop web");
  EXPECT_EQ(outcome.ops[0].exit_code, 0);
  EXPECT_EQ(outcome.ops[0].elapsed_ms, 812);
  EXPECT_EQ(outcome.ops[0].output, "Stopping vx11_web_1 ... done\n");
}

TEST_P(ComposeCliRunnerTest, EmptyServiceListRunsNothing) {
  ComposeCliRunner runner = MakeRunner(GetParam());
  EXPECT_TRUE(runner.Up({}).status.ok());
  EXPECT_TRUE(runner.Stop({}).status.ok());
  EXPECT_TRUE(runner.Restart({}).ops.empty());
  EXPECT_TRUE(processes_.commands().empty());
}

TEST_P(ComposeCliRunnerTest, InvalidServiceNameRunsNothing) {
  ComposeCliRunner runner = MakeRunner(GetParam());
  ComposeOutcome outcome = runner.Up({"web", "--volumes"});
  EXPECT_EQ(outcome.status.code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(processes_.commands().empty());
}

TEST_P(ComposeCliRunnerTest, FailureIsRetriedAfterOneThenFiveSeconds) {
  ComposeCliRunner runner = MakeRunner(GetParam());
  processes_.PushExit(1, "ERROR: for web  Cannot start service web: boom\n");
  processes_.PushExit(1, "still broken\n");
  processes_.PushExit(0, "Starting web ... done\n");
  ComposeOutcome outcome = runner.Up({"web"});
  EXPECT_TRUE(outcome.status.ok()) << outcome.status.ToString();
  EXPECT_THAT(sleeps_, ElementsAre(Seconds(1), Seconds(5)));
  ASSERT_THAT(outcome.ops, SizeIs(3));
  EXPECT_EQ(outcome.ops[0].exit_code, 1);
  EXPECT_EQ(outcome.ops[1].exit_code, 1);
  EXPECT_EQ(outcome.ops[2].exit_code, 0);
  EXPECT_EQ(processes_.commands().size(), 3u);
}

TEST_P(ComposeCliRunnerTest, SecondAttemptSuccessStopsRetrying) {
  ComposeCliRunner runner = MakeRunner(GetParam());
  processes_.PushExit(1, "transient\n");
  ComposeOutcome outcome = runner.Stop({"web"});
  EXPECT_TRUE(outcome.status.ok());
  EXPECT_THAT(sleeps_, ElementsAre(Seconds(1)));
  EXPECT_THAT(outcome.ops, SizeIs(2));
}

TEST_P(ComposeCliRunnerTest, NonZeroExitThreeTimesIsUnavailableWithTheTail) {
  ComposeCliRunner runner = MakeRunner(GetParam());
  processes_.PushExit(1, "first\n");
  processes_.PushExit(1, "second\n");
  processes_.PushExit(2, "ERROR: No such service: web\n");
  ComposeOutcome outcome = runner.Restart({"web"});
  EXPECT_EQ(outcome.status.code(), StatusCode::kUnavailable);
  EXPECT_THAT(outcome.status.message(), HasSubstr("ERROR: No such service: web"));
  EXPECT_THAT(outcome.status.message(), HasSubstr("exited with code 2"));
  EXPECT_THAT(outcome.status.message(), HasSubstr(Prefix(GetParam()) + " restart web"));
  EXPECT_THAT(outcome.status.message(), HasSubstr("3 attempts"));
  EXPECT_THAT(sleeps_, ElementsAre(Seconds(1), Seconds(5)));
  EXPECT_THAT(outcome.ops, SizeIs(3));
}

TEST_P(ComposeCliRunnerTest, TimeoutIsDeadlineExceededAndRetried) {
  ComposeCliRunner runner = MakeRunner(GetParam());
  processes_.PushTimeout("Creating web ...\n");
  processes_.PushTimeout("Creating web ...\n");
  processes_.PushTimeout("Creating web ... (hung)\n");
  ComposeOutcome outcome = runner.Up({"web"});
  EXPECT_EQ(outcome.status.code(), StatusCode::kDeadlineExceeded);
  EXPECT_THAT(outcome.status.message(), HasSubstr("timed out"));
  EXPECT_THAT(outcome.status.message(), HasSubstr("(hung)"));
  ASSERT_THAT(outcome.ops, SizeIs(3));
  for (const DockerOp& op : outcome.ops) EXPECT_EQ(op.exit_code, -1);
  EXPECT_THAT(sleeps_, ElementsAre(Seconds(1), Seconds(5)));
}

TEST_P(ComposeCliRunnerTest, MessageCarriesOnlyTheLastKibOfOutput) {
  ComposeCliRunner runner = MakeRunner(GetParam());
  const std::string output = std::string(5000, 'a') + "THE-END";
  ProcessResult failure;
  failure.exit_code = 1;
  failure.output = output;
  processes_.SetDefault(failure);
  ComposeOutcome outcome = runner.Stop({"web"});
  EXPECT_THAT(outcome.status.message(), HasSubstr("THE-END"));
  EXPECT_LT(outcome.status.message().size(), 1500u);
}

TEST_P(ComposeCliRunnerTest, OpOutputIsCutTo4KibKeepingTheEnd) {
  ComposeCliRunner runner = MakeRunner(GetParam());
  const std::string output = std::string(10000, 'x') + "last line\n";
  processes_.PushExit(0, output);
  ComposeOutcome outcome = runner.Up({"web"});
  ASSERT_THAT(outcome.ops, SizeIs(1));
  EXPECT_EQ(outcome.ops[0].output.size(), 4096u);
  EXPECT_THAT(outcome.ops[0].output, ::testing::EndsWith("last line\n"));
}

TEST_P(ComposeCliRunnerTest, ProcessThatCannotStartIsUnavailableAndNotRetried) {
  ComposeCliRunner runner = MakeRunner(GetParam());
  processes_.PushFailure(Status::NotFound("cannot run 'docker-compose': No such file"));
  ComposeOutcome outcome = runner.Up({"web"});
  EXPECT_EQ(outcome.status.code(), StatusCode::kUnavailable);
  EXPECT_THAT(outcome.status.message(), HasSubstr("No such file"));
  ASSERT_THAT(outcome.ops, SizeIs(1));
  EXPECT_EQ(outcome.ops[0].exit_code, -1);
  EXPECT_THAT(outcome.ops[0].output, HasSubstr("No such file"));
  EXPECT_TRUE(sleeps_.empty());
}

TEST_P(ComposeCliRunnerTest, ConfigIsReadOnceWithoutRetry) {
  ComposeCliRunner runner = MakeRunner(GetParam());
  processes_.PushExit(1, "ERROR: Couldn't find env file\n");
  Result<ServiceModel> model = runner.Config();
  EXPECT_EQ(model.code(), StatusCode::kUnavailable);
  EXPECT_THAT(model.status().message(), HasSubstr("Couldn't find env file"));
  EXPECT_EQ(processes_.commands().size(), 1u);
  EXPECT_TRUE(sleeps_.empty());
}

TEST_P(ComposeCliRunnerTest, ConfigTimeoutIsDeadlineExceeded) {
  ComposeCliRunner runner = MakeRunner(GetParam());
  processes_.PushTimeout();
  EXPECT_EQ(runner.Config().code(), StatusCode::kDeadlineExceeded);
  EXPECT_TRUE(sleeps_.empty());
}

TEST_P(ComposeCliRunnerTest, PsTimeoutIsDeadlineExceededWithoutRetry) {
  ComposeCliRunner runner = MakeRunner(GetParam());
  processes_.PushTimeout();
  EXPECT_EQ(runner.Ps().code(), StatusCode::kDeadlineExceeded);
  EXPECT_EQ(processes_.commands().size(), 1u);
  EXPECT_TRUE(sleeps_.empty());
}

TEST(ComposeCliRunnerV2Test, ConfigParsesJson) {
  FakeProcessRunner processes;
  ComposeCliRunner runner(Target(ComposeFlavor::kV2Plugin), processes, Seconds(30));
  processes.PushExit(0, testdata::kV2ConfigJson);
  Result<ServiceModel> model = runner.Config();
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  EXPECT_TRUE(model->Has("hermes"));
  EXPECT_THAT(processes.commands(),
              ElementsAre(std::string(kV2) + " --profile * config --format json"));
}

TEST(ComposeCliRunnerV1Test, ConfigParsesYaml) {
  FakeProcessRunner processes;
  ComposeCliRunner runner(Target(ComposeFlavor::kV1), processes, Seconds(30));
  processes.PushExit(0, testdata::kV1ConfigYaml);
  Result<ServiceModel> model = runner.Config();
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  EXPECT_TRUE(model->Has("worker"));
  EXPECT_THAT(processes.commands(), ElementsAre(std::string(kV1) + " config"));
}

TEST(ComposeCliRunnerV2Test, PsReadsTheArrayForm) {
  FakeProcessRunner processes;
  ComposeCliRunner runner(Target(ComposeFlavor::kV2Plugin), processes, Seconds(30));
  processes.PushExit(0, testdata::kV2PsArray);
  Result<std::vector<ContainerState>> ps = runner.Ps();
  ASSERT_TRUE(ps.ok()) << ps.status().ToString();
  EXPECT_THAT(*ps, SizeIs(2));
  EXPECT_THAT(processes.commands(),
              ElementsAre(std::string(kV2) + " --profile * ps --all --format json"));
}

TEST(ComposeCliRunnerV2Test, PsReadsTheLineForm) {
  FakeProcessRunner processes;
  ComposeCliRunner runner(Target(ComposeFlavor::kV2Plugin), processes, Seconds(30));
  processes.PushExit(0, testdata::kV2PsLines);
  Result<std::vector<ContainerState>> ps = runner.Ps();
  ASSERT_TRUE(ps.ok()) << ps.status().ToString();
  ASSERT_THAT(*ps, SizeIs(2));
  EXPECT_EQ((*ps)[1].exit_code, 137);
}

TEST(ComposeCliRunnerV1Test, PsListsIdsThenInspectsThem) {
  FakeProcessRunner processes;
  ComposeCliRunner runner(Target(ComposeFlavor::kV1), processes, Seconds(30));
  processes.PushExit(0, testdata::kV1PsIds);
  processes.PushExit(0, testdata::kInspectJson);
  Result<std::vector<ContainerState>> ps = runner.Ps();
  ASSERT_TRUE(ps.ok()) << ps.status().ToString();
  ASSERT_THAT(*ps, SizeIs(2));
  EXPECT_EQ((*ps)[0].service, "db");
  EXPECT_EQ((*ps)[0].health, "healthy");
  EXPECT_EQ((*ps)[1].exit_code, 3);
  EXPECT_THAT(processes.commands(),
              ElementsAre(std::string(kV1) + " ps -a -q",
                          "docker inspect "
                          "7290a692e2568839ea99f9cdb4c56faca72c22e45d3867cc3d408338a015fb25 "
                          "025b1350d901baf1345a512ffe7d018bb501d5aa6f6223aebe7a4738c83c82ad"));
  EXPECT_EQ(processes.specs()[1].working_dir, "/srv/vx11");
}

TEST(ComposeCliRunnerV1Test, PsWithoutContainersDoesNotInspect) {
  FakeProcessRunner processes;
  ComposeCliRunner runner(Target(ComposeFlavor::kV1), processes, Seconds(30));
  processes.PushExit(0, "");
  Result<std::vector<ContainerState>> ps = runner.Ps();
  ASSERT_TRUE(ps.ok());
  EXPECT_TRUE(ps->empty());
  EXPECT_EQ(processes.commands().size(), 1u);
}

TEST(ComposeCliRunnerV1Test, PsToleratesAContainerVanishingBeforeInspect) {
  FakeProcessRunner processes;
  ComposeCliRunner runner(Target(ComposeFlavor::kV1), processes, Seconds(30));
  processes.PushExit(0, "aaa111\nbbb222\n");
  processes.PushExit(1, R"([
    {"Id": "aaa111", "Name": "/vx11_web_1", "State": {"Status": "running"},
     "Config": {"Labels": {"com.docker.compose.service": "web"}}}
]
Error: No such object: bbb222
)");
  Result<std::vector<ContainerState>> ps = runner.Ps();
  ASSERT_TRUE(ps.ok()) << ps.status().ToString();
  ASSERT_THAT(*ps, SizeIs(1));
  EXPECT_EQ((*ps)[0].service, "web");
}

TEST(ComposeCliRunnerV1Test, PsInspectFailureIsUnavailable) {
  FakeProcessRunner processes;
  ComposeCliRunner runner(Target(ComposeFlavor::kV1), processes, Seconds(30));
  processes.PushExit(0, "aaa111\n");
  processes.PushExit(1, "Cannot connect to the Docker daemon at unix:///var/run/docker.sock.\n");
  Result<std::vector<ContainerState>> ps = runner.Ps();
  EXPECT_EQ(ps.code(), StatusCode::kUnavailable);
  EXPECT_THAT(ps.status().message(), HasSubstr("Cannot connect to the Docker daemon"));
}

TEST(ComposeCliRunnerV1Test, PsListFailureIsUnavailable) {
  FakeProcessRunner processes;
  ComposeCliRunner runner(Target(ComposeFlavor::kV1), processes, Seconds(30));
  processes.PushExit(1, "ERROR: Couldn't connect to Docker daemon\n");
  EXPECT_EQ(runner.Ps().code(), StatusCode::kUnavailable);
  EXPECT_EQ(processes.commands().size(), 1u);
}

// ---- DetectCompose

TEST(DetectComposeTest, OverrideIsCheckedAndItsVersionDecidesTheFlavor) {
  FakeProcessRunner processes;
  processes.PushExit(0, "docker-compose version 1.29.2, build unknown\n");
  Result<ComposeTarget> t = DetectCompose(processes, "/usr/bin/docker-compose");
  ASSERT_TRUE(t.ok());
  EXPECT_THAT(t->command, ElementsAre("/usr/bin/docker-compose"));
  EXPECT_EQ(t->flavor, ComposeFlavor::kV1);
  EXPECT_THAT(processes.commands(), ElementsAre("/usr/bin/docker-compose version"));
}

TEST(DetectComposeTest, AStandaloneV2NamedDockerComposeIsV2) {
  FakeProcessRunner processes;
  processes.PushExit(1, "docker: 'compose' is not a docker command.\n");
  processes.PushExit(0, "Docker Compose version v2.24.5\n");
  Result<ComposeTarget> t = DetectCompose(processes, std::nullopt);
  ASSERT_TRUE(t.ok());
  EXPECT_THAT(t->command, ElementsAre("docker-compose"));
  EXPECT_EQ(t->flavor, ComposeFlavor::kV2Plugin);
}

TEST(DetectComposeTest, AnOverrideThatDoesNotRunIsUnavailableAndNamesTheSetting) {
  FakeProcessRunner processes;
  processes.PushExit(127, "sh: compose: not found\n");
  Result<ComposeTarget> t = DetectCompose(processes, "/opt/compose");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.code(), StatusCode::kUnavailable);
  EXPECT_THAT(t.status().message(), HasSubstr("VX11_COMPOSE_CMD"));
  EXPECT_THAT(t.status().message(), HasSubstr("/opt/compose version"));
}

TEST(ComposeVersionTest, VersionTextsOfBothFlavorsAreRecognised) {
  EXPECT_EQ(ParseComposeVersion("docker-compose version 1.29.2, build unknown\ndocker-py "
                                "version: 5.0.3\n"),
            ComposeFlavor::kV1);
  EXPECT_EQ(ParseComposeVersion("Docker Compose version v2.24.5\n"), ComposeFlavor::kV2Plugin);
  EXPECT_EQ(ParseComposeVersion("Docker Compose version 2.20.2+ds1-0+deb12u1\n"),
            ComposeFlavor::kV2Plugin);
  EXPECT_EQ(ParseComposeVersion("docker-compose version v2.3.3\n"), ComposeFlavor::kV2Plugin);
  EXPECT_EQ(ParseComposeVersion(""), std::nullopt);
  EXPECT_EQ(ParseComposeVersion("version unknown\n"), std::nullopt);
  EXPECT_EQ(ParseComposeVersion("Docker Compose version v0.9\n"), std::nullopt);
}

TEST(DetectComposeTest, PrefersThePlugin) {
  FakeProcessRunner processes;
  processes.PushExit(0, "Docker Compose version v2.24.5\n");
  Result<ComposeTarget> t = DetectCompose(processes, std::nullopt);
  ASSERT_TRUE(t.ok());
  EXPECT_THAT(t->command, ElementsAre("docker", "compose"));
  EXPECT_EQ(t->flavor, ComposeFlavor::kV2Plugin);
  EXPECT_THAT(processes.commands(), ElementsAre("docker compose version"));
}

TEST(DetectComposeTest, FallsBackToV1) {
  FakeProcessRunner processes;
  processes.PushExit(1, "docker: 'compose' is not a docker command.\n");
  processes.PushExit(0, "docker-compose version 1.29.2, build unknown\n");
  Result<ComposeTarget> t = DetectCompose(processes, "  ");
  ASSERT_TRUE(t.ok());
  EXPECT_THAT(t->command, ElementsAre("docker-compose"));
  EXPECT_EQ(t->flavor, ComposeFlavor::kV1);
  EXPECT_THAT(processes.commands(),
              ElementsAre("docker compose version", "docker-compose version"));
}

TEST(DetectComposeTest, NeitherIsUnavailable) {
  FakeProcessRunner processes;
  processes.PushFailure(Status::NotFound("cannot run 'docker': No such file or directory"));
  processes.PushTimeout();
  Result<ComposeTarget> t = DetectCompose(processes, std::nullopt);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.code(), StatusCode::kUnavailable);
  EXPECT_THAT(t.status().message(), HasSubstr("docker compose version"));
  EXPECT_THAT(t.status().message(), HasSubstr("docker-compose version"));
  EXPECT_THAT(t.status().message(), HasSubstr("VX11_COMPOSE_CMD"));
}

// ---- helpers and the fake

TEST(Utf8TailTest, NeverStartsInsideACharacter) {
  EXPECT_EQ(Utf8Tail("abc", 10), "abc");
  EXPECT_EQ(Utf8Tail("abcdef", 3), "def");
  // "é" is two bytes; a 3-byte tail of "xé!" would start inside nothing, but
  // a 2-byte tail would start on its continuation byte.
  EXPECT_EQ(Utf8Tail("x\xC3\xA9!", 3), "\xC3\xA9!");
  EXPECT_EQ(Utf8Tail("x\xC3\xA9!", 2), "!");
}

// ---- ConfigHashes

constexpr char kHashOutput[] = "db 0123abcd\nweb 4567ef00\n";

TEST_P(ComposeCliRunnerTest, ConfigHashesAsksForEveryServiceWithTheFlavorsArgv) {
  ComposeCliRunner runner = MakeRunner(GetParam());
  processes_.PushExit(0, kHashOutput);
  auto hashes = runner.ConfigHashes();
  ASSERT_TRUE(hashes.ok()) << hashes.status().ToString();
  EXPECT_THAT(*hashes,
              ElementsAre(::testing::Pair("db", "0123abcd"), ::testing::Pair("web", "4567ef00")));
  const std::string tail =
      GetParam() == ComposeFlavor::kV2Plugin ? " --profile * config --hash *" : " config --hash=*";
  EXPECT_THAT(processes_.commands(), ElementsAre(Prefix(GetParam()) + tail));
  EXPECT_EQ(processes_.specs()[0].working_dir, "/srv/vx11");
}

TEST_P(ComposeCliRunnerTest, ConfigHashesFailureIsReturnedNotRetriedAndNotKept) {
  ComposeCliRunner runner = MakeRunner(GetParam());
  processes_.PushExit(1, "ERROR: yaml.scanner.ScannerError\n");
  EXPECT_EQ(runner.ConfigHashes().code(), StatusCode::kUnavailable);
  EXPECT_TRUE(sleeps_.empty());
  processes_.PushExit(0, kHashOutput);
  EXPECT_TRUE(runner.ConfigHashes().ok());  // tried again
  EXPECT_EQ(processes_.commands().size(), 2u);
}

class ComposeConfigHashCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("madre_hash_cache_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    Write("docker-compose.yml", "services: {web: {image: x}}\n");
    target_ = Target(ComposeFlavor::kV1);
    target_.files = {"docker-compose.yml"};
    target_.working_dir = dir_;
    processes_.SetDefault(ProcessResult{0, false, false, kHashOutput, 0});
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
  }
  std::size_t Runs() const { return processes_.commands().size(); }

  std::filesystem::path dir_;
  ComposeTarget target_;
  FakeProcessRunner processes_;
};

TEST_F(ComposeConfigHashCacheTest, UnchangedFilesAreAnsweredWithoutACompose) {
  ComposeCliRunner runner(target_, processes_, Seconds(30));
  ASSERT_TRUE(runner.ConfigHashes().ok());
  auto again = runner.ConfigHashes();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->at("web"), "4567ef00");
  EXPECT_EQ(Runs(), 1u);
}

TEST_F(ComposeConfigHashCacheTest, AnEditedComposeFileIsHashedAgain) {
  ComposeCliRunner runner(target_, processes_, Seconds(30));
  ASSERT_TRUE(runner.ConfigHashes().ok());
  Write("docker-compose.yml", "services: {web: {image: x, environment: {A: '1'}}}\n");
  processes_.PushExit(0, "db 0123abcd\nweb 99\n");
  auto changed = runner.ConfigHashes();
  ASSERT_TRUE(changed.ok());
  EXPECT_EQ(changed->at("web"), "99");
  EXPECT_EQ(Runs(), 2u);
}

TEST_F(ComposeConfigHashCacheTest, ATouchedComposeFileIsHashedAgain) {
  ComposeCliRunner runner(target_, processes_, Seconds(30));
  ASSERT_TRUE(runner.ConfigHashes().ok());
  const auto file = dir_ / "docker-compose.yml";
  std::filesystem::last_write_time(file, std::filesystem::last_write_time(file) - Seconds(60));
  ASSERT_TRUE(runner.ConfigHashes().ok());
  EXPECT_EQ(Runs(), 2u);
}

TEST_F(ComposeConfigHashCacheTest, ANewOrChangedEnvFileIsHashedAgain) {
  ComposeCliRunner runner(target_, processes_, Seconds(30));
  ASSERT_TRUE(runner.ConfigHashes().ok());
  Write(".env", "TAG=1\n");
  ASSERT_TRUE(runner.ConfigHashes().ok());
  ASSERT_TRUE(runner.ConfigHashes().ok());
  EXPECT_EQ(Runs(), 2u);
  Write(".env", "TAG=22\n");
  ASSERT_TRUE(runner.ConfigHashes().ok());
  EXPECT_EQ(Runs(), 3u);
}

TEST_F(ComposeConfigHashCacheTest, OtherFilesOfTheDirectoryDoNotCount) {
  ComposeCliRunner runner(target_, processes_, Seconds(30));
  ASSERT_TRUE(runner.ConfigHashes().ok());
  Write("README", "hello\n");
  ASSERT_TRUE(runner.ConfigHashes().ok());
  EXPECT_EQ(Runs(), 1u);
}

TEST(FakeProcessRunnerTest, AnswersInOrderThenTheDefault) {
  FakeProcessRunner processes;
  processes.PushExit(3, "three");
  processes.PushTimeout();
  processes.PushFailure(Status::NotFound("gone"));
  ProcessSpec spec;
  spec.argv = {"x"};
  Result<ProcessResult> first = processes.Run(spec);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->exit_code, 3);
  EXPECT_EQ(first->output, "three");
  Result<ProcessResult> second = processes.Run(spec);
  ASSERT_TRUE(second.ok());
  EXPECT_TRUE(second->timed_out);
  EXPECT_EQ(processes.Run(spec).code(), StatusCode::kNotFound);
  Result<ProcessResult> fallback = processes.Run(spec);
  ASSERT_TRUE(fallback.ok());
  EXPECT_EQ(fallback->exit_code, 0);
  EXPECT_EQ(processes.specs().size(), 4u);
  EXPECT_EQ(processes.pending(), 0u);
}

TEST(FakeProcessRunnerTest, CapsOutputLikeARealRunner) {
  FakeProcessRunner processes;
  processes.PushExit(0, "0123456789");
  ProcessSpec spec;
  spec.argv = {"x", "y"};
  spec.max_output_bytes = 4;
  Result<ProcessResult> result = processes.Run(spec);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->output, "0123");
  EXPECT_TRUE(result->truncated);
  EXPECT_THAT(processes.commands(), ElementsAre("x y"));
}

// ---- the real thing, when docker-compose is installed

bool OnPath(const std::string& program) {
  const char* path = std::getenv("PATH");
  if (path == nullptr) return false;
  std::string dirs = path;
  std::size_t start = 0;
  while (start <= dirs.size()) {
    const std::size_t end = std::min(dirs.find(':', start), dirs.size());
    const std::filesystem::path candidate =
        std::filesystem::path(dirs.substr(start, end - start)) / program;
    if (::access(candidate.c_str(), X_OK) == 0) return true;
    start = end + 1;
  }
  return false;
}

TEST(ComposeCliRunnerRealTest, ConfigOfATempProjectThroughDockerComposeV1) {
  if (!OnPath("docker-compose")) GTEST_SKIP() << "docker-compose is not on PATH";
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("madre_compose_real_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "docker-compose.yml") << R"(version: "3.8"
services:
  db:
    image: busybox:latest
    healthcheck:
      test: ["CMD", "true"]
    stop_grace_period: 1m30s
  web:
    image: busybox:latest
    depends_on: [db]
    labels:
      vx11.health.url: http://127.0.0.1:8002/health
)";
  PosixProcessRunner processes;
  ComposeTarget target = Target(ComposeFlavor::kV1);
  target.project = "madre-config-test";
  target.files = DefaultComposeFiles(dir);
  target.working_dir = dir;
  ComposeCliRunner runner(target, processes, Seconds(60));
  Result<ServiceModel> model = runner.Config();
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  EXPECT_THAT(model->services.at("web").depends_on, ElementsAre("db"));
  EXPECT_TRUE(model->services.at("db").has_healthcheck);
  EXPECT_EQ(model->services.at("db").stop_grace_sec, 90);
  EXPECT_EQ(model->services.at("web").labels.at("vx11.health.url"), "http://127.0.0.1:8002/health");
}

}  // namespace
}  // namespace madre
