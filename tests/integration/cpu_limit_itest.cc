// CPU limits on the real dockerd (issue 11, docs/design.md "CPU limits"): a window's cpu_limit
// sets the containers' NanoCpus while it is open and the original comes back after; with
// VX11_STOP_STRATEGY=cpu_idle a close leaves the container running at 0.01 CPU, dormant for
// SOLO_MADRE, and a re-open gives its quota back without a restart. docker-compose v1.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "docker_env.h"
#include "madre_process.h"

namespace madre::itest {
namespace {

using nlohmann::json;

// `app` has compose's own limit (cpus: 1.5); `free` has none. No healthcheck: ready once running.
constexpr char kCompose[] =
    "x-svc: &svc\n"
    "  image: madre-busybox:latest\n"
    "  pull_policy: never\n"
    "  stop_grace_period: 2s\n"
    "services:\n"
    "  app:\n"
    "    <<: *svc\n"
    "    cpus: 1.5\n"
    "    environment: {SERVICE_NAME: app, PORT: \"8080\"}\n"
    "  free:\n"
    "    <<: *svc\n"
    "    environment: {SERVICE_NAME: free, PORT: \"8080\"}\n";

bool HaveComposeV1() {
  return RunCommandForTest({"docker-compose", "version"}, {}, std::chrono::seconds(30)).ok();
}

struct Inspected {
  std::string id;
  long long nano_cpus = -1;
  std::string status;
  std::string started_at;
};

class CpuLimitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MADRE_NEED_DOCKER();
    if (!HaveComposeV1()) MADRE_SKIP_OR_FAIL() << "docker-compose (v1) is not installed";
    EnsureImages();
    project_ = UniqueProjectName("cpulimit");
    dir_ = std::filesystem::temp_directory_path() / ("madre_" + project_);
    std::filesystem::create_directories(dir_);
    std::ofstream(dir_ / "docker-compose.yml") << kCompose;
    compose_ = std::make_unique<ComposeProject>(project_, dir_ / "docker-compose.yml");
  }

