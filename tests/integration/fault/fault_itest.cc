// Fault tests: madre against a real dockerd when things go wrong. kill -9 in the middle of an
// open, a TTL that runs out while madre is down, a compose command that hangs, a full audit
// disk, twenty clients at once, and dockerd going away and coming back. Each test has its own
// compose project, port and state dir, is bounded in time, and cleans up after itself.
//
// The dockerd test runs its own private dockerd (own socket, data root, exec root, no iptables)
// and stops and restarts that one, so that the machine's dockerd, which other tests and other
// people use at the same time, is never touched.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "docker_env.h"
#include "madre_process.h"
#include "private_dockerd.h"

extern char** environ;

namespace madre::itest {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;
using ::testing::AnyOf;
using ::testing::ElementsAre;
using ::testing::Eq;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using SteadyClock = std::chrono::steady_clock;

std::string Fixture(const std::string& name) {
  return std::string(MADRE_SOURCE_DIR) + "/tests/integration/fixtures/" + name;
}

double SecondsSince(SteadyClock::time_point start) {
  return std::chrono::duration<double>(SteadyClock::now() - start).count();
}

// A fresh directory under /tmp whose name is unique to this process and call.
std::filesystem::path UniqueTempDir(const std::string& prefix) {
  static std::atomic<int> counter = 0;
  std::filesystem::path dir =
      std::filesystem::temp_directory_path() /
      (prefix + "-" + std::to_string(getpid()) + "-" + std::to_string(counter.fetch_add(1)) + "-" +
       std::to_string(std::random_device{}() & 0xffffu));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

bool SomethingMountedUnder(const std::filesystem::path& dir) {
  std::ifstream mounts("/proc/mounts");
  std::string device, target;
  while (mounts >> device >> target) {
    if (target.rfind(dir.string(), 0) == 0) return true;
    std::string rest;
    std::getline(mounts, rest);
  }
  return false;
}

// Checks the audit JSON Lines files of `dir` as storage.md describes: records ordered by seq,
// consecutive, each `prev_hash` the previous record's `hash` ("" for seq 1), and each `hash` the
// SHA-256 of the record's canonical JSON without `hash` (computed with sha256sum). Returns ""
// when the chain is intact, else what is wrong; `count` gets the number of records.
std::string VerifyAuditChain(const std::filesystem::path& dir, int* count) {
  std::vector<json> records;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("audit-", 0) != 0 || entry.path().extension() != ".jsonl") continue;
    std::ifstream in(entry.path());
    int line_no = 0;
    for (std::string line; std::getline(in, line);) {
      ++line_no;
      json record = json::parse(line, nullptr, false);
      if (record.is_discarded() || !record.is_object()) {
        return name + ":" + std::to_string(line_no) +
               " is not a JSON object: " + line.substr(0, 200);
      }
      records.push_back(std::move(record));
    }
  }
  *count = static_cast<int>(records.size());
  if (records.empty()) return "no audit records in " + dir.string();
  std::sort(records.begin(), records.end(), [](const json& a, const json& b) {
    return a["seq"].get<long>() < b["seq"].get<long>();
  });
  const std::filesystem::path scratch = UniqueTempDir("madre-fault-canon");
  std::vector<std::string> argv = {"sha256sum"};
  for (const json& record : records) {
    json body = record;
    body.erase("hash");
    const std::filesystem::path file =
        scratch / (std::to_string(record["seq"].get<long>()) + ".json");
    std::ofstream(file, std::ios::binary) << body.dump();
    argv.push_back(file.string());
  }
  CommandOutput sums = RunCommandForTest(argv, {}, seconds(60));
  std::filesystem::remove_all(scratch);
  if (!sums.ok()) return "sha256sum failed: " + sums.output;
  std::map<long, std::string> computed;
  std::istringstream lines(sums.output);
  for (std::string hash, file; lines >> hash >> file;) {
    computed[std::stol(std::filesystem::path(file).stem().string())] = hash;
  }
  std::string prev_hash;
  long prev_seq = -1;
  for (const json& record : records) {
    const long seq = record["seq"].get<long>();
    const std::string where = "seq " + std::to_string(seq) + ": ";
    if (prev_seq >= 0 && seq != prev_seq + 1) {
      return where + "follows seq " + std::to_string(prev_seq) + " (gap or duplicate)";
    }
    if (prev_seq < 0 && seq == 1 && record["prev_hash"] != "")
      return where + "prev_hash is not empty";
    if (prev_seq >= 0 && record["prev_hash"] != prev_hash) return where + "prev_hash does not link";
    if (computed[seq] != record["hash"]) return where + "hash does not match the record";
    prev_hash = record["hash"].get<std::string>();
    prev_seq = seq;
  }
  return "";
}

