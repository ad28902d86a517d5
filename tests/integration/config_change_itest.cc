// A compose file edited between two windows is applied at the next open, as
// `docker compose up -d` would, although existing containers are normally
// started through the Engine API (the fast path). Real dockerd, docker-compose v1.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "adapters/compose/compose_argv.h"
#include "adapters/compose/compose_cli_runner.h"
#include "adapters/docker/docker_engine_client.h"
#include "adapters/process/posix_process_runner.h"
#include "docker_env.h"
#include "madre_process.h"

namespace madre::itest {
namespace {

using nlohmann::json;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;

// One service, no healthcheck (ready after a second of running), nothing published.
std::string ComposeFile(const std::string& marker) {
  return "services:\n"
         "  app:\n"
         "    image: madre-busybox:latest\n"
         "    pull_policy: never\n"
         "    stop_grace_period: 2s\n"
         "    environment: {SERVICE_NAME: app, PORT: \"8080\", MARKER: \"" +
         marker + "\"}\n";
}

bool HaveComposeV1() {
  return RunCommandForTest({"docker-compose", "version"}, {}, std::chrono::seconds(30)).ok();
}

class ConfigChangeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MADRE_NEED_DOCKER();
    if (!HaveComposeV1()) MADRE_SKIP_OR_FAIL() << "docker-compose (v1) is not installed";
    EnsureImages();
    project_ = UniqueProjectName("cfghash");
    dir_ = std::filesystem::temp_directory_path() / ("madre_" + project_);
    std::filesystem::create_directories(dir_);
    WriteCompose("one");
    compose_ = std::make_unique<ComposeProject>(project_, dir_ / "docker-compose.yml");
  }

  void TearDown() override {
    if (madre_ && HasFailure()) std::cerr << "madre log:\n" << madre_->log() << std::endl;
    madre_.reset();
    compose_.reset();  // `down`
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  void WriteCompose(const std::string& marker) {
    std::ofstream(dir_ / "docker-compose.yml") << ComposeFile(marker);
  }

  void StartMadre() {
    madre_ = std::make_unique<MadreProcess>(
        std::map<std::string, std::string>{{"VX11_COMPOSE_PROJECT", project_},
                                           {"VX11_COMPOSE_DIR", dir_.string()},
                                           {"VX11_COMPOSE_CMD", "docker-compose"},
                                           {"VX11_ALWAYS_ON", "madre"}});
    ASSERT_TRUE(madre_->Start());
  }

  // Opens a window on `app` and waits until it is ready; returns the audit ops of the open.
  json OpenApp() {
    HttpAnswer opened = madre_->Post("/madre/power/windows/open",
                                     R"({"services":["app"],"ttl_sec":300,"wait":true})");
    EXPECT_EQ(opened.status, 200) << opened.body;
    EXPECT_EQ(opened.Json()["state"], "open") << opened.body;
    return OpsOfLastOpen();
  }

  void CloseApp() {
    HttpAnswer closed = madre_->Post("/madre/power/windows/close", "{}");
    ASSERT_EQ(closed.status, 200) << closed.body;
    EXPECT_TRUE(RunningServices(project_).empty());
  }

  json OpsOfLastOpen() {
    json records = madre_->Get("/madre/power/audit?limit=20").Json()["records"];
    for (const json& record : records) {
      if (record["action"] == "window.opened") return record["ops"];
    }
    ADD_FAILURE() << "no window.opened record: " << records.dump();
    return json::array();
  }

  std::vector<std::string> Commands(const json& ops) {
    std::vector<std::string> out;
    for (const json& op : ops) out.push_back(op["command"].get<std::string>());
    return out;
  }

  // `docker inspect` of the project's one `app` container: "<id> <status> <env...>".
  std::string Inspect() {
    CommandOutput ids = RunCommandForTest({"docker", "ps", "-aq", "--no-trunc", "--filter",
                                           "label=com.docker.compose.project=" + project_,
                                           "--filter", "label=com.docker.compose.service=app"});
    EXPECT_TRUE(ids.ok()) << ids.output;
    std::string id = ids.output.substr(0, ids.output.find('\n'));
    CommandOutput out = RunCommandForTest(
        {"docker", "inspect", "-f", "{{.Id}} {{.State.Status}} {{json .Config.Env}}", id});
    EXPECT_TRUE(out.ok()) << out.output;
    return out.output;
  }

  std::string project_;
  std::filesystem::path dir_;
  std::unique_ptr<ComposeProject> compose_;
  std::unique_ptr<MadreProcess> madre_;
};

TEST_F(ConfigChangeTest, AnEditedEnvironmentIsAppliedAtTheNextOpen) {
  StartMadre();
  OpenApp();  // creates the container through compose
  const std::string first = Inspect();
  EXPECT_THAT(first, HasSubstr("MARKER=one"));
  CloseApp();

  // Unchanged file: the stopped container is started through the Engine API, no compose up.
  json ops = OpenApp();
  EXPECT_THAT(Commands(ops), Contains(HasSubstr("POST /containers/")));
  EXPECT_THAT(Commands(ops), Not(Contains(HasSubstr(" up "))));
  EXPECT_EQ(Inspect().substr(0, 64), first.substr(0, 64));  // the same container
  CloseApp();

  WriteCompose("changed");
  ops = OpenApp();
  EXPECT_THAT(Commands(ops), Contains(HasSubstr("up -d --no-deps --no-build app")));
  const std::string second = Inspect();
  EXPECT_THAT(second, HasSubstr(" running "));
  EXPECT_THAT(second, HasSubstr("MARKER=changed"));
  EXPECT_THAT(second, Not(HasSubstr("MARKER=one")));
  EXPECT_NE(second.substr(0, 64), first.substr(0, 64));  // recreated
  CloseApp();
}

// What the fast path relies on: `docker-compose config --hash=*` prints the value
// docker-compose v1 puts in the config-hash label of the containers it creates.
TEST_F(ConfigChangeTest, ComposeV1ConfigHashEqualsTheLabelOfTheContainerItCreated) {
  ASSERT_TRUE(compose_->Run({"up", "-d", "--no-deps", "--no-build", "app"}));
  PosixProcessRunner processes;
  Result<ComposeTarget> target = ParseComposeCommand("docker-compose");
  ASSERT_TRUE(target.ok());
  target->project = project_;
  target->files = {"docker-compose.yml"};
  target->working_dir = dir_;
  ComposeCliRunner runner(*target, processes, Seconds(60));
  Result<std::map<std::string, std::string>> hashes = runner.ConfigHashes();
  ASSERT_TRUE(hashes.ok()) << hashes.status().ToString();
  ASSERT_TRUE(hashes->count("app"));

  DockerEngineOptions options;
  options.project = project_;
  DockerEngineClient client(options);
  Result<std::vector<ContainerState>> list = client.ListProject();
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].config_hash, hashes->at("app"));

  WriteCompose("changed");
  Result<std::map<std::string, std::string>> changed = runner.ConfigHashes();
  ASSERT_TRUE(changed.ok()) << changed.status().ToString();
  EXPECT_NE(changed->at("app"), (*list)[0].config_hash);
}

}  // namespace
}  // namespace madre::itest
