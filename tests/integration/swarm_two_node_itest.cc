// The Swarm provider (docs/providers.md, "Two nodes") on a swarm of two nodes the test makes:
// two private dockerds, a manager and a worker, each in a network namespace of its own
// (`ip netns add`) with its own hostname (`unshare --uts`), data root, exec root, socket,
// containerd and cgroup parent, joined by a veth pair with 10.213.7.1/30 and 10.213.7.2/30.
// madre and the test reach both through their unix sockets; the machine's own dockerd never
// joins a swarm here (it only gives the test image, `docker save | docker load`).
//
// Everything the test makes is named madre-2n-<pid of the test process>: the network
// namespaces, the directory under /tmp, the cgroup parents, the hostnames. Before it makes its
// own, a test removes what a run that is no longer alive left behind (a crash, a kill -9).
// Needs root, dockerd, ip, nsenter and unshare (CMake registers it only then).
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "adapters/docker/docker_api.h"
#include "adapters/swarm/swarm_client.h"
#include "docker_env.h"
#include "madre_process.h"
#include "private_dockerd.h"

extern char** environ;

namespace madre {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using ::testing::HasSubstr;
using SteadyClock = std::chrono::steady_clock;

constexpr const char* kPrefix = "madre-2n-";
constexpr const char* kManagerAddress = "10.213.7.1";
constexpr const char* kWorkerAddress = "10.213.7.2";

std::string Trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

std::string ReadAll(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

bool Alive(pid_t pid) { return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM); }

// The pid in "madre-2n-<pid>..." (0 when the name is not one of ours).
pid_t OwnerOf(const std::string& name) {
  if (name.rfind(kPrefix, 0) != 0) return 0;
  const std::string rest = name.substr(std::strlen(kPrefix));
  std::size_t digits = 0;
  while (digits < rest.size() && std::isdigit(static_cast<unsigned char>(rest[digits]))) ++digits;
  if (digits == 0) return 0;
  return static_cast<pid_t>(std::stol(rest.substr(0, digits)));
}

// The pids whose command line or environment mentions `needle` (dockerd, containerd and the
// shims name their files; a madre serve has DOCKER_HOST in its environment).
std::vector<pid_t> ProcessesMentioning(const std::string& needle) {
  std::vector<pid_t> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || !std::isdigit(static_cast<unsigned char>(name[0]))) continue;
    std::string cmdline = ReadAll(entry.path() / "cmdline");
    for (char& c : cmdline) c = c == '\0' ? ' ' : c;
    const pid_t pid = static_cast<pid_t>(std::stol(name));
    if (pid == getpid()) continue;
    if (cmdline.find(needle) != std::string::npos ||
        ReadAll(entry.path() / "environ").find(needle) != std::string::npos) {
      out.push_back(pid);
    }
  }
  return out;
}

// Where top-level cgroups are: /sys/fs/cgroup itself (cgroup v2) and each directory in it (the
// v1 controllers, the v1 hybrid's unified tree).
std::vector<std::filesystem::path> CgroupRoots() {
  std::vector<std::filesystem::path> out = {"/sys/fs/cgroup"};
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/sys/fs/cgroup", ec)) {
    if (entry.is_directory(ec)) out.push_back(entry.path());
  }
  return out;
}

// The cgroup directories named `name` at the top level, under every root.
std::vector<std::filesystem::path> CgroupDirs(const std::string& name) {
  std::vector<std::filesystem::path> out;
  std::error_code ec;
  for (const std::filesystem::path& root : CgroupRoots()) {
    std::filesystem::path dir = root / name;
    if (std::filesystem::is_directory(dir, ec)) out.push_back(dir);
  }
  return out;
}

