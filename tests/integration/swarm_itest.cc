// SwarmRunner (the Swarm provider, docs/providers.md) against the real dockerd in swarm mode.
// When the engine is not in a swarm, the test makes it a single-node one (`docker swarm init
// --advertise-addr 127.0.0.1`) and leaves it at the end, also on failure; a swarm it did not
// make is left alone. Each test deploys its own stack (`docker stack deploy`, version "3.8",
// no published ports) and removes it. CMake gives these tests RESOURCE_LOCK swarm: one at a
// time, while compose tests go on in parallel on the same dockerd.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "adapters/compose/compose_argv.h"
#include "adapters/compose/compose_cli_runner.h"
#include "adapters/docker/docker_api.h"
#include "adapters/process/posix_process_runner.h"
#include "adapters/swarm/swarm_client.h"
#include "adapters/swarm/swarm_runner.h"
#include "base/clock.h"
#include "core/readiness.h"
#include "docker_env.h"
#include "madre_process.h"

namespace madre {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using ::testing::HasSubstr;

std::string DockerHostForTest() {
  const char* host = std::getenv("DOCKER_HOST");
  return host != nullptr && *host != '\0' ? host : "unix:///var/run/docker.sock";
}

std::string Trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

// A stack of madre-busybox services: db (1 replica, no healthcheck), web (deploy.replicas 2,
// a 1 s healthcheck, depends on db: ignored by Swarm), crashy (exits 1 a second after each
// start) and glob (global mode).
constexpr const char* kStackFile = R"yaml(version: "3.8"
services:
  db:
    image: madre-busybox:latest
    environment: {SERVICE_NAME: db, PORT: "8080"}
    stop_grace_period: 2s
  web:
    image: madre-busybox:latest
    environment: {SERVICE_NAME: web, PORT: "8080"}
    depends_on: [db]
    stop_grace_period: 2s
    healthcheck:
      test: ["CMD-SHELL", "wget -q -O- http://127.0.0.1:8080/health"]
      interval: 1s
      timeout: 2s
      retries: 30
    deploy:
      replicas: 2
  crashy:
    image: madre-busybox:latest
    environment: {SERVICE_NAME: crashy, CRASH: "1"}
    deploy:
      restart_policy: {condition: on-failure, delay: 1s}
  glob:
    image: madre-busybox:latest
    environment: {SERVICE_NAME: glob, PORT: "8080"}
    stop_grace_period: 2s
    deploy:
      mode: global
)yaml";

const ContainerState* Find(const std::vector<ContainerState>& list, const std::string& service) {
  for (const ContainerState& c : list) {
    if (c.service == service) return &c;
  }
  return nullptr;
}

class SwarmItest : public ::testing::Test {
 protected:
  virtual std::string StackFile() const { return kStackFile; }
  // The stack is deployed by `madre stack deploy` (with VX11_PROVIDER=swarm) rather than by
  // `docker stack deploy`.
  virtual bool DeployWithMadre() const { return false; }

  // `madre stack deploy` of stack.yml as the stack.
  CommandOutput MadreStackDeploy() const {
    return RunCommandForTest({MADRE_BINARY, "stack", "deploy", "-p", stack_, "--compose-dir",
                              dir_.string(), "-f", "stack.yml"},
                             {{"VX11_PROVIDER", "swarm"}}, 180s);
  }

  void SetUp() override {
    MADRE_NEED_DOCKER();
    EnsureImages();
    CommandOutput state =
        RunCommandForTest({"docker", "info", "--format", "{{.Swarm.LocalNodeState}}"});
    ASSERT_TRUE(state.ok()) << state.output;
    const std::string node_state = Trimmed(state.output);
    if (node_state == "inactive") {
      gwbridge_existed_ =
          RunCommandForTest({"docker", "network", "inspect", "docker_gwbridge"}).ok();
      CommandOutput init =
          RunCommandForTest({"docker", "swarm", "init", "--advertise-addr", "127.0.0.1"});
      ASSERT_TRUE(init.ok()) << init.output;
      initialised_swarm_ = true;
    } else if (node_state != "active") {
      MADRE_SKIP_OR_FAIL() << "the engine's swarm state is " << node_state;
    }
    stack_ = UniqueProjectName("swarm");
    dir_ = std::filesystem::temp_directory_path() / ("madre-" + stack_);
    std::filesystem::create_directories(dir_);
    std::ofstream(dir_ / "stack.yml") << StackFile();
    CommandOutput deploy = DeployWithMadre()
                               ? MadreStackDeploy()
                               : RunCommandForTest({"docker", "stack", "deploy", "-c",
                                                    (dir_ / "stack.yml").string(), stack_},
                                                   {}, 120s);
    ASSERT_TRUE(deploy.ok()) << deploy.output;
    deployed_ = true;

    api_ = std::make_shared<DockerApi>(DockerHostForTest(), Seconds(30));
    client_ = std::make_unique<SwarmClient>(stack_, DockerApiTransport(api_, Seconds(30)));
    std::string command;
    for (const std::string& word : ComposeCommand()) command += (command.empty() ? "" : " ") + word;
    Result<ComposeTarget> target = ParseComposeCommand(command);
    ASSERT_TRUE(target.ok()) << target.status().message();
    target->project = stack_;
    target->files = {"stack.yml"};
    target->working_dir = dir_;
    compose_ = std::make_unique<ComposeCliRunner>(*target, processes_, Seconds(60));
    runner_ = std::make_unique<SwarmRunner>(*client_, *compose_, clock_);
  }

