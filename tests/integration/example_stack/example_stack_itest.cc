// madre against the bundled example VX11 stack (examples/vx11) and the real dockerd.
//
// The example stack publishes fixed host ports (6379, 8000-8011 on 127.0.0.1), so these tests
// live in their own binary (example_itests) whose ctest entries share RESOURCE_LOCK
// example_stack: they never run at the same time as each other. Each test still has its own
// compose project (never `vx11`), state dir and token, and takes its project down at the end.
// A test is skipped, with the reason, when another example stack (e.g. scripts/demo.sh) holds
// the ports, and the compatibility test when 127.0.0.1:8001 is taken.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "docker_env.h"
#include "madre_process.h"

extern char** environ;

namespace madre::itest {
namespace {

using nlohmann::json;
using std::chrono::seconds;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

// The host ports that examples/vx11/docker-compose.yml publishes.
constexpr int kStackPorts[] = {6379, 8000, 8002, 8003, 8004, 8006, 8008, 8011};
constexpr int kCompatiblePort = 8001;  // the original madre port

std::filesystem::path ExampleDir() { return SourceDir() / "examples" / "vx11"; }

std::string ReadText(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// True when nothing listens on 127.0.0.1:`port` (SO_REUSEADDR: TIME_WAIT does not count).
bool LoopbackPortFree(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  const bool free = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  close(fd);
  return free;
}

// Empty when every example port is free, else who holds which (for the skip message).
std::string StackPortsBusy() {
  std::string busy;
  for (int port : kStackPorts) {
    CommandOutput holders = RunCommandForTest(
        {"docker", "ps", "--filter", "publish=" + std::to_string(port), "--format", "{{.Names}}"},
        {}, seconds(30));
    std::string names = holders.output;
    while (!names.empty() && (names.back() == '\n' || names.back() == ' ')) names.pop_back();
    if (!names.empty() || !LoopbackPortFree(port)) {
      busy += (busy.empty() ? "" : "; ") + std::to_string(port) + " (" +
              (names.empty() ? "a host process" : "container " + names) + ")";
    }
  }
  return busy;
}

// An exclusive flock on /tmp/madre-example-stack.lock: ctest's RESOURCE_LOCK serializes the
// tests of one ctest run only, this also serializes runs from other build directories on the
// same machine. Released when the object goes away (or the process dies).
class MachineLock {
 public:
  // Waits up to `limit` for the lock; locked() tells whether it was taken.
  explicit MachineLock(std::chrono::seconds limit) {
    fd_ = open("/tmp/madre-example-stack.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (fd_ < 0) return;
    locked_ = WaitUntil([&] { return flock(fd_, LOCK_EX | LOCK_NB) == 0; }, limit,
                        std::chrono::milliseconds(250));
  }
  ~MachineLock() {
    if (fd_ >= 0) close(fd_);
  }
  MachineLock(const MachineLock&) = delete;
  MachineLock& operator=(const MachineLock&) = delete;
  bool locked() const { return locked_; }

 private:
  int fd_ = -1;
  bool locked_ = false;
};

// Listens on 127.0.0.1:`port` while it lives, so that Docker cannot publish that port.
class PortHolder {
 public:
  explicit PortHolder(int port) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) return;
    int one = 1;
    setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    held_ = bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 && listen(fd_, 1) == 0;
  }
  ~PortHolder() { Release(); }
  PortHolder(const PortHolder&) = delete;
  PortHolder& operator=(const PortHolder&) = delete;
  bool held() const { return held_; }
  void Release() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
    held_ = false;
  }

