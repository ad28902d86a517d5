#include "docker_env.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <thread>

extern char** environ;

namespace madre {
namespace {

std::vector<std::string> MergedEnvironment(const EnvVars& extra_env) {
  std::map<std::string, std::string> vars;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string_view entry(*e);
    std::size_t eq = entry.find('=');
    if (eq == std::string_view::npos) continue;
    vars[std::string(entry.substr(0, eq))] = std::string(entry.substr(eq + 1));
  }
  for (const auto& [key, value] : extra_env) vars[key] = value;
  std::vector<std::string> out;
  out.reserve(vars.size());
  for (const auto& [key, value] : vars) out.push_back(key + "=" + value);
  return out;
}

std::vector<char*> CStrings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (std::string& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

}  // namespace

CommandOutput RunCommandForTest(const std::vector<std::string>& argv, const EnvVars& extra_env,
                                std::chrono::seconds timeout) {
  CommandOutput result;
  if (argv.empty()) return result;
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) return result;

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDERR_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t empty_mask, default_signals;
  sigemptyset(&empty_mask);
  sigemptyset(&default_signals);
  sigaddset(&default_signals, SIGPIPE);
  sigaddset(&default_signals, SIGTERM);
  sigaddset(&default_signals, SIGINT);
  posix_spawnattr_setsigmask(&attr, &empty_mask);
  posix_spawnattr_setsigdefault(&attr, &default_signals);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);

  std::vector<std::string> args = argv;
  std::vector<std::string> env = MergedEnvironment(extra_env);
  std::vector<char*> c_args = CStrings(args);
  std::vector<char*> c_env = CStrings(env);
  pid_t pid = -1;
  int rc = posix_spawnp(&pid, c_args[0], &actions, &attr, c_args.data(), c_env.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  close(pipe_fds[1]);
  if (rc != 0) {
    close(pipe_fds[0]);
    result.output = "cannot start " + argv[0] + ": " + std::strerror(rc);
    return result;
  }

  auto deadline = std::chrono::steady_clock::now() + timeout;
  char buf[4096];
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      result.timed_out = true;
      kill(-pid, SIGKILL);
      break;
    }
    pollfd pfd{pipe_fds[0], POLLIN, 0};
    int ready = poll(&pfd, 1, static_cast<int>(std::min<long>(left.count(), 1000)));
    if (ready < 0 && errno != EINTR) break;
    if (ready <= 0) continue;
    ssize_t n = read(pipe_fds[0], buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // EOF: the child (and whatever it started) closed the pipe
    result.output.append(buf, static_cast<std::size_t>(n));
  }
  close(pipe_fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.exit_code = 128 + WTERMSIG(status);
  return result;
}

std::filesystem::path SourceDir() { return MADRE_SOURCE_DIR; }

std::filesystem::path FixtureComposeFile(std::string_view name) {
  return SourceDir() / "tests" / "integration" / "fixtures" / std::string(name) /
         "docker-compose.yml";
}

EnvVars FixtureEnv(const std::string& project, std::string_view name, const EnvVars& extra) {
  EnvVars env = {{"VX11_COMPOSE_PROJECT", project},
                 {"VX11_COMPOSE_DIR", FixtureComposeFile(name).parent_path().string()},
                 {"VX11_ALWAYS_ON", "madre"},
                 {"VX11_RESYNC_SEC", "2"}};
  for (const char* port :
       {"DB_PORT", "WEB_PORT", "COMMON_PORT", "A_PORT", "B_PORT", "OK_PORT", "HTTP_PORT",
        "TCP_PORT", "TCP_PUBLISHED_PORT", "WRONG_PROBE_PORT", "NOBODY_PORT"}) {
    env[port] = std::to_string(FreeLoopbackPort());
  }
  for (const auto& [key, value] : extra) env[key] = value;
  return env;
}

const std::vector<std::string>& ComposeCommand() {
  static const std::vector<std::string> command = [] {
    if (RunCommandForTest({"docker-compose", "version"}, {}, std::chrono::seconds(30)).ok()) {
      return std::vector<std::string>{"docker-compose"};
    }
    return std::vector<std::string>{"docker", "compose"};
  }();
  return command;
}

bool IntegrationSkipsForbidden() {
  const char* require = std::getenv("MADRE_REQUIRE_DOCKER");
  return require != nullptr && std::string_view(require) == "1";
}

bool DockerAvailable() {
  static const bool available = [] {
    const char* skip = std::getenv("MADRE_SKIP_DOCKER_TESTS");
    if (skip != nullptr && std::string_view(skip) == "1") return false;
    if (!RunCommandForTest({"docker", "version", "--format", "{{.Server.APIVersion}}"}, {},
                           std::chrono::seconds(30))
             .ok()) {
      return false;
    }
    std::vector<std::string> argv = ComposeCommand();
    argv.push_back("version");
    return RunCommandForTest(argv, {}, std::chrono::seconds(30)).ok();
  }();
  return available;
}