// SIGKILL to every process in the cgroups `name` (containers of a dockerd started with
// --cgroup-parent /<name>), then the cgroup directories go, deepest first.
void KillAndRemoveCgroups(const std::string& name) {
  for (int round = 0; round < 20; ++round) {
    bool any = false;
    for (const std::filesystem::path& top : CgroupDirs(name)) {
      std::error_code ec;
      for (auto it = std::filesystem::recursive_directory_iterator(top, ec);
           it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
        if (it->path().filename() != "cgroup.procs") continue;
        std::ifstream procs(it->path());
        for (pid_t pid = 0; procs >> pid;) {
          any = true;
          kill(pid, SIGKILL);
        }
      }
    }
    if (!any) break;
    std::this_thread::sleep_for(100ms);
  }
  for (const std::filesystem::path& top : CgroupDirs(name)) {
    std::vector<std::filesystem::path> dirs;
    std::error_code ec;
    for (auto it = std::filesystem::recursive_directory_iterator(top, ec);
         it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
      if (it->is_directory(ec)) dirs.push_back(it->path());
    }
    for (auto d = dirs.rbegin(); d != dirs.rend(); ++d) rmdir(d->c_str());
    rmdir(top.c_str());
  }
}

// Unmounts what is mounted under `dir` (deepest first: overlay layers, netns files, shm).
void UnmountUnder(const std::filesystem::path& dir) {
  std::ifstream mounts("/proc/self/mounts");
  std::vector<std::string> points;
  for (std::string line; std::getline(mounts, line);) {
    std::istringstream fields(line);
    std::string device, point;
    fields >> device >> point;
    if (point.rfind(dir.string() + "/", 0) == 0) points.push_back(point);
  }
  std::sort(points.rbegin(), points.rend());
  for (const std::string& point : points) {
    RunCommandForTest({"umount", "-l", point}, {}, 30s);
  }
}

// One node: a dockerd in the network namespace `<base>-<role>`, hostname the same, files in
// `dir`, containers under the cgroup parent of the same name. Only the processes it spawned (or
// that name its files) are ever signalled.
class Node {
 public:
  Node(std::string name, std::filesystem::path dir)
      : name_(std::move(name)), dir_(std::move(dir)) {}
  ~Node() { Destroy(); }
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  const std::string& name() const { return name_; }  // netns, hostname, cgroup parent
  std::string host() const { return PrivateDockerdHost(dir_); }
  std::vector<std::string> Docker(std::vector<std::string> args) const {
    args.insert(args.begin(), {"docker", "-H", host()});
    return args;
  }

  bool MakeNetns(std::string* why) {
    CommandOutput made = RunCommandForTest({"ip", "netns", "add", name_}, {}, 30s);
    if (!made.ok()) {
      *why = "ip netns add " + name_ + ": " + made.output;
      return false;
    }
    netns_made_ = true;
    return InNetns({"ip", "link", "set", "lo", "up"}, why);
  }

  // `argv` run in the node's network namespace.
  bool InNetns(const std::vector<std::string>& argv, std::string* why) const {
    std::vector<std::string> full = {"ip", "netns", "exec", name_};
    full.insert(full.end(), argv.begin(), argv.end());
    CommandOutput out = RunCommandForTest(full, {}, 30s);
    if (!out.ok()) {
      std::string line;
      for (const std::string& word : full) line += word + " ";
      *why = line + ": " + out.output;
    }
    return out.ok();
  }

  // Starts dockerd and waits (at most `limit`) until `docker info` answers. nsenter enters
  // only the network namespace (`ip netns exec` would remount /sys, hiding the cgroup mounts
  // dockerd needs); unshare gives it a UTS namespace, so the node's hostname is its own; both
  // exec in place, so pid_ is dockerd's.
  bool Start(std::chrono::seconds limit, std::string* why) {
    std::filesystem::create_directories(dir_);
    PrivateDockerdLaunch launch;
    launch.dir = dir_;
    launch.runner = {"nsenter",
                     "--net=/run/netns/" + name_,
                     "unshare",
                     "--uts",
                     "sh",
                     "-c",
                     "hostname \"$0\" && exec dockerd \"$@\"",
                     name_};
    launch.extra_args = {"--cgroup-parent", "/" + name_};
    launch.address_pool = "base=10.214.0.0/16,size=24";
    if (StartPrivateDockerd(launch, limit, &pid_, why)) return true;
    *why = name_ + ": " + *why;
    return false;
  }