// A dockerd of the test's own (own socket, data root and exec root; no iptables, no default
// bridge, its own address pool), so that stopping it harms nobody else. It runs in a network
// namespace of its own (`ip netns add`, then `nsenter --net`), reached through its unix socket: a
// dockerd started with
// --bridge=none in the host's namespace deletes the host's docker0 bridge, which breaks the
// machine's dockerd until it restarts. Only the process this object spawned is ever signalled,
// by its pid.
class PrivateDockerd {
 public:
  PrivateDockerd() : dir_(UniqueTempDir("mfd")), netns_("madre-fd-" + dir_.filename().string()) {}
  ~PrivateDockerd() {
    Stop(seconds(30));
    if (netns_made_) RunCommandForTest({"ip", "netns", "delete", netns_}, {}, seconds(30));
    if (!SomethingMountedUnder(dir_)) {
      std::error_code ignored;
      std::filesystem::remove_all(dir_, ignored);
    }
  }
  PrivateDockerd(const PrivateDockerd&) = delete;
  PrivateDockerd& operator=(const PrivateDockerd&) = delete;

  std::string host() const { return PrivateDockerdHost(dir_); }

  // Starts dockerd and waits (at most `limit`) until `docker info` answers.
  bool Start(seconds limit, std::string* why) {
    // A pool per process, so that two runs of this test at once do not share a subnet.
    const std::string pool = "base=10." + std::to_string(200 + getpid() % 50) + ".0.0/16,size=24";
    if (!netns_made_) {
      CommandOutput made = RunCommandForTest({"ip", "netns", "add", netns_}, {}, seconds(30));
      if (!made.ok()) {
        *why = "ip netns add " + netns_ + ": " + made.output;
        return false;
      }
      netns_made_ = true;
      CommandOutput lo = RunCommandForTest(
          {"ip", "netns", "exec", netns_, "ip", "link", "set", "lo", "up"}, {}, seconds(30));
      if (!lo.ok()) {
        *why = "cannot bring lo up in " + netns_ + ": " + lo.output;
        return false;
      }
    }
    PrivateDockerdLaunch launch;
    launch.dir = dir_;
    launch.runner = {"nsenter", "--net=/run/netns/" + netns_, "dockerd"};
    launch.address_pool = pool;
    return StartPrivateDockerd(launch, limit, &pid_, why);
  }

  // SIGTERM to our dockerd, and waits until it is gone; SIGKILL after `limit` (then also its
  // containerd, by the pid it wrote). True when it went away on SIGTERM.
  bool Stop(seconds limit) {
    if (pid_ <= 0) return true;
    kill(pid_, SIGTERM);
    const auto give_up = SteadyClock::now() + limit;
    while (SteadyClock::now() < give_up) {
      if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        return true;
      }
      std::this_thread::sleep_for(milliseconds(100));
    }
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
    std::ifstream containerd_pid(dir_ / "exec" / "containerd" / "containerd.pid");
    pid_t child = 0;
    if (containerd_pid >> child && child > 1) kill(child, SIGKILL);
    return false;
  }

  std::string Log() const { return PrivateDockerdLog(dir_); }

 private:
  std::filesystem::path dir_;
  std::string netns_;
  bool netns_made_ = false;
  pid_t pid_ = -1;
};