 private:
  int fd_ = -1;
  bool held_ = false;
};

// `madre serve` on a port of the test's choice (MadreProcess always picks a free one; the
// compatibility test needs 8001). Own state dir and token; SIGTERM, then SIGKILL, on exit.
class ServeProcess {
 public:
  ServeProcess(int port, EnvVars env) : port_(port), env_(std::move(env)) {
    static int counter = 0;
    state_dir_ = std::filesystem::temp_directory_path() /
                 ("madre-exitest-" + std::to_string(getpid()) + "-" + std::to_string(++counter));
    std::filesystem::remove_all(state_dir_);
    std::filesystem::create_directories(state_dir_);
    token_ = "exitest-token-" + std::to_string(getpid()) + "-" + std::to_string(counter);
    env_["VX11_TOKEN"] = token_;
    env_["VX11_TENTACULO_LINK_TOKEN"] = "";  // would win over VX11_TOKEN if set outside
    env_["VX11_MADRE_BIND"] = "127.0.0.1";
    env_["VX11_MADRE_PORT"] = std::to_string(port_);
    env_["VX11_STATE_DIR"] = state_dir_.string();
    env_["VX11_POWER_WINDOWS_LOG_LEVEL"] = "DEBUG";
    // The compatible open's answer is read as the ready window (see madre_process.cc).
    if (!env_.count("VX11_COMPAT_OPEN_WAIT_SEC")) env_["VX11_COMPAT_OPEN_WAIT_SEC"] = "120";
  }
  ~ServeProcess() {
    Terminate();
    std::error_code ec;
    std::filesystem::remove_all(state_dir_, ec);
  }
  ServeProcess(const ServeProcess&) = delete;
  ServeProcess& operator=(const ServeProcess&) = delete;

  // Spawns and waits (bounded) until GET /madre/power/state answers 200.
  bool Start() {
    std::vector<std::string> envs;
    for (char** e = environ; *e; ++e) {
      std::string entry(*e);
      if (!env_.count(entry.substr(0, entry.find('=')))) envs.push_back(entry);
    }
    for (const auto& [k, v] : env_) envs.push_back(k + "=" + v);
    std::vector<std::string> args = {MADRE_BINARY, "serve"};
    std::vector<char*> argv, envp;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    for (auto& e : envs) envp.push_back(e.data());
    envp.push_back(nullptr);
    const std::string log_path = LogPath().string();
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                     0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    const int rc = posix_spawn(&pid_, MADRE_BINARY, &actions, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
      pid_ = -1;
      return false;
    }
    const auto give_up = std::chrono::steady_clock::now() + seconds(60);
    while (std::chrono::steady_clock::now() < give_up) {
      if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        std::cerr << "madre exited early; log:\n" << log() << std::endl;
        return false;
      }
      if (Get("/madre/power/state").status == 200) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    std::cerr << "madre did not become ready on port " << port_ << "; log:\n" << log() << std::endl;
    return false;
  }

  void Terminate() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    for (int i = 0; i < 100; ++i) {
      if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

  std::string Url(const std::string& path = "") const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  HttpAnswer Get(const std::string& path) const { return Http("GET", Url(path), "", token_); }
  HttpAnswer Post(const std::string& path, const std::string& body) const {
    return Http("POST", Url(path), body, token_);
  }
  std::string log() const { return ReadText(LogPath()); }
  const std::string& token() const { return token_; }

 private:
  std::filesystem::path LogPath() const { return state_dir_ / "madre.log"; }

  int port_;
  EnvVars env_;
  std::filesystem::path state_dir_;
  std::string token_;
  pid_t pid_ = -1;
};

// One example stack (own compose project) plus a madre serving it with the default
// always-on set (madre,redis).
class ExampleStackTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MADRE_NEED_DOCKER();
    EnsureImages();
    if (HasFailure()) return;
    lock_ = std::make_unique<MachineLock>(seconds(240));
    if (!lock_->locked()) {
      MADRE_SKIP_OR_FAIL() << "another example-stack test on this machine held "
                              "/tmp/madre-example-stack.lock for 240 s";
    }
    // A previous stack's ports may take a moment to be released; another user's stack
    // (scripts/demo.sh, a developer's `vx11`) may hold them for minutes: then skip.
    // Once a test has waited in vain, the next ones of this process look only briefly.
    static bool ports_were_busy = false;
    std::string busy;
    if (!WaitUntil([&] { return (busy = StackPortsBusy()).empty(); },
                   ports_were_busy ? seconds(5) : seconds(60), std::chrono::milliseconds(1000))) {
      ports_were_busy = true;
      MADRE_SKIP_OR_FAIL()
          << "the example stack's fixed host ports are in use, cannot run a second "
             "example stack now: "
          << busy;
    }
    project_ = UniqueProjectName("exstack");
    ASSERT_NE(project_, "vx11");
    compose_ = std::make_unique<ComposeProject>(project_, ExampleDir() / "docker-compose.yml");
  }