  // The node gone at once, as a machine that loses power: SIGKILL to dockerd, its containerd,
  // the shims and the containers. Its swarm peers are not told.
  void KillAll() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
    for (pid_t pid : ProcessesMentioning(dir_.string() + "/")) kill(pid, SIGKILL);
    KillAndRemoveCgroups(name_);
  }

  // SIGTERM to dockerd (it stops its containers and its containerd), at most 20 s, then
  // KillAll; the namespace, the mounts, the cgroups and the directory go. Also for a node that
  // did not start.
  void Destroy() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      const auto give_up = SteadyClock::now() + 20s;
      while (SteadyClock::now() < give_up && waitpid(pid_, nullptr, WNOHANG) != pid_) {
        std::this_thread::sleep_for(100ms);
      }
      if (waitpid(pid_, nullptr, WNOHANG) == 0) {  // still there after 20 s
        kill(pid_, SIGKILL);
        waitpid(pid_, nullptr, 0);
      }
      pid_ = -1;
    }
    KillAll();
    if (netns_made_) RunCommandForTest({"ip", "netns", "delete", name_}, {}, 30s);
    netns_made_ = false;
    UnmountUnder(dir_);
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  std::string Log() const { return PrivateDockerdLog(dir_); }

 private:
  std::string name_;
  std::filesystem::path dir_;
  bool netns_made_ = false;
  pid_t pid_ = -1;
};

// What a run that is no longer alive left: its dockerds, containerds, shims and containers
// (found by their paths and cgroups), network namespaces (the veth pair goes with them),
// mounts, directories and cgroups. Runs of processes still alive are left alone.
void RemoveLeftovers() {
  std::set<std::string> dead;  // "madre-2n-<pid>"
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/tmp", ec)) {
    const std::string name = entry.path().filename().string();
    if (const pid_t owner = OwnerOf(name); owner > 0 && !Alive(owner)) dead.insert(name);
  }
  for (const auto& entry : std::filesystem::directory_iterator("/run/netns", ec)) {
    const std::string name = entry.path().filename().string();
    const pid_t owner = OwnerOf(name);
    if (owner > 0 && !Alive(owner)) dead.insert(kPrefix + std::to_string(owner));
  }
  for (const std::filesystem::path& dir : CgroupRoots()) {
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
      const std::string name = entry.path().filename().string();
      const pid_t owner = OwnerOf(name);
      if (owner > 0 && !Alive(owner)) dead.insert(kPrefix + std::to_string(owner));
    }
  }
  for (const std::string& base : dead) {
    std::cerr << "removing what an earlier run left: " << base << "\n";
    const std::filesystem::path dir = std::filesystem::temp_directory_path() / base;
    for (pid_t pid : ProcessesMentioning(dir.string() + "/")) kill(pid, SIGKILL);
    for (const char* role : {"-mgr", "-wkr"}) {
      KillAndRemoveCgroups(base + role);
      RunCommandForTest({"ip", "netns", "delete", base + role}, {}, 30s);
    }
    UnmountUnder(dir);
    std::filesystem::remove_all(dir, ec);
  }
}

// The stack: `far` runs only on the worker (its hostname), with a healthcheck; `near` only on
// the manager.
constexpr const char* kStackFile = R"yaml(version: "3.8"
services:
  far:
    image: madre-busybox:latest
    environment: {SERVICE_NAME: far, PORT: "8080"}
    stop_grace_period: 2s
    healthcheck:
      test: ["CMD-SHELL", "wget -q -O- http://127.0.0.1:8080/health"]
      interval: 1s
      timeout: 2s
      retries: 30
    deploy:
      placement:
        constraints: [node.hostname == WORKER]
  near:
    image: madre-busybox:latest
    environment: {SERVICE_NAME: near, PORT: "8080"}
    stop_grace_period: 2s
    deploy:
      placement:
        constraints: [node.role == manager]
)yaml";