  void TearDown() override {
    if (madre_ && HasFailure()) std::cerr << "madre log:\n" << madre_->log() << std::endl;
    madre_.reset();  // before the stack goes
    if (deployed_) {
      CommandOutput rm = RunCommandForTest({"docker", "stack", "rm", stack_}, {}, 60s);
      if (!rm.ok()) ADD_FAILURE() << "docker stack rm " << stack_ << ": " << rm.output;
      // The stack's network goes once its tasks are gone.
      WaitUntil(
          [&] {
            CommandOutput left = RunCommandForTest({"docker", "network", "ls", "-q", "--filter",
                                                    "label=com.docker.stack.namespace=" + stack_});
            return left.ok() && Trimmed(left.output).empty();
          },
          30s, 500ms);
    }
    if (initialised_swarm_) LeaveSwarm();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  static bool IngressLeft() {
    CommandOutput ls = RunCommandForTest({"docker", "network", "ls", "--format", "{{.Name}}"});
    return ls.ok() && ls.output.find("ingress") != std::string::npos;
  }

  // `docker swarm leave --force`, then the networks the swarm made go. dockerd 20.10 sometimes
  // keeps a stale `ingress` network (with its ingress-sbox endpoint, which also pins
  // docker_gwbridge) after a leave that comes soon after the init; a second swarm, left once
  // its ingress is set up, takes it away.
  void LeaveSwarm() {
    CommandOutput leave = RunCommandForTest({"docker", "swarm", "leave", "--force"}, {}, 60s);
    if (!leave.ok()) ADD_FAILURE() << "docker swarm leave --force: " << leave.output;
    if (!WaitUntil([] { return !IngressLeft(); }, 10s, 500ms)) {
      RunCommandForTest({"docker", "swarm", "init", "--advertise-addr", "127.0.0.1"}, {}, 60s);
      WaitUntil([] { return false; }, 5s, 500ms);  // let the new ingress settle
      RunCommandForTest({"docker", "swarm", "leave", "--force"}, {}, 60s);
      if (!WaitUntil([] { return !IngressLeft(); }, 15s, 500ms)) {
        ADD_FAILURE() << "a stale ingress network is left after docker swarm leave";
      }
    }
    if (!gwbridge_existed_) {
      WaitUntil(
          [] {
            return RunCommandForTest({"docker", "network", "rm", "docker_gwbridge"}).ok();
          },
          15s, 500ms);
    }
  }

  // ListProject until `done` holds for it (or the last view after `timeout`).
  std::vector<ContainerState> ListUntil(
      const std::function<bool(const std::vector<ContainerState>&)>& done,
      std::chrono::milliseconds timeout = 90s) {
    std::vector<ContainerState> last;
    WaitUntil(
        [&] {
          Result<std::vector<ContainerState>> list = runner_->ListProject();
          if (!list.ok()) return false;
          last = *list;
          return done(last);
        },
        timeout, 250ms);
    return last;
  }

  static bool IsUp(const std::vector<ContainerState>& list, const std::string& service) {
    const ContainerState* c = Find(list, service);
    return c != nullptr && c->state == "running";
  }
  static bool IsDown(const std::vector<ContainerState>& list, const std::string& service) {
    const ContainerState* c = Find(list, service);
    return c != nullptr && c->state == "exited";
  }
  static bool AllDown(const std::vector<ContainerState>& list,
                      const std::vector<std::string>& services) {
    for (const std::string& service : services) {
      if (!IsDown(list, service)) return false;
    }
    return true;
  }

  bool initialised_swarm_ = false;
  bool gwbridge_existed_ = true;
  bool deployed_ = false;
  std::string stack_;
  std::filesystem::path dir_;
  SystemClock clock_;
  PosixProcessRunner processes_;
  std::shared_ptr<DockerApi> api_;
  std::unique_ptr<SwarmClient> client_;
  std::unique_ptr<ComposeCliRunner> compose_;
  std::unique_ptr<SwarmRunner> runner_;
  std::unique_ptr<itest::MadreProcess> madre_;
};

TEST_F(SwarmItest, ScaleDownRemembersTheCountAndUpRestoresIt) {
  // The compose CLI reads the stack file as madre's model.
  Result<ServiceModel> model = runner_->Config();
  ASSERT_TRUE(model.ok()) << model.status().message();
  ASSERT_TRUE(model->Has("web"));
  EXPECT_TRUE(model->services.at("web").has_healthcheck);
  EXPECT_EQ(model->services.at("web").depends_on, std::vector<std::string>{"db"});

  std::vector<ContainerState> list =
      ListUntil([](const auto& l) { return IsUp(l, "web") && IsUp(l, "db"); });
  ASSERT_TRUE(IsUp(list, "web")) << "web never ran 2 of 2";
  const ContainerState* web = Find(list, "web");
  EXPECT_EQ(web->container, stack_ + "_web");
  EXPECT_EQ(web->health, "healthy");
  ReadinessState readiness;
  readiness.started = clock_.Now();
  EXPECT_EQ(EvaluateReadiness(ReadinessFor(model->services.at("web"), Seconds(60)), *web,
                              std::nullopt, readiness, clock_.Now())
                .verdict,
            Verdict::kReady);

  // Close: dependents first, as the engine asks.
  ComposeOutcome stop = runner_->Stop({"web", "db"});
  ASSERT_TRUE(stop.status.ok()) << stop.status.message();
  ASSERT_EQ(stop.ops.size(), 2u);
  EXPECT_EQ(stop.ops[0].command, "POST /services/" + stack_ + "_web/update replicas=0");
  EXPECT_THAT(stop.ops[0].output, HasSubstr("label vx11.madre.replicas=2"));
  Result<SwarmService> inspected = client_->Inspect(stack_ + "_web");
  ASSERT_TRUE(inspected.ok()) << inspected.status().message();
  EXPECT_EQ(inspected->replicas, 0);
  EXPECT_EQ(inspected->labels.at(std::string(kReplicasLabel)), "2");
  Result<std::vector<ContainerState>> now = runner_->ListProject();
  ASSERT_TRUE(now.ok()) << now.status().message();
  list = *now;
  ASSERT_NE(Find(list, "web"), nullptr);
  EXPECT_FALSE(Find(list, "web")->Running());  // exited, or removing while tasks stop
  list = ListUntil([](const auto& l) { return IsDown(l, "web") && IsDown(l, "db"); });
  EXPECT_TRUE(IsDown(list, "web") && IsDown(list, "db"));

  // A second close sends nothing.
  ComposeOutcome again = runner_->Stop({"web"});
  ASSERT_TRUE(again.status.ok()) << again.status.message();
  EXPECT_THAT(again.ops.at(0).output, HasSubstr("nothing sent"));

  // Open: dependencies first; web comes back with its 2 replicas.
  ComposeOutcome up = runner_->Up({"db", "web"});
  ASSERT_TRUE(up.status.ok()) << up.status.message();
  ASSERT_EQ(up.ops.size(), 2u);
  EXPECT_EQ(up.ops[0].command, "POST /services/" + stack_ + "_db/update replicas=1");
  EXPECT_EQ(up.ops[1].command, "POST /services/" + stack_ + "_web/update replicas=2");
  now = runner_->ListProject();
  ASSERT_TRUE(now.ok()) << now.status().message();
  list = *now;
  ASSERT_NE(Find(list, "web"), nullptr);
  EXPECT_TRUE(Find(list, "web")->Running());  // the action runner's start check
  list = ListUntil([](const auto& l) { return IsUp(l, "web") && IsUp(l, "db"); });
  ASSERT_TRUE(IsUp(list, "web"));
  EXPECT_EQ(Find(list, "web")->health, "healthy");
  inspected = client_->Inspect(stack_ + "_web");
  ASSERT_TRUE(inspected.ok());
  EXPECT_EQ(inspected->replicas, 2);
  Result<std::vector<SwarmTask>> tasks = client_->Tasks({inspected->id});
  ASSERT_TRUE(tasks.ok()) << tasks.status().message();
  int running = 0;
  for (const SwarmTask& task : *tasks) running += task.state == "running" ? 1 : 0;
  EXPECT_EQ(running, 2);

  // A restart replaces the tasks and keeps the count.
  ComposeOutcome restart = runner_->Restart({"db"});
  ASSERT_TRUE(restart.status.ok()) << restart.status.message();
  inspected = client_->Inspect(stack_ + "_db");
  ASSERT_TRUE(inspected.ok());
  EXPECT_EQ(inspected->force_update, 1);
  EXPECT_EQ(inspected->replicas, 1);
}

TEST_F(SwarmItest, ACrashLoopShowsFailedTasksWithExitCodeAndError) {
  std::vector<ContainerState> list = ListUntil([](const auto& l) {
    const ContainerState* c = Find(l, "crashy");
    return c != nullptr && c->restart_count >= 2;
  });
  const ContainerState* crashy = Find(list, "crashy");
  ASSERT_NE(crashy, nullptr);
  ASSERT_GE(crashy->restart_count, 2);
  EXPECT_EQ(crashy->exit_code, 1);
  EXPECT_NE(crashy->state, "exited");  // Swarm keeps trying: desired 1

  Result<FailureEvidence> evidence = runner_->Evidence(crashy->id, 10);
  ASSERT_TRUE(evidence.ok()) << evidence.status().message();
  EXPECT_EQ(evidence->service, "crashy");
  EXPECT_EQ(evidence->exit_code, 1);
  EXPECT_THAT(evidence->error, HasSubstr("non-zero exit (1)"));
  ASSERT_FALSE(evidence->log_lines.empty());
  EXPECT_THAT(evidence->log_lines.back(), HasSubstr("crashing on purpose"));
  Result<std::string> logs = runner_->Logs(crashy->id, 2);
  ASSERT_TRUE(logs.ok()) << logs.status().message();
  EXPECT_THAT(*logs, HasSubstr("crashy: crashing on purpose (CRASH=1)"));
}

TEST_F(SwarmItest, GlobalServicesAreRefusedAndOtherStacksAreNotSeen) {
  ComposeOutcome up = runner_->Up({"glob"});
  ASSERT_FALSE(up.status.ok());
  EXPECT_THAT(up.status.message(), HasSubstr("not in replicated mode"));
  EXPECT_EQ(up.ops.at(0).exit_code, -1);

  // A stack whose name only starts like this one's is not part of it.
  SwarmClient prefix(stack_.substr(0, stack_.size() - 1), DockerApiTransport(api_, Seconds(30)));
  Result<std::vector<SwarmService>> none = prefix.ListStackServices();
  ASSERT_TRUE(none.ok()) << none.status().message();
  EXPECT_TRUE(none->empty());
  Result<std::vector<SwarmService>> mine = client_->ListStackServices();
  ASSERT_TRUE(mine.ok()) << mine.status().message();
  EXPECT_EQ(mine->size(), 4u);
}

// What `madre serve` runs on: the same stack without the global service, a crashy that exits at
// once, and `late`, which runs 3 s and then exits 7: readiness (1 s settle, no healthcheck)
// judges it ready, and its later deaths come as Docker events of its task containers.
constexpr const char* kMadreStackFile = R"yaml(version: "3.8"
services:
  db:
    image: madre-busybox:latest
    environment: {SERVICE_NAME: db, PORT: "8080"}
    stop_grace_period: 2s
  web:
    image: madre-busybox:latest
    environment: {SERVICE_NAME: web, PORT: "8080"}
    depends_on: [db]
    stop_grace_period: 2s
    healthcheck:
      test: ["CMD-SHELL", "wget -q -O- http://127.0.0.1:8080/health"]
      interval: 1s
      timeout: 2s
      retries: 30
    deploy:
      replicas: 2
  crashy:
    image: madre-busybox:latest
    entrypoint: ["/bin/sh", "-c", "echo crashy: exiting at once; exit 1"]
    deploy:
      restart_policy: {condition: on-failure, delay: 1s}
  late:
    image: madre-busybox:latest
    entrypoint: ["/bin/sh", "-c", "sleep 3; echo late: exiting after 3 s; exit 7"]
    deploy:
      restart_policy: {condition: on-failure, delay: 1s}
  nowhere:
    image: madre-busybox:latest
    environment: {SERVICE_NAME: nowhere, PORT: "8080"}
    deploy:
      placement:
        constraints: [node.labels.madre-itest-nowhere == yes]
)yaml";