// A compose project of a fixture plus a madre serving it (as in daemon_itest.cc), with the
// extras some fault tests need: another dockerd, a tmpfs to unmount, a scratch directory.
class FaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MADRE_NEED_DOCKER();
    EnsureImages();
  }

  // Creates (does not start) the project and the madre process.
  void Prepare(const std::string& fixture, const std::map<std::string, std::string>& extra = {}) {
    project_ = UniqueProjectName("mfault");
    env_ = {{"VX11_COMPOSE_PROJECT", project_},
            {"VX11_COMPOSE_DIR", Fixture(fixture)},
            {"VX11_ALWAYS_ON", "madre"},
            {"VX11_RESYNC_SEC", "2"}};
    for (const char* port : {"DB_PORT", "WEB_PORT", "COMMON_PORT", "A_PORT", "B_PORT", "OK_PORT"}) {
      env_[port] = std::to_string(FreeLoopbackPort());
    }
    for (const auto& [k, v] : extra) env_[k] = v;
    if (env_.count("DOCKER_HOST")) docker_host_ = env_["DOCKER_HOST"];
    compose_ =
        std::make_unique<ComposeProject>(project_, Fixture(fixture) + "/docker-compose.yml", env_);
    madre_ = std::make_unique<MadreProcess>(env_);
  }

  bool StartMadre(const std::string& fixture,
                  const std::map<std::string, std::string>& extra = {}) {
    Prepare(fixture, extra);
    return madre_->Start();
  }

  // The project's running services, from the dockerd madre talks to.
  std::vector<std::string> Running() {
    if (docker_host_.empty()) return RunningServices(project_);
    CommandOutput ps = RunCommandForTest({"docker", "-H", docker_host_, "ps", "--filter",
                                          "label=com.docker.compose.project=" + project_,
                                          "--format", "{{.Label \"com.docker.compose.service\"}}"},
                                         {}, seconds(60));
    std::vector<std::string> services;
    std::istringstream lines(ps.output);
    for (std::string line; std::getline(lines, line);) {
      if (!line.empty()) services.push_back(line);
    }
    std::sort(services.begin(), services.end());
    return services;
  }

  bool IsRunning(const std::string& service) {
    const std::vector<std::string> running = Running();
    return std::find(running.begin(), running.end(), service) != running.end();
  }

  template <typename Pred>
  bool Eventually(Pred pred, milliseconds limit, milliseconds interval = milliseconds(200)) {
    const auto give_up = SteadyClock::now() + limit;
    while (SteadyClock::now() < give_up) {
      if (pred()) return true;
      std::this_thread::sleep_for(interval);
    }
    return pred();
  }

  json Window(const std::string& id) { return madre_->Get("/madre/power/windows/" + id).Json(); }

  // Audit records, oldest first.
  std::vector<json> AuditRecords() {
    json answer = madre_->Get("/madre/power/audit?limit=10000").Json();
    std::vector<json> records;
    for (const auto& record : answer["records"]) records.push_back(record);
    std::reverse(records.begin(), records.end());
    return records;
  }

  static std::string Brief(const std::vector<json>& records) {
    std::string out;
    for (const auto& r : records) {
      out += std::to_string(r["seq"].get<long>()) + " " + r["action"].get<std::string>() + " " +
             r["actor"].get<std::string>() + " " + r["outcome"].get<std::string>() + " " +
             (r["window_id"].is_string() ? r["window_id"].get<std::string>() : "-") + " " +
             r["services"].dump() + " " + r["reason"].get<std::string>() + "\n";
    }
    return out;
  }

  void ExpectAuditChainIntact(const std::filesystem::path& dir) {
    int count = 0;
    const std::string broken = VerifyAuditChain(dir, &count);
    EXPECT_EQ(broken, "") << "audit chain in " << dir;
    // madre's own offline check agrees.
    CommandOutput verified =
        RunCommandForTest({MADRE_BINARY, "verify-audit", "--audit-dir", dir.string(), "--state-dir",
                           madre_->state_dir().string()});
    EXPECT_TRUE(verified.ok()) << verified.output;
    const std::vector<json> records = AuditRecords();
    ASSERT_FALSE(records.empty());
    // The files hold exactly what the database holds.
    EXPECT_EQ(count, static_cast<int>(records.size())) << Brief(records);
    EXPECT_EQ(records.back()["seq"].get<long>(), count);
  }

  void TearDown() override {
    if (madre_ && HasFailure()) std::cerr << "madre log:\n" << madre_->log() << std::endl;
    const std::filesystem::path state_dir = madre_ ? madre_->state_dir() : std::filesystem::path();
    madre_.reset();
    if (!state_dir.empty() && !HasFailure())
      std::filesystem::remove_all(state_dir);  // kept on failure
    compose_.reset();
    if (dockerd_) {
      if (HasFailure())
        std::cerr << "private dockerd log (tail):\n" << dockerd_->Log() << std::endl;
      dockerd_.reset();
    }
    if (!tmpfs_.empty()) {
      if (umount2(tmpfs_.c_str(), MNT_DETACH) != 0) {
        ADD_FAILURE() << "cannot unmount " << tmpfs_ << ": " << std::strerror(errno);
      } else {
        std::filesystem::remove_all(tmpfs_);
      }
    }
    if (!scratch_.empty()) std::filesystem::remove_all(scratch_);
  }

  std::string project_;
  std::string docker_host_;  // empty: the default dockerd
  std::map<std::string, std::string> env_;
  std::unique_ptr<ComposeProject> compose_;
  std::unique_ptr<MadreProcess> madre_;
  std::unique_ptr<PrivateDockerd> dockerd_;
  std::filesystem::path tmpfs_;    // unmounted in TearDown
  std::filesystem::path scratch_;  // removed in TearDown
};