  void TearDown() override {
    if (madre_ && HasFailure()) std::cerr << "madre log:\n" << madre_->log() << std::endl;
    madre_.reset();    // stop the daemon first: nothing restarts a service during `down`
    compose_.reset();  // down -v --remove-orphans, plus anything labelled with the project
    lock_.reset();     // the ports are free again
    if (!out_dir_.empty()) {
      if (HasFailure()) {
        std::cerr << "conductor output kept in " << out_dir_ << std::endl;
      } else {
        std::filesystem::remove_all(out_dir_);
      }
    }
  }

  // Starts madre on `port` for this test's project and waits (bounded) for SOLO_MADRE with
  // redis and the gateway running: madre's reconcile starts the always-on services at start-up.
  void StartMadre(int port, const EnvVars& extra_env = {}) {
    StartMadreOnly(port, extra_env);
    if (HasFatalFailure()) return;
    ASSERT_TRUE(WaitForAlwaysOnAtRest(seconds(90)));
  }

  void StartMadreOnly(int port, const EnvVars& extra_env = {}) {
    // VX11_THROTTLE_CPU_PCT=100 turns the open throttle off: other tests and builds share the
    // two cores, and a throttled open (503) is not what these tests are about.
    // The settings of examples/vx11/madre.toml (the gateway always-on: core mode), by
    // environment, so that the project is this test's; the stack's own 30 s healthchecks.
    EnvVars env = {{"VX11_COMPOSE_PROJECT", project_},
                   {"VX11_COMPOSE_DIR", ExampleDir().string()},
                   {"VX11_ALWAYS_ON", "madre,redis"},
                   {"VX11_POWER_WINDOWS_CORE_MODE", "1"},
                   {"VX11_THROTTLE_CPU_PCT", "100"}};
    for (const auto& [k, v] : extra_env) env[k] = v;
    madre_ = std::make_unique<ServeProcess>(port, env);
    ASSERT_TRUE(madre_->Start());
  }

  // SOLO_MADRE reported by madre and exactly the always-on redis and tentaculo_link running in
  // the project, within `limit`.
  ::testing::AssertionResult WaitForAlwaysOnAtRest(std::chrono::seconds limit) {
    json solo;
    const bool at_rest = WaitUntil(
        [&] {
          solo = madre_->Get("/madre/power/policy/solo_madre/status").Json();
          return solo.value("policy_active", false) == true &&
                 RunningServices(project_) == AlwaysOn();
        },
        limit, std::chrono::milliseconds(250));
    if (at_rest) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure()
           << "redis and tentaculo_link not running alone (madre's reconcile starts the "
              "always-on set) after "
           << limit.count() << " s; solo_madre status: " << solo.dump()
           << "; running: " << ::testing::PrintToString(Running());
  }

  std::vector<std::string> Running() const { return RunningServices(project_); }
  static std::vector<std::string> AlwaysOn() { return {"redis", "tentaculo_link"}; }