class SwarmMadreItest : public SwarmItest {
 protected:
  std::string StackFile() const override { return kMadreStackFile; }

  // madre serve on the stack (with `extra` settings); returns once the services running at
  // start are scaled to 0.
  void StartMadre(const std::map<std::string, std::string>& extra = {}) {
    std::map<std::string, std::string> env = {
        {"VX11_PROVIDER", "swarm"},          {"VX11_COMPOSE_PROJECT", stack_},
        {"VX11_COMPOSE_DIR", dir_.string()}, {"VX11_COMPOSE_FILES", "stack.yml"},
        {"VX11_ALWAYS_ON", "madre"},         {"VX11_RESYNC_SEC", "2"},
        {"VX11_HEALTH_TIMEOUT_SEC", "40"},   {"VX11_EXTERNAL_START", "stop"}};
    for (const auto& [name, value] : extra) env[name] = value;
    madre_ = std::make_unique<itest::MadreProcess>(env);
    ASSERT_TRUE(madre_->Start()) << madre_->log();
    std::vector<ContainerState> list = ListUntil([](const auto& l) {
      return AllDown(l, {"web", "db", "crashy", "late"});
    });
    ASSERT_TRUE(AllDown(list, {"web", "db", "crashy", "late"})) << madre_->log();
  }

