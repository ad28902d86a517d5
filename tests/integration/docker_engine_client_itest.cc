// DockerEngineClient and the docker_env helpers against the real dockerd.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cctype>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "adapters/docker/docker_engine_client.h"
#include "adapters/docker/docker_parse.h"
#include "docker_env.h"
#include "testing/container_control_contract.h"

namespace madre {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

std::string DockerHostForTest() {
  const char* host = std::getenv("DOCKER_HOST");
  return host != nullptr && *host != '\0' ? host : "unix:///var/run/docker.sock";
}

DockerEngineClient ClientFor(const ComposeProject& project) {
  return DockerEngineClient({.docker_host = DockerHostForTest(), .project = project.name()});
}

const ContainerState* Find(const std::vector<ContainerState>& list, const std::string& service) {
  for (const ContainerState& c : list) {
    if (c.service == service) return &c;
  }
  return nullptr;
}

// The project's containers as the client sees them once `done` holds for them (or the last
// view after `timeout`).
std::vector<ContainerState> ListUntil(
    DockerEngineClient& client, const std::function<bool(const std::vector<ContainerState>&)>& done,
    std::chrono::milliseconds timeout = 60s) {
  std::vector<ContainerState> last;
  WaitUntil(
      [&] {
        Result<std::vector<ContainerState>> list = client.ListProject();
        if (!list.ok()) return false;
        last = *list;
        return done(last);
      },
      timeout);
  return last;
}

class DockerEngineClientITest : public ::testing::Test {
 protected:
  void SetUp() override {
    MADRE_NEED_DOCKER();
    EnsureImages();
    if (HasFailure()) MADRE_SKIP_OR_FAIL() << "images could not be built";
  }
};

TEST_F(DockerEngineClientITest, PingsAndNegotiatesATestedApiVersion) {
  DockerEngineClient client({.docker_host = DockerHostForTest(), .project = "unused"});
  EXPECT_TRUE(client.Ping().ok());
  std::string version = client.ApiVersion();
  EXPECT_EQ(version.substr(0, 2), "1.");
  EXPECT_LE(version, std::string(kMaxTestedDockerApi));
}

TEST_F(DockerEngineClientITest, SeesRunningHealthyServicesThenAStoppedOneAsExited) {
  ComposeProject project(UniqueProjectName("dec"), FixtureComposeFile("two_services"),
                         {{"WEB_PORT", std::to_string(FreeLoopbackPort())},
                          {"DB_PORT", std::to_string(FreeLoopbackPort())}});
  CommandOutput up = project.Up({"web"});
  ASSERT_TRUE(up.ok()) << up.output;
  DockerEngineClient client = ClientFor(project);

  std::vector<ContainerState> list = ListUntil(client, [](const auto& l) {
    return l.size() == 2 && l[0].health == "healthy" && l[1].health == "healthy";
  });
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].service, "db");
  EXPECT_EQ(list[1].service, "web");
  for (const ContainerState& c : list) {
    EXPECT_EQ(c.state, "running") << c.service;
    EXPECT_EQ(c.health, "healthy") << c.service;
    EXPECT_THAT(c.container, HasSubstr(project.name())) << c.service;
    EXPECT_EQ(c.id.size(), 64u);
    EXPECT_EQ(c.restart_count, 0);
    EXPECT_EQ(c.exit_code, std::nullopt);
  }

  const std::string web_id = list[1].id;
  ASSERT_TRUE(client.Stop(web_id, 1).ok());
  EXPECT_TRUE(client.Stop(web_id, 1).ok()) << "stopping a stopped container succeeds";
  Result<std::vector<ContainerState>> after = client.ListProject();
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  const ContainerState* web = Find(*after, "web");
  ASSERT_NE(web, nullptr);
  EXPECT_EQ(web->state, "exited");
  EXPECT_EQ(web->exit_code, 0) << "the service exits 0 on SIGTERM";
  EXPECT_THAT(RunningServices(project.name()), ElementsAre("db"));

  ASSERT_TRUE(client.Start(web_id).ok());
  EXPECT_TRUE(client.Start(web_id).ok()) << "starting a running container succeeds";
  Result<ContainerState> restarted = client.Inspect(web_id);
  ASSERT_TRUE(restarted.ok());
  EXPECT_EQ(restarted->state, "running");
  EXPECT_THAT(RunningServices(project.name()), ElementsAre("db", "web"));

  Result<std::string> logs = client.Logs(web_id, 50);
  ASSERT_TRUE(logs.ok()) << logs.status().ToString();
  EXPECT_THAT(*logs, HasSubstr("web: serving on :8080\n"));
  EXPECT_THAT(*logs, HasSubstr("web: stopping\n"));
}

