// Helpers for integration tests that need a real dockerd (ctest label "integration").
// Compiled into integration_tests only. Every test that touches Docker starts with
//
//   MADRE_NEED_DOCKER();
//   EnsureImages();
//   ComposeProject project(UniqueProjectName("web"), FixtureComposeFile("two_services"),
//                          {{"WEB_PORT", std::to_string(FreeLoopbackPort())}, ...});
//
// so that tests can run in parallel (unique project names, free host ports) and never leave
// containers behind (ComposeProject's destructor runs `down`).
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

// Skips the test, or fails it when MADRE_REQUIRE_DOCKER=1 (CI sets it: a registered
// integration test never skips there). Streams a reason like GTEST_SKIP():
//   MADRE_SKIP_OR_FAIL() << "the ports are in use";
#define MADRE_SKIP_OR_FAIL()                                                              \
  return ::testing::internal::AssertHelper(::madre::IntegrationSkipsForbidden()           \
                                               ? ::testing::TestPartResult::kFatalFailure \
                                               : ::testing::TestPartResult::kSkip,        \
                                           __FILE__, __LINE__, "") = ::testing::Message()

// The first line of every test (or SetUp) that touches Docker.
#define MADRE_NEED_DOCKER()         \
  if (::madre::DockerAvailable()) { \
  } else                            \
    MADRE_SKIP_OR_FAIL() << "no Docker engine or compose here"

namespace madre {

// True when MADRE_REQUIRE_DOCKER=1: a test that would skip fails instead.
bool IntegrationSkipsForbidden();

using EnvVars = std::map<std::string, std::string>;

struct CommandOutput {
  int exit_code = -1;  // 128+N when killed by signal N; -1 when it could not be started
  bool timed_out = false;
  std::string output;  // stdout and stderr, interleaved

  bool ok() const { return exit_code == 0 && !timed_out; }
};

// Runs argv (looked up in PATH, no shell) with `extra_env` added to this process's environment.
// On timeout the child's process group is killed.
CommandOutput RunCommandForTest(const std::vector<std::string>& argv, const EnvVars& extra_env = {},
                                std::chrono::seconds timeout = std::chrono::seconds(120));

// The source tree (MADRE_SOURCE_DIR) and tests/integration/fixtures/<name>/docker-compose.yml.
std::filesystem::path SourceDir();
std::filesystem::path FixtureComposeFile(std::string_view name);

// The environment a test gives `madre serve` and compose for fixture `name` in `project`:
// VX11_COMPOSE_PROJECT, VX11_COMPOSE_DIR (the fixture's directory), VX11_ALWAYS_ON=madre,
// VX11_RESYNC_SEC=2, a free loopback port for each port variable the fixtures use (DB_PORT,
// WEB_PORT, ..., readiness's HTTP_PORT, ..., NOBODY_PORT: nothing listens there), then `extra`
// over them.
EnvVars FixtureEnv(const std::string& project, std::string_view name, const EnvVars& extra = {});

// True when a Docker engine answers and a compose command exists. Asked once per process.
// MADRE_SKIP_DOCKER_TESTS=1 makes it false.
bool DockerAvailable();

// {"docker-compose"} (v1) or {"docker", "compose"} (v2), whichever works. Asked once.
const std::vector<std::string>& ComposeCommand();

// Runs scripts/build-images.sh once per process (madre-busybox:latest). A failure is reported
// with ADD_FAILURE in every test that calls it.
void EnsureImages();

// "<prefix>_<pid>_<counter>_<random>", lowercase, valid for compose v1 and v2.
std::string UniqueProjectName(std::string_view prefix);

// A TCP port on 127.0.0.1 that was free a moment ago; never the same twice in one process.
int FreeLoopbackPort();

// Names of the project's running services (docker ps), sorted; one entry per container.
std::vector<std::string> RunningServices(std::string_view project);

// Polls `done` every `interval` until it is true (true) or `timeout` passes (false).
bool WaitUntil(const std::function<bool()>& done, std::chrono::milliseconds timeout,
               std::chrono::milliseconds interval = std::chrono::milliseconds(100));

// A compose project owned by one test: `down -v --remove-orphans -t 1` (and removal of any
// container or network still labelled with the project) when it goes out of scope.
class ComposeProject {
 public:
  ComposeProject(std::string name, std::filesystem::path file, EnvVars env = {});
  ~ComposeProject();
  ComposeProject(const ComposeProject&) = delete;
  ComposeProject& operator=(const ComposeProject&) = delete;

  // `<compose> -p NAME -f FILE args...` with the project's environment.
  CommandOutput Compose(const std::vector<std::string>& args,
                        std::chrono::seconds timeout = std::chrono::seconds(120)) const;
  // `up -d services...`.
  CommandOutput Up(const std::vector<std::string>& services) const;
  // Compose(args).ok(); on failure the command's output goes to stderr.
  bool Run(const std::vector<std::string>& args) const;

  const std::string& name() const { return name_; }
  const std::filesystem::path& file() const { return file_; }
  const EnvVars& env() const { return env_; }

 private:
  std::string name_;
  std::filesystem::path file_;
  EnvVars env_;
};

}  // namespace madre