  // Opens a window of `service` (waiting up to 90 s) and follows it until `done` holds for the
  // window (at most 90 s more); the window then. A fatal failure when it never does.
  json OpenAndWatch(const std::string& service, const std::function<bool(const json&)>& done) {
    itest::HttpAnswer opened = madre_->Post(
        "/madre/power/windows/open",
        json{{"services", {service}}, {"ttl_sec", 120}, {"wait", true}, {"wait_timeout_sec", 90}}
            .dump());
    const std::string id = opened.Json().value("window_id", "");
    [&] { ASSERT_FALSE(id.empty()) << opened.status << " " << opened.body; }();
    if (id.empty()) return json();
    json window;
    const bool seen = WaitUntil(
        [&] {
          window = madre_->Get("/madre/power/windows/" + id).Json();
          return done(window);
        },
        90s, 500ms);
    [&] { ASSERT_TRUE(seen) << opened.body << "\n" << window.dump(2); }();
    return window;
  }
};

// `madre serve` with VX11_PROVIDER=swarm: the services found running at start that no window
// holds are scaled to 0 (VX11_EXTERNAL_START=stop); a window of web scales db then web up
// (the closure and order from the stack file's depends_on), is open once web's 2 tasks are
// healthy, and its TTL scales both back to 0.
TEST_F(SwarmMadreItest, AWindowScalesTheStackUpAndItsTtlScalesItDown) {
  StartMadre();
  if (HasFatalFailure()) return;
  Result<SwarmService> web = client_->Inspect(stack_ + "_web");
  ASSERT_TRUE(web.ok());
  EXPECT_EQ(web->labels.at(std::string(kReplicasLabel)), "2");

  itest::HttpAnswer opened =
      madre_->Post("/madre/power/windows/open", R"({"services":["web"],"ttl_sec":6,"wait":true})");
  ASSERT_EQ(opened.status, 200) << opened.body;
  json window = opened.Json();
  EXPECT_EQ(window["state"], "open") << opened.body;
  EXPECT_EQ(window["services_started"], json({"db", "web"})) << opened.body;
  Result<std::vector<ContainerState>> now = runner_->ListProject();
  ASSERT_TRUE(now.ok()) << now.status().message();
  EXPECT_TRUE(IsUp(*now, "db"));
  ASSERT_TRUE(IsUp(*now, "web"));  // 2 of 2 running: open means ready
  EXPECT_EQ(Find(*now, "web")->health, "healthy");
  web = client_->Inspect(stack_ + "_web");
  ASSERT_TRUE(web.ok());
  EXPECT_EQ(web->replicas, 2);

  std::vector<ContainerState> list =
      ListUntil([](const auto& l) { return IsDown(l, "web") && IsDown(l, "db"); }, 60s);
  EXPECT_TRUE(IsDown(list, "web") && IsDown(list, "db")) << madre_->log();
  json status = madre_->Get("/madre/power/windows/status").Json();
  ASSERT_FALSE(status["history"].empty()) << status.dump();
  EXPECT_EQ(status["history"][0]["close_reason"], "ttl_expired");
}