TEST_F(DockerEngineClientITest, ReportsCrashLoopsUnhealthyAndHealthlessServices) {
  ComposeProject project(UniqueProjectName("faults"), FixtureComposeFile("faults"),
                         {{"OK_PORT", std::to_string(FreeLoopbackPort())}});
  CommandOutput up = project.Up({"crashy", "sick", "plain"});
  ASSERT_TRUE(up.ok()) << up.output;
  DockerEngineClient client = ClientFor(project);

  std::vector<ContainerState> list = ListUntil(client, [](const auto& l) {
    const ContainerState* crashy = Find(l, "crashy");
    const ContainerState* sick = Find(l, "sick");
    return crashy != nullptr && crashy->restart_count >= 2 && crashy->exit_code.has_value() &&
           sick != nullptr && sick->health == "unhealthy";
  });
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list[0].service, "crashy");
  EXPECT_GE(list[0].restart_count, 2);
  EXPECT_EQ(list[0].exit_code, 1);
  EXPECT_EQ(list[1].service, "plain");
  EXPECT_EQ(list[1].state, "running");
  EXPECT_EQ(list[1].health, "");
  EXPECT_EQ(list[2].service, "sick");
  EXPECT_EQ(list[2].health, "unhealthy");
}

// ListProject reuses inspect answers while the list describes a container the same way. Where
// the list's Status text and the inspect differ (a paused container shows no health in the
// text; an exited one keeps its last health only in the inspect), the cached answers must be
// what a fresh inspect says.
TEST_F(DockerEngineClientITest, CachedObservationsMatchFreshInspectsThroughPauseStopAndStart) {
  ComposeProject project(UniqueProjectName("cache"), FixtureComposeFile("two_services"),
                         {{"WEB_PORT", std::to_string(FreeLoopbackPort())},
                          {"DB_PORT", std::to_string(FreeLoopbackPort())}});
  CommandOutput up = project.Up({"web"});
  ASSERT_TRUE(up.ok()) << up.output;
  DockerEngineClient cached = ClientFor(project);
  DockerEngineClient fresh({.docker_host = DockerHostForTest(),
                            .project = project.name(),
                            .inspect_cache_max_age = Duration::zero()});
  auto both_healthy = [](const std::vector<ContainerState>& l) {
    return l.size() == 2 && l[0].health == "healthy" && l[1].health == "healthy";
  };
  std::vector<ContainerState> list = ListUntil(cached, both_healthy);
  ASSERT_TRUE(both_healthy(list));
  const std::string db_id = list[0].id;
  const std::string web_id = list[1].id;

  ASSERT_TRUE(cached.PauseContainer(web_id).ok());
  ASSERT_TRUE(cached.Stop(db_id, 1).ok());
  Result<std::vector<ContainerState>> first = cached.ListProject();
  Result<std::vector<ContainerState>> again = cached.ListProject();
  Result<std::vector<ContainerState>> truth = fresh.ListProject();
  ASSERT_TRUE(first.ok() && again.ok() && truth.ok());
  EXPECT_EQ((*truth)[0].state, "exited");
  EXPECT_EQ((*truth)[1].state, "paused");
  // Docker marks a container it pauses unhealthy, with no failing check (core/readiness.h).
  EXPECT_EQ((*truth)[1].health, "unhealthy");
  EXPECT_EQ((*truth)[1].health_failing_streak, 0);
  EXPECT_EQ((*truth)[1].health_last_exit, 0);
  EXPECT_EQ(*first, *truth);
  EXPECT_EQ(*again, *truth);

  ASSERT_TRUE(cached.UnpauseContainer(web_id).ok());
  ASSERT_TRUE(cached.Start(db_id).ok());
  list = ListUntil(cached, both_healthy);
  ASSERT_TRUE(both_healthy(list));
  Result<std::vector<ContainerState>> restarted = fresh.ListProject();
  ASSERT_TRUE(restarted.ok());
  EXPECT_EQ(list, *restarted);
}