class SwarmTwoNodeItest : public ::testing::Test {
 protected:
  void SetUp() override {
    MADRE_NEED_DOCKER();
    EnsureImages();
    if (HasFailure()) MADRE_SKIP_OR_FAIL() << "images could not be built";
    RemoveLeftovers();
    const std::string base = kPrefix + std::to_string(getpid());
    dir_ = std::filesystem::temp_directory_path() / base;
    manager_ = std::make_unique<Node>(base + "-mgr", dir_ / "mgr");
    worker_ = std::make_unique<Node>(base + "-wkr", dir_ / "wkr");
    std::string why;
    const bool made = MakeNodes(&why);
    if (!made) {
      MADRE_SKIP_OR_FAIL() << "cannot make the two nodes: " << why;
    }
  }

  void TearDown() override {
    if (madre_ && HasFailure()) std::cerr << "madre log:\n" << madre_->log() << std::endl;
    madre_.reset();
    if (HasFailure()) {
      for (Node* node : {manager_.get(), worker_.get()}) {
        if (node != nullptr) std::cerr << node->name() << " dockerd log:\n" << node->Log() << "\n";
      }
    }
    // No stack rm: the swarm goes with its nodes.
    worker_.reset();
    manager_.reset();
    std::error_code ignored;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ignored);
  }

  // The namespaces, the veth pair, the dockerds, the swarm, the image, the stack.
  bool MakeNodes(std::string* why) {
    if (!manager_->MakeNetns(why) || !worker_->MakeNetns(why)) return false;
    const std::string pid = std::to_string(getpid());
    const std::string veth_m = "m2n" + pid + "m";  // <= 15 characters
    const std::string veth_w = "m2n" + pid + "w";
    CommandOutput veth =
        RunCommandForTest({"ip", "link", "add", veth_m, "netns", manager_->name(), "type", "veth",
                           "peer", "name", veth_w, "netns", worker_->name()},
                          {}, 30s);
    if (!veth.ok()) {
      *why = "ip link add ... type veth: " + veth.output;
      return false;
    }
    if (!manager_->InNetns(
            {"ip", "addr", "add", std::string(kManagerAddress) + "/30", "dev", veth_m}, why) ||
        !manager_->InNetns({"ip", "link", "set", veth_m, "up"}, why) ||
        !worker_->InNetns({"ip", "addr", "add", std::string(kWorkerAddress) + "/30", "dev", veth_w},
                          why) ||
        !worker_->InNetns({"ip", "link", "set", veth_w, "up"}, why)) {
      return false;
    }
    if (!manager_->Start(60s, why) || !worker_->Start(60s, why)) return false;
    CommandOutput init = RunCommandForTest(
        manager_->Docker({"swarm", "init", "--advertise-addr", kManagerAddress, "--listen-addr",
                          std::string(kManagerAddress) + ":2377"}),
        {}, 60s);
    if (!init.ok()) {
      *why = "swarm init: " + init.output;
      return false;
    }
    CommandOutput token =
        RunCommandForTest(manager_->Docker({"swarm", "join-token", "-q", "worker"}), {}, 30s);
    if (!token.ok()) {
      *why = "swarm join-token: " + token.output;
      return false;
    }
    CommandOutput join = RunCommandForTest(
        worker_->Docker({"swarm", "join", "--token", Trimmed(token.output), "--advertise-addr",
                         kWorkerAddress, "--listen-addr", std::string(kWorkerAddress) + ":2377",
                         std::string(kManagerAddress) + ":2377"}),
        {}, 60s);
    if (!join.ok()) {
      *why = "swarm join: " + join.output;
      return false;
    }
    for (Node* node : {manager_.get(), worker_.get()}) {
      CommandOutput id =
          RunCommandForTest(node->Docker({"info", "--format", "{{.Swarm.NodeID}}"}), {}, 30s);
      if (!id.ok() || Trimmed(id.output).empty()) {
        *why = node->name() + ": no swarm node id: " + id.output;
        return false;
      }
      (node == manager_.get() ? manager_id_ : worker_id_) = Trimmed(id.output);
      CommandOutput load = RunCommandForTest(
          {"sh", "-c", "docker save madre-busybox:latest | docker -H \"$NODE_HOST\" load"},
          {{"NODE_HOST", node->host()}}, 120s);
      if (!load.ok()) {
        *why = node->name() + ": docker save | docker load: " + load.output;
        return false;
      }
    }
    if (!WaitUntil([&] { return NodeState(worker_id_) == "ready"; }, 30s, 200ms)) {
      *why = "the worker never showed ready on the manager";
      return false;
    }

    stack_ = UniqueProjectName("twonode");
    std::filesystem::create_directories(dir_ / "stack");
    std::string file = kStackFile;
    file.replace(file.find("WORKER"), 6, worker_->name());
    std::ofstream(dir_ / "stack" / "stack.yml") << file;
    CommandOutput deploy =
        RunCommandForTest(manager_->Docker({"stack", "deploy", "-c",
                                            (dir_ / "stack" / "stack.yml").string(), stack_}),
                          {}, 120s);
    if (!deploy.ok()) {
      *why = "stack deploy: " + deploy.output;
      return false;
    }
    api_ = std::make_shared<DockerApi>(manager_->host(), Seconds(30));
    client_ = std::make_unique<SwarmClient>(stack_, DockerApiTransport(api_, Seconds(30)));
    return true;
  }

  // Status.State of a node as the manager sees it ("ready", "down", ...; "" on error).
  std::string NodeState(const std::string& id) const {
    CommandOutput out = RunCommandForTest(
        manager_->Docker({"node", "inspect", id, "--format", "{{.Status.State}}"}), {}, 30s);
    return out.ok() ? Trimmed(out.output) : "";
  }

  // The nodes of `service`'s tasks that run and are meant to.
  std::vector<std::string> RunningOn(const std::string& service) {
    Result<SwarmService> inspected = client_->Inspect(stack_ + "_" + service);
    if (!inspected.ok()) return {};
    Result<std::vector<SwarmTask>> tasks = client_->Tasks({inspected->id});
    if (!tasks.ok()) return {};
    std::vector<std::string> nodes;
    for (const SwarmTask& task : *tasks) {
      if (task.state == "running" && task.desired_state == "running") {
        nodes.push_back(task.node_id);
      }
    }
    return nodes;
  }

  std::int64_t Replicas(const std::string& service) {
    Result<SwarmService> inspected = client_->Inspect(stack_ + "_" + service);
    return inspected.ok() ? inspected->replicas : -1;
  }

  // The containers of `service` a node's own dockerd runs.
  std::string ContainersOn(const Node& node, const std::string& service) const {
    CommandOutput ps = RunCommandForTest(
        node.Docker({"ps", "-q", "--filter",
                     "label=com.docker.swarm.service.name=" + stack_ + "_" + service}),
        {}, 30s);
    return ps.ok() ? Trimmed(ps.output) : "";
  }

  // `service`'s entry of madre's /madre/power/status (null when it has none).
  json StatusOf(const std::string& service) const {
    json services = madre_->Get("/madre/power/status").Json()["services"];
    if (!services.is_array()) return nullptr;
    for (const json& entry : services) {
      if (entry["service"] == service) return entry;
    }
    return nullptr;
  }

  // madre serve on the manager's socket; returns once far and near are scaled to 0.
  void StartMadre(const std::string& health_timeout_sec = "40") {
    madre_ = std::make_unique<itest::MadreProcess>(
        std::map<std::string, std::string>{{"VX11_PROVIDER", "swarm"},
                                           {"DOCKER_HOST", manager_->host()},
                                           {"VX11_COMPOSE_PROJECT", stack_},
                                           {"VX11_COMPOSE_DIR", (dir_ / "stack").string()},
                                           {"VX11_COMPOSE_FILES", "stack.yml"},
                                           {"VX11_ALWAYS_ON", "madre"},
                                           {"VX11_RESYNC_SEC", "2"},
                                           {"VX11_HEALTH_TIMEOUT_SEC", health_timeout_sec},
                                           {"VX11_EXTERNAL_START", "stop"}});
    ASSERT_TRUE(madre_->Start()) << madre_->log();
    ASSERT_TRUE(
        WaitUntil([&] { return Replicas("far") == 0 && Replicas("near") == 0; }, 60s, 250ms))
        << madre_->log();
    ASSERT_TRUE(WaitUntil([&] { return RunningOn("far").empty() && RunningOn("near").empty(); },
                          60s, 250ms));
  }

  std::filesystem::path dir_;
  std::unique_ptr<Node> manager_;
  std::unique_ptr<Node> worker_;
  std::string manager_id_;
  std::string worker_id_;
  std::string stack_;
  std::shared_ptr<DockerApi> api_;
  std::unique_ptr<SwarmClient> client_;
  std::unique_ptr<itest::MadreProcess> madre_;
};