// kill -9 of madre mid-window loses nothing: the restarted daemon finds the window open, the
// services still scaled up, and a close scales them to 0.
TEST_F(SwarmMadreItest, KillNineMidWindowLosesNothing) {
  StartMadre();
  if (HasFatalFailure()) return;
  itest::HttpAnswer opened = madre_->Post("/madre/power/windows/open",
                                          R"({"services":["web"],"ttl_sec":300,"wait":true})");
  ASSERT_EQ(opened.status, 200) << opened.body;
  const std::string id = opened.Json()["window_id"];
  const std::string deadline = opened.Json()["deadline"];
  madre_->Kill9();
  ASSERT_TRUE(madre_->Start()) << madre_->log();
  json window = madre_->Get("/madre/power/windows/" + id).Json();
  EXPECT_EQ(window["state"], "open") << window.dump();
  EXPECT_EQ(window["deadline"], deadline);
  Result<std::vector<ContainerState>> now = runner_->ListProject();
  ASSERT_TRUE(now.ok()) << now.status().message();
  EXPECT_TRUE(IsUp(*now, "web"));
  EXPECT_TRUE(IsUp(*now, "db"));
  itest::HttpAnswer closed =
      madre_->Post("/madre/power/windows/close", json{{"window_id", id}}.dump());
  ASSERT_EQ(closed.status, 200) << closed.body;
  EXPECT_EQ(closed.Json()["services_stopped"], json({"web", "db"})) << closed.body;
  std::vector<ContainerState> list =
      ListUntil([](const auto& l) { return IsDown(l, "web") && IsDown(l, "db"); }, 60s);
  EXPECT_TRUE(IsDown(list, "web") && IsDown(list, "db"));
  Result<SwarmService> web = client_->Inspect(stack_ + "_web");
  ASSERT_TRUE(web.ok());
  EXPECT_EQ(web->labels.at(std::string(kReplicasLabel)), "2");  // still the first count
}