// 1. kill -9 while a window is opening (web waits 4 s before it answers its healthcheck), then
// the same madre again: the window is neither lost nor stuck, nothing is left running, and the
// audit holds both starts and the whole story of the window, in an unbroken hash chain.
TEST_F(FaultTest, KillNineInTheMiddleOfAnOpenLosesNothing) {
  ASSERT_TRUE(StartMadre("two_services", {{"WEB_START_DELAY", "4"}}));
  HttpAnswer opened = madre_->Post("/madre/power/windows/open",
                                   R"({"services":["web"],"ttl_sec":300,"reason":"fault-kill9"})");
  ASSERT_EQ(opened.status, 202) << opened.body;
  const std::string id = opened.Json()["window_id"];
  // In the middle: web's container runs but is not ready yet, so madre is waiting for it.
  ASSERT_TRUE(Eventually([&] { return IsRunning("web"); }, seconds(30)));
  ASSERT_EQ(Window(id)["state"], "opening") << "the open finished before the kill: test too slow";
  madre_->Kill9();
  const auto restarted = SteadyClock::now();
  ASSERT_TRUE(madre_->Start());

  json window = Window(id);
  EXPECT_THAT(window["state"].get<std::string>(), AnyOf(Eq("opening"), Eq("open")))
      << window.dump(2);
  ASSERT_TRUE(Eventually(
      [&] {
        window = Window(id);
        return window["state"] != "opening";
      },
      seconds(60)))
      << "still opening 60 s after the restart: " << window.dump(2);
  // An open window means ready services: web answers its health URL by now.
  const long web_health =
      Http("GET", "http://127.0.0.1:" + env_["WEB_PORT"] + "/health", "", "", 5).status;
  std::cerr << "window " << window["state"] << " " << SecondsSince(restarted)
            << " s after restart; web /health answered " << web_health << "\n";
  if (window["state"] == "open") {
    EXPECT_EQ(web_health, 200) << "the restored window is open before web is ready: "
                               << window.dump(2);
    EXPECT_THAT(Running(), ElementsAre("db", "web"));
    EXPECT_EQ(window["services_status"]["web"]["state"], "running") << window.dump(2);
    EXPECT_EQ(window["services_status"]["db"]["state"], "running") << window.dump(2);
    EXPECT_EQ(window["deadline"].is_string(), true) << window.dump(2);
    HttpAnswer closed = madre_->Post("/madre/power/windows/close", json{{"window_id", id}}.dump());
    ASSERT_EQ(closed.status, 200) << closed.body;
    EXPECT_EQ(closed.Json()["services_stopped"], json({"web", "db"}));
  } else {
    EXPECT_EQ(window["state"], "failed") << window.dump(2);
    EXPECT_EQ(window["close_reason"], "exec_failed") << window.dump(2);
    EXPECT_FALSE(window["error"].get<std::string>().empty()) << window.dump(2);
  }
  EXPECT_TRUE(Eventually([&] { return Running().empty(); }, seconds(20)))
      << ::testing::PrintToString(Running());
  EXPECT_EQ(madre_->Get("/madre/power/state").Json()["policy"], "solo_madre");

  const std::vector<json> records = AuditRecords();
  int starts = 0;
  std::vector<std::string> story;
  for (const auto& r : records) {
    if (r["action"] == "madre.start") ++starts;
    if (r["window_id"] == id)
      story.push_back(r["action"].get<std::string>() + ":" + r["outcome"].get<std::string>());
  }
  EXPECT_EQ(starts, 2) << Brief(records);
  if (window["state"] == "open") {
    EXPECT_THAT(story, ElementsAre("window.open:accepted", "window.opened:ok",
                                   "window.close:accepted", "window.closed:ok"))
        << Brief(records);
  } else {
    EXPECT_THAT(story, ElementsAre("window.open:accepted", "window.opened:fail")) << Brief(records);
  }
  // The restart's madre.start names the window it restored.
  for (const auto& r : records) {
    if (r["action"] == "madre.start" && r["seq"].get<long>() > 1) {
      EXPECT_THAT(r["detail"].get<std::string>(), HasSubstr(id)) << Brief(records);
    }
  }
  ExpectAuditChainIntact(madre_->state_dir() / "audit");
}

// 2. kill -9 while a window is open, and its TTL runs out while madre is down: nothing stops the
// containers meanwhile; the restarted madre closes the window as ttl_expired and stops them.
TEST_F(FaultTest, TtlThatRunsOutWhileMadreIsDownClosesTheWindowOnRestart) {
  ASSERT_TRUE(StartMadre("two_services"));
  HttpAnswer opened =
      madre_->Post("/madre/power/window/open", R"({"services":["db"],"ttl_sec":3})");
  ASSERT_EQ(opened.status, 200) << opened.body;
  ASSERT_EQ(opened.Json()["state"], "open") << opened.body;
  const std::string id = opened.Json()["window_id"];
  const int ttl_left = opened.Json()["ttl_remaining_sec"].get<int>();
  madre_->Kill9();
  std::this_thread::sleep_for(seconds(ttl_left + 2));  // past the deadline
  EXPECT_THAT(Running(), ElementsAre("db"))
      << "nothing should have stopped db while madre was down";

  const auto restarted = SteadyClock::now();
  ASSERT_TRUE(madre_->Start());
  json window;
  EXPECT_TRUE(Eventually(
      [&] {
        window = Window(id);
        return window["state"] == "closed";
      },
      seconds(20)))
      << window.dump(2);
  EXPECT_EQ(window["close_reason"], "ttl_expired") << window.dump(2);
  EXPECT_THAT(window["error"].get<std::string>(), HasSubstr("down")) << window.dump(2);
  EXPECT_EQ(window["services_stopped"], json({"db"})) << window.dump(2);
  EXPECT_TRUE(Eventually([&] { return Running().empty(); }, seconds(20)));
  std::cerr << "closed and stopped " << SecondsSince(restarted) << " s after the restart\n";
  EXPECT_EQ(madre_->Get("/madre/power/state").Json()["policy"], "solo_madre");
  const std::vector<json> records = AuditRecords();
  bool closed_record = false;
  for (const auto& r : records) {
    if (r["action"] == "window.closed" && r["window_id"] == id) {
      closed_record = r["reason"] == "ttl_expired" && r["services"] == json({"db"});
    }
  }
  EXPECT_TRUE(closed_record) << Brief(records);
  ExpectAuditChainIntact(madre_->state_dir() / "audit");
}