  // Runs `madre conductor` against this test's madre. The output goes to a fresh directory
  // (out_dir_); `*_E2E_CONDUCTOR` inside it is returned in run_dir (empty if none).
  CommandOutput RunConductor(const std::vector<std::string>& extra_args,
                             std::filesystem::path* run_dir) {
    out_dir_ = std::filesystem::temp_directory_path() / ("madre-conductor-" + project_);
    std::filesystem::remove_all(out_dir_);
    std::filesystem::create_directories(out_dir_);
    // --cpu-threshold 100: the CI machine runs other tests at the same time, and the
    // throttle (its own unit tests cover it) must not turn a healthy run into `degraded`.
    std::vector<std::string> argv = {MADRE_BINARY, "conductor",       "--reason",        "itest",
                                     "--out",      out_dir_.string(), "--cpu-threshold", "100"};
    argv.insert(argv.end(), extra_args.begin(), extra_args.end());
    CommandOutput run = RunCommandForTest(argv,
                                          {{"VX11_MADRE_URL", madre_->Url()},
                                           {"VX11_TOKEN", madre_->token()},
                                           {"VX11_TENTACULO_LINK_TOKEN", ""}},
                                          seconds(240));
    run_dir->clear();
    int found = 0;
    for (const auto& entry : std::filesystem::directory_iterator(out_dir_)) {
      const std::string name = entry.path().filename().string();
      if (entry.is_directory() && name.find("_E2E_CONDUCTOR") != std::string::npos) {
        *run_dir = entry.path();
        ++found;
      }
    }
    EXPECT_EQ(found, 1) << "one run directory expected in " << out_dir_;
    return run;
  }

  // The madre state once no window is left (bounded wait: a close may still be finishing).
  json WaitForSoloMadreState() {
    json state;
    WaitUntil(
        [&] {
          state = madre_->Get("/madre/power/state").Json();
          return state.value("policy", "") == "solo_madre";
        },
        seconds(30), std::chrono::milliseconds(200));
    return state;
  }

  std::unique_ptr<MachineLock> lock_;
  std::string project_;
  std::unique_ptr<ComposeProject> compose_;
  std::unique_ptr<ServeProcess> madre_;
  std::filesystem::path out_dir_;
};

const std::vector<std::string>& PhaseNames() {
  static const std::vector<std::string> kNames = {"preflight",    "throttle_check",   "window_open",
                                                  "health",       "availability",     "metrics",
                                                  "window_close", "solo_madre_verify"};
  return kNames;
}

// The original (Python) client's calls, as the issue describes them: madre on 127.0.0.1:8001,
// the token from VX11_TOKEN, the compatible /madre/power/window/* endpoints.
TEST_F(ExampleStackTest, OriginalClientOpensAndClosesAWindowOnPort8001) {
  if (!LoopbackPortFree(kCompatiblePort)) {
    MADRE_SKIP_OR_FAIL()
        << "127.0.0.1:" << kCompatiblePort
        << " is in use (another madre, e.g. scripts/demo.sh?): the compatibility test "
           "needs madre on exactly that port";
  }
  StartMadre(kCompatiblePort);
  ASSERT_EQ(madre_->Url(), "http://127.0.0.1:8001");

  HttpAnswer opened =
      Http("POST", "http://127.0.0.1:8001/madre/power/window/open",
           R"({"services":["switch","hermes"],"ttl_sec":60,"mode":"ttl","reason":"e2e"})",
           madre_->token());
  ASSERT_EQ(opened.status, 200) << opened.body;
  const json window = opened.Json();
  ASSERT_TRUE(window.contains("window_id")) << opened.body;
  ASSERT_TRUE(window["window_id"].is_string()) << opened.body;
  const std::string id = window["window_id"];
  EXPECT_FALSE(id.empty());
  ASSERT_TRUE(window.contains("services_started")) << opened.body;
  EXPECT_THAT(window["services_started"].get<std::vector<std::string>>(),
              ::testing::UnorderedElementsAre("hermes", "switch"))
      << "redis and the gateway already ran (always-on): only the window's services are started";
  ASSERT_TRUE(window.contains("ttl_remaining_sec")) << opened.body;
  ASSERT_TRUE(window["ttl_remaining_sec"].is_number_integer()) << opened.body;
  EXPECT_GT(window["ttl_remaining_sec"].get<int>(), 0);
  EXPECT_LE(window["ttl_remaining_sec"].get<int>(), 60);
  EXPECT_EQ(window.value("state", ""), "open");
  EXPECT_THAT(Running(), ElementsAre("hermes", "redis", "switch", "tentaculo_link"));

  // The compatible open answers once the services are ready: switch serves at once.
  HttpAnswer health = Http("GET", "http://127.0.0.1:8002/health", "", "");
  EXPECT_EQ(health.status, 200) << health.body;
  HttpAnswer switch_state = Http("GET", "http://127.0.0.1:8002/switch/state", "", "");
  EXPECT_TRUE(switch_state.status == 200 || switch_state.status == 404)
      << switch_state.status << " " << switch_state.body;

  HttpAnswer closed =
      Http("POST", "http://127.0.0.1:8001/madre/power/window/close", "", madre_->token());
  ASSERT_EQ(closed.status, 200) << closed.body;
  const json close = closed.Json();
  EXPECT_EQ(close.value("window_id", ""), id) << closed.body;
  ASSERT_TRUE(close.contains("services_stopped")) << closed.body;
  EXPECT_THAT(close["services_stopped"].get<std::vector<std::string>>(),
              ::testing::UnorderedElementsAre("hermes", "switch"))
      << "redis is always-on: the close leaves it running";
  EXPECT_EQ(close.value("state", ""), "closed");

  HttpAnswer solo = Http("GET", "http://127.0.0.1:8001/madre/power/policy/solo_madre/status", "",
                         madre_->token());
  ASSERT_EQ(solo.status, 200) << solo.body;
  EXPECT_EQ(solo.Json()["policy_active"], true) << solo.body;
  EXPECT_EQ(Running(), AlwaysOn());
  EXPECT_NE(Http("GET", "http://127.0.0.1:8002/health", "", "", 5).status, 200);
  // A second close finds nothing to close, as in the original.
  EXPECT_EQ(
      Http("POST", "http://127.0.0.1:8001/madre/power/window/close", "", madre_->token()).status,
      404);
}