// A window of a crash-looping service fails its readiness with the exit code and the log, as
// a compose crash loop does.
TEST_F(SwarmMadreItest, ACrashLoopFailsTheWindowsService) {
  StartMadre();
  if (HasFatalFailure()) return;
  const json window = OpenAndWatch("crashy", [](const json& w) {
    const json& crashy = w["services_status"]["crashy"];
    return crashy["error"].is_string() &&
           crashy["error"].get<std::string>().find("restarting in a loop") != std::string::npos;
  });
  if (HasFatalFailure()) return;
  const std::string error = window["services_status"]["crashy"]["error"];
  EXPECT_THAT(error, HasSubstr("exit code 1"));
  EXPECT_THAT(error, HasSubstr("crashy: exiting at once"));  // its service log
}

// A service no node can take (a placement constraint no node meets): the open fails after
// core/readiness.h's kUnplaceableGrace with Swarm's reason, not at VX11_HEALTH_TIMEOUT_SEC.
TEST_F(SwarmMadreItest, AServiceNoNodeCanTakeFailsItsOpenWithSwarmsReason) {
  StartMadre();
  if (HasFatalFailure()) return;
  const json window =
      OpenAndWatch("nowhere", [](const json& w) { return w.value("state", "") == "failed"; });
  if (HasFatalFailure()) return;
  const std::string error = window["services_status"]["nowhere"]["error"];
  EXPECT_THAT(error, HasSubstr("Swarm cannot place a task: no suitable node"));
  EXPECT_THAT(error, ::testing::Not(HasSubstr("not ready after")));
}

// Holds and shared services behave as with compose: a held window has no TTL; a window of db
// that ends at its TTL leaves db up while the held window of web (which needs db) is open; the
// held window's close scales both to 0.
TEST_F(SwarmMadreItest, AHeldWindowKeepsASharedDependencyUp) {
  StartMadre({{"VX11_POWER_WINDOWS_MAX_CONCURRENT", "2"}});
  if (HasFatalFailure()) return;
  itest::HttpAnswer held = madre_->Post("/madre/power/windows/open",
                                        R"({"services":["web"],"mode":"hold","wait":true})");
  ASSERT_EQ(held.status, 200) << held.body;
  ASSERT_EQ(held.Json()["state"], "open") << held.body;
  EXPECT_EQ(held.Json()["deadline"], nullptr) << held.body;
  const std::string held_id = held.Json()["window_id"];
  itest::HttpAnswer brief =
      madre_->Post("/madre/power/windows/open", R"({"services":["db"],"ttl_sec":3,"wait":true})");
  ASSERT_EQ(brief.status, 200) << brief.body;
  const std::string brief_id = brief.Json()["window_id"];
  json window;
  ASSERT_TRUE(WaitUntil(
      [&] {
        window = madre_->Get("/madre/power/windows/" + brief_id).Json();
        return window["state"] == "closed";
      },
      30s, 250ms))
      << window.dump();
  EXPECT_EQ(window["close_reason"], "ttl_expired");
  EXPECT_EQ(window["services_stopped"], json::array()) << window.dump();  // web still needs db
  Result<std::vector<ContainerState>> now = runner_->ListProject();
  ASSERT_TRUE(now.ok());
  EXPECT_TRUE(IsUp(*now, "db"));
  EXPECT_TRUE(IsUp(*now, "web"));
  EXPECT_EQ(madre_->Get("/madre/power/windows/" + held_id).Json()["state"], "open");

  itest::HttpAnswer closed =
      madre_->Post("/madre/power/windows/close", json{{"window_id", held_id}}.dump());
  ASSERT_EQ(closed.status, 200) << closed.body;
  EXPECT_EQ(closed.Json()["services_stopped"], json({"web", "db"})) << closed.body;
  std::vector<ContainerState> list =
      ListUntil([](const auto& l) { return IsDown(l, "web") && IsDown(l, "db"); }, 60s);
  EXPECT_TRUE(IsDown(list, "web") && IsDown(list, "db"));
}