// 3. A compose that hangs on `up`/`create` (the containers do not exist yet, so madre must use
// compose): every try is killed at VX11_POWER_WINDOWS_TIMEOUT_SEC with its whole process group,
// the open answers within a bounded time with a failed window, and no process is left behind.
TEST_F(FaultTest, HangingComposeIsKilledWithItsProcessGroupAndTheWindowFails) {
  scratch_ = UniqueTempDir("madre-fault-hang");
  const std::string marker = scratch_.filename().string();
  const std::filesystem::path hang_sleep = scratch_ / "hang-sleep";  // argv[0] carries the marker
  std::filesystem::create_symlink("/usr/bin/sleep", hang_sleep);
  const std::filesystem::path wrapper = scratch_ / "compose-wrapper";
  {
    std::ofstream script(wrapper);
    script << "#!/bin/sh\n"
              "# Hangs on up/create (a child that is not exec'd: only a group kill ends both);\n"
              "# everything else goes to docker-compose.\n"
              "for arg in \"$@\"; do\n"
              "  case \"$arg\" in up|create) \""
           << hang_sleep.string()
           << "\" 60; exit 1;; esac\n"
              "done\n"
              "exec docker-compose \"$@\"\n";
  }
  std::filesystem::permissions(wrapper, std::filesystem::perms::owner_all |
                                            std::filesystem::perms::group_read |
                                            std::filesystem::perms::group_exec);
  ASSERT_TRUE(StartMadre("two_services", {{"VX11_COMPOSE_CMD", wrapper.string()},
                                          {"VX11_POWER_WINDOWS_TIMEOUT_SEC", "2"}}));
  CommandOutput existing = RunCommandForTest(
      {"docker", "ps", "-aq", "--filter", "label=com.docker.compose.project=" + project_});
  ASSERT_EQ(existing.output, "") << "the project must have no containers yet";

  const auto asked = SteadyClock::now();
  HttpAnswer opened;
  std::atomic<bool> answered = false;
  std::thread client([&] {
    opened = Http("POST", madre_->Url("/madre/power/windows/open"),
                  R"({"services":["db"],"ttl_sec":60,"wait":true,"wait_timeout_sec":120})",
                  madre_->token(), 90);
    answered = true;
  });
  // While it hangs, the marked sleep is there (so the check below can see a leftover).
  bool seen_hanging = false;
  while (!answered && !seen_hanging) {
    seen_hanging = RunCommandForTest({"pgrep", "-f", hang_sleep.string()}, {}, seconds(10)).ok();
    std::this_thread::sleep_for(milliseconds(200));
  }
  client.join();
  const double took = SecondsSince(asked);
  EXPECT_TRUE(seen_hanging) << "the wrapper never hung: compose was not asked to create";
  std::cerr << "open answered " << opened.status << " after " << took << " s\n";
  // 3 tries of 2 s, back-off 1 s and 5 s: about 12 s; generous bound for a loaded host.
  EXPECT_GE(took, 6.0);
  EXPECT_LT(took, 45.0);
  ASSERT_EQ(opened.status, 500) << opened.body;
  json window = opened.Json();
  EXPECT_EQ(window["code"], "exec_failed") << opened.body;
  EXPECT_EQ(window["state"], "failed") << opened.body;
  EXPECT_EQ(window["close_reason"], "exec_failed") << opened.body;
  EXPECT_EQ(window["services_started"], json::array()) << opened.body;
  const std::string error = window["services_status"]["db"]["error"].is_string()
                                ? window["services_status"]["db"]["error"].get<std::string>()
                                : "";
  EXPECT_THAT(error, AnyOf(HasSubstr("timed out"), HasSubstr("timeout"))) << opened.body;

  // The whole process group went: neither the wrapper shell nor its sleep is left.
  CommandOutput left = RunCommandForTest({"pgrep", "-af", marker}, {}, seconds(10));
  EXPECT_EQ(left.output, "") << "left behind right after the answer";
  if (!left.output.empty()) {  // clean up what the bug left (only our marked processes)
    std::istringstream lines(left.output);
    for (std::string line; std::getline(lines, line);) {
      const pid_t pid = static_cast<pid_t>(std::atol(line.c_str()));
      if (pid > 1 && line.find(marker) != std::string::npos) kill(pid, SIGKILL);
    }
  }
  EXPECT_THAT(Running(), IsEmpty());
  const json stored = Window(window["window_id"]);
  EXPECT_EQ(stored["state"], "failed") << stored.dump(2);
  EXPECT_EQ(madre_->Get("/madre/power/state").Json()["policy"], "solo_madre");
  // The audit shows the three killed tries.
  const std::vector<json> records = AuditRecords();
  json opened_record;
  for (const auto& r : records) {
    if (r["action"] == "window.opened" && r["window_id"] == window["window_id"]) opened_record = r;
  }
  ASSERT_FALSE(opened_record.is_null()) << Brief(records);
  EXPECT_EQ(opened_record["outcome"], "fail");
  int killed = 0;
  for (const auto& op : opened_record["ops"]) {
    if (op["exit_code"] == -1) ++killed;
  }
  EXPECT_EQ(killed, 3) << opened_record.dump(2);
  ExpectAuditChainIntact(madre_->state_dir() / "audit");
}