// A window of far and near: far's task runs on the worker (its container is the worker
// dockerd's), near's on the manager; the TTL scales both to 0.
TEST_F(SwarmTwoNodeItest, AWindowsServiceRunsOnTheWorkerAndStopsAtTheTtl) {
  StartMadre();
  if (HasFatalFailure()) return;
  const auto opening = SteadyClock::now();
  itest::HttpAnswer opened = madre_->Post("/madre/power/windows/open",
                                          R"({"services":["far","near"],"ttl_sec":8,"wait":true})");
  ASSERT_EQ(opened.status, 200) << opened.body;
  json window = opened.Json();
  EXPECT_EQ(window["state"], "open") << opened.body;
  EXPECT_EQ(window["services_started"], json({"far", "near"})) << opened.body;
  EXPECT_EQ(RunningOn("far"), std::vector<std::string>{worker_id_});
  EXPECT_EQ(RunningOn("near"), std::vector<std::string>{manager_id_});
  EXPECT_FALSE(ContainersOn(*worker_, "far").empty());
  EXPECT_TRUE(ContainersOn(*manager_, "far").empty());
  EXPECT_FALSE(ContainersOn(*manager_, "near").empty());
  // madre's /status names each service's node (its hostname).
  json far;
  json near;
  EXPECT_TRUE(WaitUntil(
      [&] {
        far = StatusOf("far");
        near = StatusOf("near");
        return far.is_object() && near.is_object() && far["running"] == 1 && near["running"] == 1;
      },
      10s, 250ms))
      << far.dump() << "\n"
      << near.dump();
  EXPECT_EQ(far["nodes"], json({worker_->name()})) << far.dump();
  EXPECT_EQ(near["nodes"], json({manager_->name()})) << near.dump();

  ASSERT_TRUE(WaitUntil([&] { return Replicas("far") == 0 && Replicas("near") == 0; }, 60s, 250ms))
      << madre_->log();
  EXPECT_GE(SteadyClock::now() - opening, 8s);
  EXPECT_TRUE(WaitUntil([&] { return ContainersOn(*worker_, "far").empty(); }, 30s, 250ms))
      << "far's container still runs on the worker";
  json status = madre_->Get("/madre/power/windows/status").Json();
  ASSERT_FALSE(status["history"].empty()) << status.dump();
  EXPECT_EQ(status["history"][0]["window_id"], window["window_id"]) << status.dump();
  EXPECT_EQ(status["history"][0]["close_reason"], "ttl_expired") << status.dump();
}