// A service that dies after its window opened: its task containers' die events (the stack's
// event stream) make a crash loop, reported with the exit codes and its log lines, and the
// window stays open (VX11_CRASHLOOP_ACTION=report).
TEST_F(SwarmMadreItest, DeathsAfterTheWindowOpenedAreACrashLoop) {
  StartMadre();
  if (HasFatalFailure()) return;
  itest::HttpAnswer opened =
      madre_->Post("/madre/power/windows/open",
                   R"({"services":["late"],"ttl_sec":120,"wait":true,"wait_timeout_sec":60})");
  ASSERT_EQ(opened.status, 200) << opened.body;
  ASSERT_EQ(opened.Json()["state"], "open") << opened.body;
  const std::string id = opened.Json()["window_id"];
  json window;
  const bool looped = WaitUntil(
      [&] {
        window = madre_->Get("/madre/power/windows/" + id).Json();
        const json& late = window["services_status"]["late"];
        return late["state"] == "crashloop" && late["error"].is_string() &&
               late["error"].get<std::string>().find("last log lines") != std::string::npos;
      },
      90s, 500ms);
  ASSERT_TRUE(looped) << window.dump(2) << "\n" << madre_->log();
  EXPECT_EQ(window["state"], "open");
  const std::string error = window["services_status"]["late"]["error"];
  EXPECT_THAT(error, HasSubstr("crash loop: died"));
  EXPECT_THAT(error, HasSubstr("exit codes 7, 7"));
  EXPECT_THAT(error, HasSubstr("late: exiting after 3 s"));  // the service's log
}

// The example stack for Swarm (examples/vx11/docker-stack.yml), deployed by `madre stack
// deploy`, driven by `madre serve` with the settings of examples/vx11/madre-swarm.toml (as
// environment variables, so that the stack gets a unique name): the issue's end-to-end case.
class SwarmExampleItest : public SwarmItest {
 protected:
  std::string StackFile() const override {
    std::ifstream file(SourceDir() / "examples" / "vx11" / "docker-stack.yml");
    std::stringstream text;
    text << file.rdbuf();
    return text.str();
  }
  bool DeployWithMadre() const override { return true; }

  void StartMadre() {
    madre_ = std::make_unique<itest::MadreProcess>(
        std::map<std::string, std::string>{{"VX11_PROVIDER", "swarm"},
                                           {"VX11_COMPOSE_PROJECT", stack_},
                                           {"VX11_COMPOSE_DIR", dir_.string()},
                                           {"VX11_COMPOSE_FILES", "stack.yml"},
                                           {"VX11_ALWAYS_ON", "madre,redis"},
                                           {"VX11_POWER_WINDOWS_CORE_MODE", "1"},
                                           {"VX11_RESYNC_SEC", "2"},
                                           {"VX11_HEALTH_TIMEOUT_SEC", "60"},
                                           {"VX11_EXTERNAL_START", "stop"}});
    ASSERT_TRUE(madre_->Start()) << madre_->log();
  }

  static constexpr const char* kWindowed[] = {"switch", "hermes",  "hormiguero",
                                              "mcp",    "spawner", "operator-backend"};
  static bool AtRest(const std::vector<ContainerState>& list) {
    for (const char* service : kWindowed) {
      if (!IsDown(list, service)) return false;
    }
    return IsUp(list, "redis") && IsUp(list, "tentaculo_link");
  }
  // The /status entry of `service`.
  json StatusOf(const std::string& service) {
    json status = madre_->Get("/madre/power/status").Json();
    for (const json& entry : status["services"]) {
      if (entry["service"] == service) return entry;
    }
    return json();
  }
};