// 4. The audit directory's filesystem is full: an open must be refused with a 500 that says
// why, and nothing may happen that the audit does not show (no container, no open window).
// Once there is room again, opens work and the chain is unbroken (no torn line was left).
TEST_F(FaultTest, FullAuditDiskRefusesTheOpenAndStartsNothing) {
  const std::filesystem::path dir = UniqueTempDir("madre-fault-audit");
  if (mount("tmpfs", dir.c_str(), "tmpfs", 0, "size=64k,mode=0700") != 0) {
    const int err = errno;
    std::filesystem::remove_all(dir);
    MADRE_SKIP_OR_FAIL() << "cannot mount a tmpfs (" << std::strerror(err) << "): needs root";
  }
  tmpfs_ = dir;
  ASSERT_TRUE(StartMadre("two_services", {{"VX11_AUDIT_DIR", dir.string()}}));
  auto audit_bytes = [&] {
    std::uintmax_t total = 0;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
      if (entry.path().filename().string().rfind("audit-", 0) == 0) total += entry.file_size();
    }
    return total;
  };
  // Fill the filesystem with junk...
  const std::filesystem::path junk = dir / "junk";
  {
    const int fd = open(junk.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    ASSERT_GE(fd, 0) << std::strerror(errno);
    const std::string block(4096, 'j');
    while (write(fd, block.data(), block.size()) > 0) {
    }
    close(fd);
  }
  // ...and the last page of the audit file with small harmless records (a refused close), until
  // one no longer fits: then no page is left for any record.
  bool full = false;
  for (int i = 0; i < 40 && !full; ++i) {
    const std::uintmax_t before = audit_bytes();
    EXPECT_EQ(madre_->Post("/madre/power/windows/close", "{}").status, 404);
    full = audit_bytes() == before;
  }
  ASSERT_TRUE(full) << "the audit file kept growing on a full filesystem";
  const std::uintmax_t bytes_when_full = audit_bytes();

  HttpAnswer opened = madre_->Post(
      "/madre/power/window/open",
      json{{"services", {"db"}}, {"ttl_sec", 60}, {"reason", std::string(400, 'r')}}.dump());
  EXPECT_EQ(opened.status, 500) << opened.body;
  std::cerr << "open on a full audit disk: " << opened.status << " " << opened.body << "\n";
  const json error = opened.Json();
  ASSERT_TRUE(error.contains("detail")) << opened.body;
  EXPECT_TRUE(error.contains("code")) << opened.body;
  EXPECT_THAT(error["detail"].get<std::string>(), HasSubstr("audit")) << opened.body;
  EXPECT_EQ(audit_bytes(), bytes_when_full) << "a torn line was left in the audit file";
  // Nothing acknowledged that was not recorded: no container, no window that is or becomes open.
  std::this_thread::sleep_for(seconds(3));  // a start would have begun by now
  EXPECT_THAT(Running(), IsEmpty());
  json state = madre_->Get("/madre/power/state").Json();
  EXPECT_EQ(state["policy"], "solo_madre") << state.dump(2);
  EXPECT_EQ(state["windows"], json::array()) << state.dump(2);
  json status = madre_->Get("/madre/power/windows/status").Json();
  for (const auto& w : status["history"]) EXPECT_NE(w["state"], "open") << w.dump(2);
  for (const auto& r : AuditRecords()) {
    EXPECT_FALSE(r["action"] == "window.open" && r["outcome"] == "accepted") << r.dump();
  }

  // Room again: the next open works and every record is in the files, in one chain.
  std::filesystem::remove(junk);
  HttpAnswer retried =
      madre_->Post("/madre/power/window/open", R"({"services":["db"],"ttl_sec":60})");
  ASSERT_EQ(retried.status, 200) << retried.body;
  EXPECT_THAT(Running(), ElementsAre("db"));
  HttpAnswer closed = madre_->Post("/madre/power/window/close", "");
  ASSERT_EQ(closed.status, 200) << closed.body;
  EXPECT_THAT(Running(), IsEmpty());
  ExpectAuditChainIntact(dir);
}