// The worker goes away (SIGKILL to its dockerd, containerd, shims and containers: a machine
// that loses power) while a window of far is open. Swarm marks the node down after its
// heartbeats stop (about 10 s here) and replaces far's task by one that stays pending ("no
// suitable node": the constraint allows only the worker). madre keeps the window open until its
// TTL or a close; /status shows far restarting (desired 1, running 0, on no node) and Swarm's
// reason. A new open of far scales it up and fails once its task has had no node for
// core/readiness.h's kUnplaceableGrace (before VX11_HEALTH_TIMEOUT_SEC), with Swarm's reason and
// an error that names the unavailable node (the service's logs, which dockerd cannot fetch from
// it), and is rolled back: it does not hang.
TEST_F(SwarmTwoNodeItest, WhenTheWorkerGoesAwayANewOpenFailsWithinItsWait) {
  StartMadre("15");
  if (HasFatalFailure()) return;
  itest::HttpAnswer opened = madre_->Post("/madre/power/windows/open",
                                          R"({"services":["far"],"ttl_sec":300,"wait":true})");
  ASSERT_EQ(opened.status, 200) << opened.body;
  const std::string id = opened.Json()["window_id"];
  ASSERT_EQ(RunningOn("far"), std::vector<std::string>{worker_id_});

  const auto killed = SteadyClock::now();
  worker_->KillAll();
  ASSERT_TRUE(WaitUntil([&] { return NodeState(worker_id_) == "down"; }, 60s, 250ms))
      << "the manager never marked the worker down";
  std::cerr
      << "worker down on the manager after "
      << std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - killed).count()
      << " ms\n";

  // Swarm: far's task on the worker is shut down, its replacement cannot be placed.
  std::string pending_error;
  ASSERT_TRUE(WaitUntil(
      [&] {
        Result<SwarmService> far = client_->Inspect(stack_ + "_far");
        if (!far.ok()) return false;
        Result<std::vector<SwarmTask>> tasks = client_->Tasks({far->id});
        if (!tasks.ok()) return false;
        for (const SwarmTask& task : *tasks) {
          if (task.desired_state == "running" && task.state == "pending") pending_error = task.err;
        }
        return !pending_error.empty();
      },
      30s, 250ms));
  EXPECT_THAT(pending_error, HasSubstr("no suitable node"));

  // madre: far restarting (0 of 1 running), the window still open.
  json far;
  EXPECT_TRUE(WaitUntil(
      [&] {
        far = StatusOf("far");
        return far.is_object() && far["state"] == "restarting" && far.contains("unplaceable");
      },
      30s, 500ms))
      << far.dump();
  EXPECT_EQ(far["health"], "starting") << far.dump();
  EXPECT_EQ(far["desired"], 1) << far.dump();
  EXPECT_EQ(far["running"], 0) << far.dump();
  EXPECT_EQ(far["nodes"], json::array()) << far.dump();
  EXPECT_THAT(far.value("unplaceable", ""), HasSubstr("no suitable node")) << far.dump();
  // Not ready while none of its desired tasks runs (the window's start found it ready, and no
  // container died where the manager could see it: docs/providers.md).
  EXPECT_EQ(far["ready"], false) << far.dump();
  json window = madre_->Get("/madre/power/windows/" + id).Json();
  EXPECT_EQ(window["state"], "open") << window.dump();

  // A close scales far to 0 on the manager, whatever its node.
  itest::HttpAnswer closed =
      madre_->Post("/madre/power/windows/close", json{{"window_id", id}}.dump());
  ASSERT_EQ(closed.status, 200) << closed.body;
  EXPECT_EQ(closed.Json()["services_stopped"], json({"far"})) << closed.body;
  EXPECT_EQ(Replicas("far"), 0);

  // A new open of far fails with Swarm's reason (not at VX11_HEALTH_TIMEOUT_SEC, 15 s), with
  // the node named.
  itest::HttpAnswer again =
      madre_->Post("/madre/power/windows/open", R"({"services":["far"],"ttl_sec":60,"wait":true})");
  ASSERT_EQ(again.status, 500) << again.body;
  json failed = again.Json();
  EXPECT_EQ(failed["code"], "exec_failed") << again.body;
  EXPECT_EQ(failed["state"], "failed") << again.body;
  const std::string error = failed["services_status"]["far"]["error"].get<std::string>();
  EXPECT_THAT(error, HasSubstr("Swarm cannot place a task: no suitable node"));
  EXPECT_THAT(error, ::testing::Not(HasSubstr("not ready after")));
  EXPECT_THAT(error, HasSubstr("node " + worker_id_ + " is not available"));
  EXPECT_EQ(error.find('\0'), std::string::npos) << "a log frame header in the text";
  EXPECT_TRUE(WaitUntil([&] { return Replicas("far") == 0; }, 30s, 250ms))
      << "the failed open was not rolled back";
}

}  // namespace
}  // namespace madre