// At rest (SOLO_MADRE: redis and, with core mode, the gateway at 1 replica, the rest at 0), a
// window of [switch, hermes] scales them up (their dependencies are always-on), is open once
// their tasks are healthy (hermes: 2 of 2), and its TTL scales them back to 0; a redeploy with
// `madre stack deploy` keeps them at 0 and keeps hermes' count, which the next open restores.
TEST_F(SwarmExampleItest, AWindowOfSwitchAndHermesOnTheExampleStack) {
  StartMadre();
  if (HasFatalFailure()) return;
  std::vector<ContainerState> list = ListUntil(AtRest);
  ASSERT_TRUE(AtRest(list)) << madre_->log();
  Result<SwarmService> hermes = client_->Inspect(stack_ + "_hermes");
  ASSERT_TRUE(hermes.ok()) << hermes.status().message();
  EXPECT_EQ(hermes->labels.at(std::string(kReplicasLabel)), "2");
  json solo;
  ASSERT_TRUE(WaitUntil(
      [&] {
        solo = madre_->Get("/madre/power/policy/solo_madre/status").Json();
        return solo["policy_active"] == true;
      },
      30s, 500ms))
      << solo.dump();
  EXPECT_EQ(solo["running_services"], json({"madre", "redis", "tentaculo_link"}));

  itest::HttpAnswer opened = madre_->Post(
      "/madre/power/windows/open",
      R"({"services":["switch","hermes"],"ttl_sec":10,"wait":true,"wait_timeout_sec":90})");
  ASSERT_EQ(opened.status, 200) << opened.body;
  json window = opened.Json();
  EXPECT_EQ(window["state"], "open") << opened.body;
  EXPECT_EQ(window["services_started"], json({"switch", "hermes"})) << opened.body;
  list = ListUntil([](const auto&) { return true; });
  EXPECT_EQ(Find(list, "hermes")->health, "healthy");
  EXPECT_EQ(Find(list, "switch")->health, "healthy");
  const json hermes_status = StatusOf("hermes");
  EXPECT_EQ(hermes_status["desired"], 2) << hermes_status.dump();
  EXPECT_EQ(hermes_status["running"], 2) << hermes_status.dump();
  ASSERT_EQ(hermes_status["nodes"].size(), 1u) << hermes_status.dump();  // a single node
  EXPECT_EQ(StatusOf("redis")["running"], 1);

  list = ListUntil([](const auto& l) { return AtRest(l); }, 60s);
  ASSERT_TRUE(AtRest(list)) << madre_->log();
  json history = madre_->Get("/madre/power/windows/status").Json()["history"];
  ASSERT_FALSE(history.empty());
  EXPECT_EQ(history[0]["close_reason"], "ttl_expired");

  // A redeploy while at rest: nothing madre stopped starts, madre's label stays.
  CommandOutput redeploy = MadreStackDeploy();
  ASSERT_TRUE(redeploy.ok()) << redeploy.output;
  EXPECT_THAT(redeploy.output,
              HasSubstr("hermes: kept at 0 replica(s); restores 2 (label vx11.madre.replicas "
                        "kept)"));
  hermes = client_->Inspect(stack_ + "_hermes");
  ASSERT_TRUE(hermes.ok());
  EXPECT_EQ(hermes->replicas, 0);
  EXPECT_EQ(hermes->labels.at(std::string(kReplicasLabel)), "2");
  Result<std::vector<ContainerState>> now = runner_->ListProject();
  ASSERT_TRUE(now.ok());
  EXPECT_TRUE(AtRest(*now));

  itest::HttpAnswer again =
      madre_->Post("/madre/power/windows/open",
                   R"({"services":["hermes"],"ttl_sec":300,"wait":true,"wait_timeout_sec":90})");
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(again.Json()["state"], "open") << again.body;
  hermes = client_->Inspect(stack_ + "_hermes");
  ASSERT_TRUE(hermes.ok());
  EXPECT_EQ(hermes->replicas, 2);
  itest::HttpAnswer closed = madre_->Post("/madre/power/windows/close",
                                          json{{"window_id", again.Json()["window_id"]}}.dump());
  EXPECT_EQ(closed.status, 200) << closed.body;
}

}  // namespace
}  // namespace madre