// 5. Twenty clients, 500 requests at once (open/close/extend/hold on three services, at most
// five windows): madre survives, and once it has settled exactly what the open windows need
// runs (no always-on compose service here); SOLO_MADRE then stops everything.
TEST_F(FaultTest, TwentyClientsAtOnceLeaveTheStackConsistent) {
  ASSERT_TRUE(StartMadre("shared", {{"VX11_POWER_WINDOWS_MAX_CONCURRENT", "5"},
                                    {"VX11_POWER_WINDOWS_LOG_LEVEL", "INFO"}}));
  constexpr int kClients = 20;
  constexpr int kRequests = 500;
  const std::vector<std::string> names = {"a", "b", "common"};
  std::atomic<int> next = 0;
  std::mutex mu;
  std::vector<std::string> ids;
  std::map<std::string, std::map<long, int>> codes;  // request kind -> status -> count
  std::vector<std::string> bad;                      // 5xx and no-answer bodies
  const auto started = SteadyClock::now();
  const auto give_up = started + seconds(60);
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      std::mt19937 rng(static_cast<unsigned>(c) * 7919u + 17u);
      auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
      auto some_id = [&]() -> std::string {
        std::lock_guard lock(mu);
        if (ids.empty()) return "";
        return ids[static_cast<std::size_t>(pick(static_cast<int>(ids.size())))];
      };
      while (next.fetch_add(1) < kRequests && SteadyClock::now() < give_up) {
        // Spread over ~15 s, so that opens, closes and TTL expiries overlap with docker work.
        std::this_thread::sleep_for(milliseconds(pick(1000)));
        std::string kind, method = "POST", path, body;
        const int roll = pick(10);
        if (roll < 4) {
          json services = json::array();
          for (const auto& name : names) {
            if (pick(2) == 0) services.push_back(name);
          }
          if (services.empty()) services.push_back(names[static_cast<std::size_t>(pick(3))]);
          const int ttls[] = {2, 4, 8, 600};
          json open = {{"services", services}, {"ttl_sec", ttls[pick(4)]}, {"reason", "storm"}};
          if (pick(4) == 0) open["hold"] = true;
          kind = "open";
          path = "/madre/power/windows/open";
          body = open.dump();
        } else if (roll < 6) {
          kind = "close";
          path = "/madre/power/windows/close";
          const std::string id = some_id();
          body = id.empty() ? "{}" : json{{"window_id", id}}.dump();
        } else if (roll < 8) {
          kind = "extend";
          path = "/madre/power/windows/extend";
          body = json{{"window_id", some_id()}, {"ttl_sec", 1 + pick(30)}}.dump();
        } else if (roll < 9) {
          kind = "hold";
          path = "/madre/power/windows/hold";
          body = json{{"window_id", some_id()}, {"hold", pick(2) == 0}}.dump();
        } else {
          kind = "state";
          method = "GET";
          path = pick(2) == 0 ? "/madre/power/state" : "/madre/power/windows/status";
        }
        HttpAnswer answer = Http(method, madre_->Url(path), body, madre_->token(), 30);
        std::lock_guard lock(mu);
        ++codes[kind][answer.status];
        if (answer.status == 0 || answer.status >= 500) {
          bad.push_back(kind + " " + body + " -> " + std::to_string(answer.status) + " " +
                        answer.body);
        }
        if (kind == "open" && answer.status / 100 == 2) ids.push_back(answer.Json()["window_id"]);
      }
    });
  }
  for (auto& t : clients) t.join();
  const double took = SecondsSince(started);
  std::ostringstream histogram;
  int total = 0;
  for (const auto& [kind, by_status] : codes) {
    histogram << kind << ":";
    for (const auto& [status, n] : by_status) {
      histogram << " " << status << "x" << n;
      total += n;
    }
    histogram << "\n";
  }
  std::cerr << total << " requests in " << took << " s, " << ids.size() << " windows opened\n"
            << histogram.str();
  EXPECT_EQ(total, kRequests) << "the storm did not finish within 60 s";
  EXPECT_THAT(bad, IsEmpty());
  ASSERT_EQ(Http("GET", madre_->Url("/health"), "", "").status, 200) << "madre no longer answers";

  // Settled: no window opening or closing, and what runs is exactly what the open windows need
  // (seen the same way before and after the docker listing).
  std::string last;
  auto settled = [&] {
    json before = madre_->Get("/madre/power/state").Json();
    std::set<std::string> needed, window_ids;
    for (const auto& w : before["windows"]) {
      if (w["state"] != "open") {
        last =
            "window " + w["window_id"].get<std::string>() + " is " + w["state"].get<std::string>();
        return false;
      }
      window_ids.insert(w["window_id"].get<std::string>());
      for (const auto& s : w["effective_services"]) needed.insert(s.get<std::string>());
    }
    const std::vector<std::string> running = Running();
    json after = madre_->Get("/madre/power/state").Json();
    std::set<std::string> after_ids;
    for (const auto& w : after["windows"]) {
      if (w["state"] == "open") after_ids.insert(w["window_id"].get<std::string>());
    }
    if (after_ids != window_ids) return false;
    const std::vector<std::string> expected(needed.begin(), needed.end());
    last = "running " + ::testing::PrintToString(running) + ", open windows need " +
           ::testing::PrintToString(expected) + "\n" + before.dump(1);
    return running == expected;
  };
  const auto settle_start = SteadyClock::now();
  EXPECT_TRUE(Eventually(settled, seconds(60), milliseconds(500))) << last;
  std::cerr << "settled " << SecondsSince(settle_start) << " s after the storm\n";

  HttpAnswer apply = madre_->Post("/madre/power/policy/solo_madre/apply", "");
  ASSERT_EQ(apply.status, 200) << apply.body;
  EXPECT_EQ(apply.Json()["exec_status"], "ok") << apply.body;
  EXPECT_THAT(Running(), IsEmpty());
  json state = madre_->Get("/madre/power/state").Json();
  EXPECT_EQ(state["policy"], "solo_madre") << state.dump(2);
  ExpectAuditChainIntact(madre_->state_dir() / "audit");
}

// 6. dockerd stops under a running madre and comes back: meanwhile madre answers what needs
// Docker with a clear 503; afterwards its events stream reconnects and it reconciles (the
// always-on `db`, stopped with dockerd, is started again; a container started by hand is seen
// through events and stopped). The periodic resync is off (1 h), so only the reconnect can do it.
// Runs a private dockerd (see PrivateDockerd) so that nobody else's containers are touched.
class DockerdRestartFaultTest : public FaultTest {};