void EnsureImages() {
  static std::once_flag once;
  static CommandOutput build;
  std::call_once(once, [] {
    build = RunCommandForTest({"bash", (SourceDir() / "scripts" / "build-images.sh").string()}, {},
                              std::chrono::seconds(300));
  });
  if (!build.ok()) ADD_FAILURE() << "scripts/build-images.sh failed:\n" << build.output;
}

std::string UniqueProjectName(std::string_view prefix) {
  static std::atomic<int> counter = 0;
  static const unsigned salt = std::random_device{}();
  std::string name;
  for (char c : prefix) {
    auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '_' || c == '-') name.push_back(static_cast<char>(std::tolower(u)));
  }
  if (name.empty() || !std::isalnum(static_cast<unsigned char>(name.front()))) {
    name.insert(0, "t");
  }
  std::ostringstream out;
  out << name << "_" << getpid() << "_" << counter.fetch_add(1) << "_" << std::hex
      << ((salt ^ static_cast<unsigned>(std::random_device{}())) & 0xffffu);
  return out.str();
}

int FreeLoopbackPort() {
  static std::mutex mu;
  static std::set<int> handed_out;
  std::lock_guard lock(mu);
  for (int attempt = 0; attempt < 100; ++attempt) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) break;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof(addr);
    int port = -1;
    if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
        getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
      port = ntohs(addr.sin_port);
    }
    close(fd);
    if (port > 0 && handed_out.insert(port).second) return port;
  }
  ADD_FAILURE() << "no free loopback port";
  return -1;
}

std::vector<std::string> RunningServices(std::string_view project) {
  CommandOutput ps = RunCommandForTest(
      {"docker", "ps", "--filter", "label=com.docker.compose.project=" + std::string(project),
       "--format", "{{.Label \"com.docker.compose.service\"}}"},
      {}, std::chrono::seconds(60));
  std::vector<std::string> services;
  std::istringstream lines(ps.output);
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty()) services.push_back(line);
  }
  std::sort(services.begin(), services.end());
  return services;
}

bool WaitUntil(const std::function<bool()>& done, std::chrono::milliseconds timeout,
               std::chrono::milliseconds interval) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (done()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(interval);
  }
}

ComposeProject::ComposeProject(std::string name, std::filesystem::path file, EnvVars env)
    : name_(std::move(name)), file_(std::move(file)), env_(std::move(env)) {}

ComposeProject::~ComposeProject() {
  CommandOutput down = Compose({"down", "-v", "--remove-orphans", "-t", "1"});
  // Containers of services behind a profile, or of a compose file that no longer parses, are
  // not always removed by `down`: remove whatever still carries the project's label.
  std::string label = "label=com.docker.compose.project=" + name_;
  CommandOutput left = RunCommandForTest({"docker", "ps", "-aq", "--filter", label});
  std::istringstream ids(left.output);
  std::vector<std::string> rm = {"docker", "rm", "-f", "-v"};
  for (std::string id; ids >> id;) rm.push_back(id);
  if (rm.size() > 4) RunCommandForTest(rm);
  CommandOutput networks = RunCommandForTest({"docker", "network", "ls", "-q", "--filter", label});
  std::istringstream net_ids(networks.output);
  std::vector<std::string> net_rm = {"docker", "network", "rm"};
  for (std::string id; net_ids >> id;) net_rm.push_back(id);
  if (net_rm.size() > 3) RunCommandForTest(net_rm);
  if (!down.ok()) {
    std::fprintf(stderr, "warning: compose down of %s failed:\n%s\n", name_.c_str(),
                 down.output.c_str());
  }
}

CommandOutput ComposeProject::Compose(const std::vector<std::string>& args,
                                      std::chrono::seconds timeout) const {
  std::vector<std::string> argv = ComposeCommand();
  argv.insert(argv.end(), {"-p", name_, "-f", file_.string()});
  argv.insert(argv.end(), args.begin(), args.end());
  return RunCommandForTest(argv, env_, timeout);
}

bool ComposeProject::Run(const std::vector<std::string>& args) const {
  CommandOutput out = Compose(args);
  if (!out.ok()) {
    std::fprintf(stderr, "compose %s failed (exit %d%s):\n%s\n", name_.c_str(), out.exit_code,
                 out.timed_out ? ", timed out" : "", out.output.c_str());
  }
  return out.ok();
}

CommandOutput ComposeProject::Up(const std::vector<std::string>& services) const {
  std::vector<std::string> args = {"up", "-d"};
  args.insert(args.end(), services.begin(), services.end());
  return Compose(args);
}

}  // namespace madre