// The contract FakeDocker passes in the unit tier (src/testing/container_control_contract.h),
// against the real dockerd, on the `faults` fixture (plain, ok, crashy).
class RealDockerEnv {
 public:
  static bool Available() { return DockerAvailable(); }
  RealDockerEnv()
      : project_(UniqueProjectName("contract"), FixtureComposeFile("faults"),
                 {{"OK_PORT", std::to_string(FreeLoopbackPort())}}),
        client_(ClientFor(project_)) {
    EnsureImages();
  }
  ContainerObserver& observer() { return client_; }
  ContainerControl& control() { return client_; }
  void Create(const std::string& service, bool running) {
    CommandOutput up = project_.Up({service});
    ASSERT_TRUE(up.ok()) << up.output;
    if (!running) {
      ASSERT_TRUE(project_.Run({"stop", "-t", "1", service}));
    }
  }
  // `crashy` exits 1 a second after each start and has restart: always. Docker doubles its
  // restart delay each time, so after a few deaths it stays `restarting` for seconds.
  std::optional<ContainerState> MakeRestarting(const std::string& service) {
    CommandOutput up = project_.Up({service});
    EXPECT_TRUE(up.ok()) << up.output;
    std::optional<ContainerState> seen;
    WaitUntil(
        [&] {
          Result<std::vector<ContainerState>> list = client_.ListProject();
          if (!list.ok()) return false;
          const ContainerState* c = Find(*list, service);
          if (c != nullptr && c->state == "restarting") seen = *c;
          return seen.has_value();
        },
        60s, 50ms);
    return seen;
  }

 private:
  ComposeProject project_;
  DockerEngineClient client_;
};

INSTANTIATE_TYPED_TEST_SUITE_P(RealDocker, ContainerControlContractTest,
                               ::testing::Types<RealDockerEnv>);

TEST_F(DockerEngineClientITest, AnUnknownContainerIsNotFoundAndAnEmptyProjectIsEmpty) {
  DockerEngineClient client(
      {.docker_host = DockerHostForTest(), .project = UniqueProjectName("empty")});
  EXPECT_EQ(client.Inspect("madre_no_such_container_x").code(), StatusCode::kNotFound);
  EXPECT_EQ(client.Stop("madre_no_such_container_x", 1).code(), StatusCode::kNotFound);
  Result<std::vector<ContainerState>> list = client.ListProject();
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  EXPECT_THAT(*list, IsEmpty());
}

TEST(DockerEnvTest, ProjectNamesAreUniqueAndLowercase) {
  std::string a = UniqueProjectName("My.Test");
  std::string b = UniqueProjectName("My.Test");
  EXPECT_NE(a, b);
  EXPECT_EQ(a.rfind("mytest_", 0), 0u) << a;
  for (char c : a) EXPECT_TRUE(std::islower(c) || std::isdigit(c) || c == '_') << a;
}

TEST(DockerEnvTest, FreeLoopbackPortsDiffer) {
  int a = FreeLoopbackPort();
  int b = FreeLoopbackPort();
  EXPECT_GT(a, 0);
  EXPECT_GT(b, 0);
  EXPECT_NE(a, b);
}

TEST(DockerEnvTest, ComposeProjectRemovesItsContainersWhenItGoesAway) {
  MADRE_NEED_DOCKER();
  EnsureImages();
  std::string name = UniqueProjectName("cleanup");
  {
    ComposeProject project(name, FixtureComposeFile("shared"),
                           {{"COMMON_PORT", std::to_string(FreeLoopbackPort())},
                            {"A_PORT", std::to_string(FreeLoopbackPort())},
                            {"B_PORT", std::to_string(FreeLoopbackPort())}});
    CommandOutput up = project.Up({"a"});
    ASSERT_TRUE(up.ok()) << up.output;
    EXPECT_THAT(RunningServices(name), ElementsAre("a", "common"));
  }
  EXPECT_THAT(RunningServices(name), IsEmpty());
  CommandOutput left = RunCommandForTest(
      {"docker", "ps", "-aq", "--filter", "label=com.docker.compose.project=" + name});
  EXPECT_EQ(left.output, "");
}

}  // namespace
}  // namespace madre