TEST_F(DockerdRestartFaultTest, DockerdGoingAwayAndComingBackIsSurvived) {
  dockerd_ = std::make_unique<PrivateDockerd>();
  std::string why;
  if (!dockerd_->Start(seconds(60), &why))
    MADRE_SKIP_OR_FAIL() << "cannot run a private dockerd: " << why;
  const std::string host = dockerd_->host();
  CommandOutput copied = RunCommandForTest(
      {"sh", "-c", "docker save madre-busybox:latest | docker -H \"$PRIVATE_HOST\" load"},
      {{"PRIVATE_HOST", host}}, seconds(120));
  ASSERT_TRUE(copied.ok()) << copied.output;

  ASSERT_TRUE(StartMadre(
      "two_services",
      {{"DOCKER_HOST", host},
       {"VX11_ALWAYS_ON", "madre,db"},
       {"VX11_RESYNC_SEC", "3600"},
       // A hand-started web is stopped (not adopted): it shows the events stream is live.
       {"VX11_EXTERNAL_START", "stop"}}));
  ASSERT_TRUE(Eventually([&] { return Running() == std::vector<std::string>{"db"}; }, seconds(30)))
      << "the always-on db was not started";
  ASSERT_EQ(madre_->Get("/madre/power/status").status, 200);
  // The successful starts of db in the audit. A start's record is written when the start
  // ends, after db's readiness wait.
  std::vector<json> records;
  auto db_starts = [&records] {
    int n = 0;
    for (const auto& r : records) {
      if (r["action"] == "reconcile.start" && r["services"] == json({"db"}) &&
          r["outcome"] == "ok") {
        ++n;
      }
    }
    return n;
  };
  // The boot start is audited when its readiness wait ends (db healthy). dockerd goes away
  // only after that, so that this start is not cut short (it would be audited `fail`).
  ASSERT_TRUE(Eventually(
      [&] {
        records = AuditRecords();
        return db_starts() >= 1;
      },
      seconds(30)))
      << "the boot start of db was not audited ok: " << Brief(records);

  const auto stopping = SteadyClock::now();
  ASSERT_TRUE(dockerd_->Stop(seconds(30))) << "dockerd did not stop on SIGTERM within 30 s";
  std::cerr << "dockerd stopped in " << SecondsSince(stopping) << " s\n";
  // While it is down: a clear 503 (bounded), and madre itself keeps answering.
  const auto asked = SteadyClock::now();
  HttpAnswer down = Http("GET", madre_->Url("/madre/power/status"), "", madre_->token(), 20);
  EXPECT_LT(SecondsSince(asked), 15.0);
  EXPECT_EQ(down.status, 503) << down.body;
  std::cerr << "status while dockerd is down: " << down.status << " " << down.body << "\n";
  EXPECT_TRUE(down.Json().contains("detail")) << down.body;
  EXPECT_TRUE(down.Json().contains("code")) << down.body;
  EXPECT_EQ(madre_->Get("/madre/power/policy/solo_madre/status").status, 503);
  EXPECT_EQ(Http("GET", madre_->Url("/health"), "", "").status, 200);
  std::this_thread::sleep_for(seconds(2));  // let the events stream notice and back off

  const auto back = SteadyClock::now();
  // dockerd must come back; if not, fail now and loudly rather than hang.
  ASSERT_TRUE(dockerd_->Start(seconds(60), &why)) << "DOCKERD DID NOT COME BACK: " << why;
  std::cerr << "dockerd back in " << SecondsSince(back) << " s\n";
  // dockerd stopped db with itself (no restart policy); the second reconcile.start below shows
  // that madre started it again (checking `docker ps` here would race with madre).

  EXPECT_TRUE(
      Eventually([&] { return madre_->Get("/madre/power/status").status == 200; }, seconds(30)))
      << "GET /madre/power/status did not answer 200 again";
  const bool db_back =
      Eventually([&] { return Running() == std::vector<std::string>{"db"}; }, seconds(45));
  EXPECT_TRUE(db_back) << "always-on db not started again after dockerd came back; running: "
                       << ::testing::PrintToString(Running());
  std::cerr << "db running again " << SecondsSince(back) << " s after dockerd was back\n";
  // The events stream is live again: a hand-started web is stopped without a resync.
  ASSERT_TRUE(compose_->Run({"up", "-d", "--no-deps", "web"}));
  EXPECT_TRUE(Eventually([&] { return Running() == std::vector<std::string>{"db"}; }, seconds(20)))
      << "web started by hand was not stopped: " << ::testing::PrintToString(Running());
  json status = madre_->Get("/madre/power/status").Json();
  bool db_running = false;
  for (const auto& s : status["services"]) {
    if (s["service"] == "db") db_running = s["state"] == "running";
  }
  EXPECT_TRUE(db_running) << status.dump(2);
  // The restart's readiness wait may still run here (a replayed `die` can hold the restart
  // back for its 5 s back-off).
  (void)Eventually(
      [&] {
        records = AuditRecords();
        return db_starts() >= 2;
      },
      seconds(30));
  EXPECT_EQ(db_starts(), 2) << Brief(records);
  ExpectAuditChainIntact(madre_->state_dir() / "audit");
}

}  // namespace
}  // namespace madre::itest