// SPEC §8: a healthy run over switch and hermes passes every phase and writes the report.
TEST_F(ExampleStackTest, ConductorPassesEveryPhaseAndWritesTheReport) {
  StartMadre(FreeLoopbackPort());
  std::filesystem::path run_dir;
  CommandOutput run = RunConductor({}, &run_dir);
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_FALSE(run.timed_out);
  ASSERT_FALSE(run_dir.empty()) << run.output;

  for (const char* file : {"test_results.json", "metrics.json", "logs/docker_events.txt",
                           "logs/services_health.txt", "CONDUCTOR_RUN_LOG.md"}) {
    EXPECT_TRUE(std::filesystem::is_regular_file(run_dir / file)) << file;
  }
  json results = json::parse(ReadText(run_dir / "test_results.json"), nullptr, false);
  ASSERT_TRUE(results.is_object()) << ReadText(run_dir / "test_results.json");
  EXPECT_EQ(results["reason"], "itest");
  EXPECT_EQ(results["overall"], "ok");
  EXPECT_EQ(results["exit_code"], 0);
  ASSERT_TRUE(results["window_id"].is_string()) << results.dump(2);
  const std::string id = results["window_id"];
  std::vector<std::string> names;
  for (const json& phase : results["phases"]) {
    names.push_back(phase.value("name", ""));
    EXPECT_EQ(phase.value("status", ""), "ok") << phase.dump();
  }
  // The flows the example stack declares in its labels run after availability, in id order.
  std::vector<std::string> expected = PhaseNames();
  const auto after = std::find(expected.begin(), expected.end(), "availability") + 1;
  expected.insert(after, {"flow:hermes:health", "flow:switch:state"});
  EXPECT_EQ(names, expected);

  json metrics = json::parse(ReadText(run_dir / "metrics.json"), nullptr, false);
  ASSERT_TRUE(metrics.is_object());
  EXPECT_TRUE(metrics["host"].contains("cpu_percent")) << metrics.dump(2);
  EXPECT_TRUE(metrics["host"].contains("mem_total_bytes")) << metrics.dump(2);
  for (const char* service : {"switch", "hermes"}) {
    const json& latency = metrics["latency"][service];
    EXPECT_EQ(latency.value("n", 0), 10) << metrics.dump(2);
    EXPECT_TRUE(latency.contains("p50_ms") && latency.contains("p95_ms") &&
                latency.contains("max_ms"))
        << metrics.dump(2);
  }

  // The audit records of this run: the open and the close of the conductor's window.
  const std::string events = ReadText(run_dir / "logs" / "docker_events.txt");
  EXPECT_THAT(events, HasSubstr(id));
  EXPECT_THAT(ReadText(run_dir / "logs" / "services_health.txt"), HasSubstr("switch"));
  EXPECT_THAT(ReadText(run_dir / "logs" / "services_health.txt"), HasSubstr("hermes"));

  const std::string md = ReadText(run_dir / "CONDUCTOR_RUN_LOG.md");
  EXPECT_THAT(md, HasSubstr("**Reason:** itest"));
  EXPECT_THAT(md, HasSubstr(id));
  EXPECT_THAT(md, HasSubstr("Every phase is ok."));

  // madre itself: the window carried the reason and was closed by hand; SOLO_MADRE again.
  json w = madre_->Get("/madre/power/windows/" + id).Json();
  EXPECT_EQ(w["reason"], "itest") << w.dump(2);
  EXPECT_EQ(w["state"], "closed") << w.dump(2);
  EXPECT_EQ(w["close_reason"], "manual_close") << w.dump(2);
  EXPECT_EQ(WaitForSoloMadreState()["policy"], "solo_madre");
  EXPECT_EQ(Running(), AlwaysOn());
}