  void TearDown() override {
    if (madre_ && HasFailure()) std::cerr << "madre log:\n" << madre_->log() << std::endl;
    madre_.reset();
    compose_.reset();  // `down`
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  void StartMadre(const std::string& strategy) {
    madre_ = std::make_unique<MadreProcess>(
        std::map<std::string, std::string>{{"VX11_COMPOSE_PROJECT", project_},
                                           {"VX11_COMPOSE_DIR", dir_.string()},
                                           {"VX11_COMPOSE_CMD", "docker-compose"},
                                           {"VX11_ALWAYS_ON", "madre"},
                                           {"VX11_THROTTLE_CPU_PCT", "0"},
                                           {"VX11_STOP_STRATEGY", strategy}});
    ASSERT_TRUE(madre_->Start());
  }

  json Open(const std::string& body) {
    HttpAnswer opened = madre_->Post("/madre/power/windows/open", body);
    EXPECT_EQ(opened.status, 200) << opened.body;
    EXPECT_EQ(opened.Json()["state"], "open") << opened.body;
    return opened.Json();
  }

  void Close() {
    HttpAnswer closed = madre_->Post("/madre/power/windows/close", "{}");
    ASSERT_EQ(closed.status, 200) << closed.body;
  }

  Inspected Inspect(const std::string& service) {
    CommandOutput ids =
        RunCommandForTest({"docker", "ps", "-aq", "--no-trunc", "--filter",
                           "label=com.docker.compose.project=" + project_, "--filter",
                           "label=com.docker.compose.service=" + service});
    EXPECT_TRUE(ids.ok()) << ids.output;
    Inspected out;
    out.id = ids.output.substr(0, ids.output.find('\n'));
    if (out.id.empty()) return out;
    CommandOutput inspected = RunCommandForTest(
        {"docker", "inspect", "-f",
         "{{.HostConfig.NanoCpus}} {{.State.Status}} {{.State.StartedAt}}", out.id});
    EXPECT_TRUE(inspected.ok()) << inspected.output;
    std::istringstream fields(inspected.output);
    fields >> out.nano_cpus >> out.status >> out.started_at;
    return out;
  }

  // Waits (up to 15 s) until the service's container has `nano_cpus`; returns what it has then.
  Inspected WaitForNanoCpus(const std::string& service, long long nano_cpus) {
    Inspected now = Inspect(service);
    for (int i = 0; i < 150 && now.nano_cpus != nano_cpus; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      now = Inspect(service);
    }
    return now;
  }

  long long HostNanoCpus() {
    CommandOutput cpus = RunCommandForTest({"docker", "info", "-f", "{{.NCPU}}"});
    EXPECT_TRUE(cpus.ok()) << cpus.output;
    return std::stoll(cpus.output) * 1'000'000'000LL;
  }

  std::string project_;
  std::filesystem::path dir_;
  std::unique_ptr<ComposeProject> compose_;
  std::unique_ptr<MadreProcess> madre_;
};

TEST_F(CpuLimitTest, AWindowsCpuLimitHoldsWhileItIsOpenAndTheOriginalComesBackAfter) {
  StartMadre("stop");
  json window = Open(R"({"services":["app","free"],"ttl_sec":300,"wait":true,"cpu_limit":0.5})");
  EXPECT_EQ(window["cpu_limit"], 0.5) << window.dump();
  EXPECT_EQ(WaitForNanoCpus("app", 500'000'000).nano_cpus, 500'000'000);
  EXPECT_EQ(WaitForNanoCpus("free", 500'000'000).nano_cpus, 500'000'000);
  Close();
  Inspected app = WaitForNanoCpus("app", 1'500'000'000);
  EXPECT_EQ(app.nano_cpus, 1'500'000'000) << "compose's own cpus: 1.5";
  EXPECT_EQ(app.status, "exited");
  // No limit before: Docker ignores NanoCpus 0 in an update, so madre lifts it to the whole host.
  EXPECT_EQ(WaitForNanoCpus("free", HostNanoCpus()).nano_cpus, HostNanoCpus());
  // Nothing left to restore.
  CommandOutput rows = RunCommandForTest(
      {"sqlite3", (madre_->state_dir() / "madre.db").string(), "SELECT COUNT(*) FROM cpu_quotas"});
  if (rows.ok()) {
    EXPECT_EQ(rows.output.substr(0, 1), "0") << rows.output;
  }
}

TEST_F(CpuLimitTest, AKill9WhileAWindowLimitsLosesNothingTheRestartRestoresTheOriginal) {
  StartMadre("stop");
  Open(R"({"services":["app"],"ttl_sec":3,"wait":true,"cpu_limit":0.25})");
  ASSERT_EQ(WaitForNanoCpus("app", 250'000'000).nano_cpus, 250'000'000);
  madre_->Kill9();
  std::this_thread::sleep_for(std::chrono::seconds(4));  // the window expires while madre is down
  ASSERT_TRUE(madre_->Start());
  EXPECT_EQ(WaitForNanoCpus("app", 1'500'000'000).nano_cpus, 1'500'000'000)
      << "the original kept in the store before the update";
}

TEST_F(CpuLimitTest, CpuIdleKeepsAClosedWindowsContainerRunningAtTheMinimalQuotaUntilReopened) {
  StartMadre("cpu_idle");
  Open(R"({"services":["app"],"ttl_sec":300,"wait":true})");
  const Inspected open = Inspect("app");
  ASSERT_EQ(open.status, "running");
  EXPECT_EQ(open.nano_cpus, 1'500'000'000);
  Close();
  Inspected idled = WaitForNanoCpus("app", 10'000'000);
  EXPECT_EQ(idled.nano_cpus, 10'000'000) << "0.01 CPU";
  EXPECT_EQ(idled.status, "running");
  EXPECT_EQ(idled.id, open.id);
  json solo = madre_->Get("/madre/power/policy/solo_madre/status").Json();
  EXPECT_EQ(solo["idled_services"], json({"app"})) << solo.dump();
  EXPECT_EQ(solo["unexpected_services"], json::array()) << "idled is dormant, not running";
  EXPECT_EQ(solo["policy_active"], true) << solo.dump();

  Open(R"({"services":["app"],"ttl_sec":300,"wait":true})");
  Inspected woken = WaitForNanoCpus("app", 1'500'000'000);
  EXPECT_EQ(woken.nano_cpus, 1'500'000'000) << "its own quota back";
  EXPECT_EQ(woken.started_at, open.started_at) << "not restarted";
  Close();
  EXPECT_EQ(WaitForNanoCpus("app", 10'000'000).nano_cpus, 10'000'000);

  HttpAnswer applied = madre_->Post("/madre/power/policy/solo_madre/apply", "{}");
  ASSERT_EQ(applied.status, 200) << applied.body;
  Inspected stopped = WaitForNanoCpus("app", 1'500'000'000);
  EXPECT_EQ(stopped.nano_cpus, 1'500'000'000);
  EXPECT_EQ(stopped.status, "exited") << "solo_madre/apply stops idled containers";
}

}  // namespace
}  // namespace madre::itest