// Issue 10: the conductor run right after `madre serve` starts (redis, the always-on service,
// still starting) waits for madre's start-up reconcile (/health "ready") instead of reporting
// preflight `degraded`, and passes every phase.
TEST_F(ExampleStackTest, ConductorRightAfterServeStartsWaitsForTheStartUpReconcile) {
  StartMadreOnly(FreeLoopbackPort());
  if (HasFatalFailure()) return;
  std::filesystem::path run_dir;
  CommandOutput run = RunConductor({}, &run_dir);
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_FALSE(run.timed_out);
  ASSERT_FALSE(run_dir.empty()) << run.output;
  json results = json::parse(ReadText(run_dir / "test_results.json"), nullptr, false);
  ASSERT_TRUE(results.is_object()) << ReadText(run_dir / "test_results.json");
  for (const json& phase : results["phases"]) {
    EXPECT_EQ(phase.value("status", ""), "ok") << phase.dump();
  }
  json health = madre_->Get("/health").Json();
  EXPECT_EQ(health["status"], "ok") << health.dump();
  EXPECT_EQ(health["ready"], true) << health.dump();
}

// Issue 15: a deliberately broken flow (from a flows file, beside the example stack's label
// flows) fails the run with its request and answer in the report; `madre flows` lists them all.
TEST_F(ExampleStackTest, ABrokenFlowFailsTheRunWithItsRequestAndAnswerInTheReport) {
  StartMadre(FreeLoopbackPort());
  const std::filesystem::path file =
      std::filesystem::temp_directory_path() / ("madre-flows-" + project_ + ".toml");
  std::ofstream(file) << "[[flow]]\nservice = \"switch\"\nname = \"broken\"\n"
                         "  [[flow.step]]\n"
                         "  request = \"GET http://127.0.0.1:8002/switch/state\"\n"
                         "  expect_body = \"json:/mode=manual\"\n";
  CommandOutput listed = RunCommandForTest(
      {MADRE_BINARY, "flows", "--flows", file.string()},
      {{"VX11_MADRE_URL", madre_->Url()}, {"VX11_TOKEN", madre_->token()}}, seconds(30));
  EXPECT_EQ(listed.exit_code, 0) << listed.output;
  for (const char* id : {"switch:state", "hermes:health", "switch:broken"})
    EXPECT_THAT(listed.output, HasSubstr(id));

  std::filesystem::path run_dir;
  CommandOutput run = RunConductor({"--flows", file.string()}, &run_dir);
  std::filesystem::remove(file);
  EXPECT_FALSE(run.timed_out);
  EXPECT_EQ(run.exit_code, 1) << run.output;
  ASSERT_FALSE(run_dir.empty()) << run.output;
  json results = json::parse(ReadText(run_dir / "test_results.json"), nullptr, false);
  ASSERT_TRUE(results.is_object());
  EXPECT_EQ(results["overall"], "fail");
  std::map<std::string, json> phases;
  for (const json& phase : results["phases"]) phases[phase["name"]] = phase;
  EXPECT_EQ(phases["flow:switch:state"]["status"], "ok") << results.dump(2);
  EXPECT_EQ(phases["flow:switch:broken"]["status"], "fail") << results.dump(2);
  const std::string detail = phases["flow:switch:broken"].value("detail", "");
  EXPECT_THAT(detail, HasSubstr("GET http://127.0.0.1:8002/switch/state"));
  EXPECT_THAT(detail, HasSubstr("/mode is \"auto\", not \"manual\""));
  EXPECT_THAT(detail, HasSubstr("answer: {\"service\":\"switch\""));
  EXPECT_EQ(phases["window_close"]["status"], "ok") << "closed all the same";
  EXPECT_THAT(ReadText(run_dir / "CONDUCTOR_RUN_LOG.md"), HasSubstr("flow:switch:broken (fail)"));
}

// Issue 15: the example's flows file, a flow of several steps (the spawner's daughter
// lifecycle: a POST starts a task, its id is captured, a GET is polled until the task is done).
TEST_F(ExampleStackTest, TheFlowsFilesDaughterLifecycleRunsAgainstTheSpawner) {
  StartMadre(FreeLoopbackPort());
  std::filesystem::path run_dir;
  CommandOutput run =
      RunConductor({"--services", "spawner", "--check", "spawner=http://127.0.0.1:8008/health",
                    "--flows", std::string(MADRE_SOURCE_DIR) + "/examples/vx11/flows.toml"},
                   &run_dir);
  EXPECT_EQ(run.exit_code, 0) << run.output;
  ASSERT_FALSE(run_dir.empty()) << run.output;
  json results = json::parse(ReadText(run_dir / "test_results.json"), nullptr, false);
  ASSERT_TRUE(results.is_object());
  std::map<std::string, std::string> status;
  for (const json& phase : results["phases"]) status[phase["name"]] = phase["status"];
  EXPECT_EQ(status["flow:spawner:daughter"], "ok") << results.dump(2);
  EXPECT_EQ(status["flow:switch:state"], "ok") << "spawner needs switch: a window service";
  const std::string health = ReadText(run_dir / "logs" / "services_health.txt");
  EXPECT_THAT(health, HasSubstr("POST http://127.0.0.1:8008/cgi-bin/task -> HTTP 201 ok"));
  EXPECT_THAT(health, HasSubstr("GET http://127.0.0.1:8008/cgi-bin/task?id=t1 -> HTTP 200 after 3 "
                                "polls ok; answer: {\"task_id\":\"t1\",\"state\":\"done\"}"));
}

// A run whose health phase fails: non-zero exit, the window is closed all the same, and the
// report says which phase failed and why.
TEST_F(ExampleStackTest, ConductorWithAFailedPhaseExitsNonZeroAndStillClosesTheWindow) {
  StartMadre(FreeLoopbackPort());
  std::filesystem::path run_dir;
  CommandOutput run = RunConductor({"--force-fail", "health"}, &run_dir);
  EXPECT_FALSE(run.timed_out);
  EXPECT_NE(run.exit_code, 0) << run.output;
  EXPECT_GT(run.exit_code, 0) << "a clean non-zero exit, not a crash: " << run.output;
  EXPECT_LT(run.exit_code, 128) << "a clean non-zero exit, not a crash: " << run.output;
  ASSERT_FALSE(run_dir.empty()) << run.output;

  json results = json::parse(ReadText(run_dir / "test_results.json"), nullptr, false);
  ASSERT_TRUE(results.is_object()) << ReadText(run_dir / "test_results.json");
  EXPECT_EQ(results["reason"], "itest");
  EXPECT_EQ(results["overall"], "fail");
  EXPECT_EQ(results["exit_code"], run.exit_code);
  ASSERT_TRUE(results["window_id"].is_string()) << results.dump(2);
  const std::string id = results["window_id"];
  std::map<std::string, std::string> status;
  for (const json& phase : results["phases"]) status[phase["name"]] = phase["status"];
  EXPECT_EQ(status["window_open"], "ok") << results.dump(2);
  EXPECT_EQ(status["health"], "fail") << results.dump(2);
  EXPECT_EQ(status["window_close"], "ok") << results.dump(2);
  EXPECT_EQ(status["solo_madre_verify"], "ok") << results.dump(2);

  const std::string md = ReadText(run_dir / "CONDUCTOR_RUN_LOG.md");
  EXPECT_THAT(md, HasSubstr("**Reason:** itest"));
  EXPECT_THAT(md, HasSubstr("- health (fail): forced failure (--force-fail health)")) << md;
  EXPECT_THAT(md, Not(HasSubstr("Every phase is ok.")));
  EXPECT_THAT(run.output, HasSubstr("health")) << "the summary names the failed phase";

  // The window is closed, no window is open, the services are down: SOLO_MADRE.
  json state = WaitForSoloMadreState();
  EXPECT_EQ(state["policy"], "solo_madre") << state.dump(2);
  EXPECT_THAT(state["windows"], IsEmpty()) << state.dump(2);
  json w = madre_->Get("/madre/power/windows/" + id).Json();
  EXPECT_EQ(w["state"], "closed") << w.dump(2);
  EXPECT_EQ(w["close_reason"], "manual_close") << w.dump(2);
  EXPECT_EQ(madre_->Get("/madre/power/policy/solo_madre/status").Json()["policy_active"], true);
  const std::vector<std::string> running = Running();
  EXPECT_THAT(running, Not(Contains("switch")));
  EXPECT_THAT(running, Not(Contains("hermes")));
  EXPECT_EQ(running, AlwaysOn());
}

// SPEC §6 Always-on: "madre keeps the always-on compose services running (reconcile starts
// them at start-up and whenever they are seen stopped)". Here the first start of redis fails
// (its host port 6379 is taken); once the port is free, madre must start redis again.
// DISABLED: madre never retries today (a wanted service in phase kFailed is left alone by
// Planner::Converge and skipped by ApplyObservation); enable it with the fix. Run it with
// --gtest_also_run_disabled_tests --gtest_filter='*AlwaysOn*'.
TEST_F(ExampleStackTest, AlwaysOnServiceIsStartedAgainAfterAFailedStart) {
  PortHolder redis_port(6379);
  ASSERT_TRUE(redis_port.held()) << "cannot listen on 127.0.0.1:6379";
  StartMadreOnly(FreeLoopbackPort(), {{"VX11_RESYNC_SEC", "2"}});
  if (HasFatalFailure()) return;
  json failed_start;
  const bool start_failed = WaitUntil(
      [&] {
        const json audit = madre_->Get("/madre/power/audit?limit=50").Json();
        if (!audit.contains("records")) return false;
        for (const json& record : audit["records"]) {
          const json& services = record["services"];  // redis, maybe with the gateway
          const bool redis = services.is_array() && std::find(services.begin(), services.end(),
                                                              json("redis")) != services.end();
          if (record.value("action", "") == "reconcile.start" &&
              record.value("outcome", "") != "ok" && redis) {
            failed_start = record;
            return true;
          }
        }
        return false;
      },
      seconds(60), std::chrono::milliseconds(250));
  ASSERT_TRUE(start_failed) << "no failed reconcile.start of redis in the audit";
  EXPECT_THAT(Running(), Not(Contains("redis")));
  EXPECT_EQ(madre_->Get("/madre/power/policy/solo_madre/status").Json()["policy_active"], false);

  redis_port.Release();
  // The back-off (5 s) and the resync (VX11_RESYNC_SEC=2) are both far below this bound.
  EXPECT_TRUE(WaitForAlwaysOnAtRest(seconds(60)))
      << "the failed start was: " << failed_start.dump();
}

}  // namespace
}  // namespace madre::itest
