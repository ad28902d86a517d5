#include "private_dockerd.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "docker_env.h"

extern char** environ;

namespace madre {

std::string PrivateDockerdHost(const std::filesystem::path& dir) {
  return "unix://" + (dir / "docker.sock").string();
}

std::string PrivateDockerdLog(const std::filesystem::path& dir) {
  std::ifstream in(dir / "dockerd.log");
  std::stringstream text;
  text << in.rdbuf();
  const std::string all = text.str();
  return all.size() > 4000 ? all.substr(all.size() - 4000) : all;
}

bool StartPrivateDockerd(const PrivateDockerdLaunch& launch, std::chrono::seconds limit, pid_t* pid,
                         std::string* why) {
  *pid = -1;
  std::vector<std::string> args = launch.runner;
  for (const std::string& arg :
       {std::string("--host"), PrivateDockerdHost(launch.dir), std::string("--data-root"),
        (launch.dir / "data").string(), std::string("--exec-root"), (launch.dir / "exec").string(),
        std::string("--pidfile"), (launch.dir / "docker.pid").string()}) {
    args.push_back(arg);
  }
  args.insert(args.end(), launch.extra_args.begin(), launch.extra_args.end());
  for (const char* arg : {"--iptables=false", "--ip-masq=false", "--bridge=none"}) {
    args.emplace_back(arg);
  }
  args.emplace_back("--default-address-pool");
  args.push_back(launch.address_pool);
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  const std::string log = (launch.dir / "dockerd.log").string();
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(),
                                   O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
  pid_t spawned = -1;
  const int rc = posix_spawnp(&spawned, argv[0], &actions, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    *why = "cannot run " + launch.runner.front() + " ... dockerd: " + std::strerror(rc);
    return false;
  }
  const auto give_up = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < give_up) {
    int status = 0;
    if (waitpid(spawned, &status, WNOHANG) == spawned) {
      *why = "dockerd exited at start; log:\n" + PrivateDockerdLog(launch.dir);
      return false;
    }
    if (RunCommandForTest({"docker", "-H", PrivateDockerdHost(launch.dir), "info"}, {},
                          std::chrono::seconds(10))
            .ok()) {
      *pid = spawned;
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  *pid = spawned;  // still running: the caller stops it as any other
  *why = "dockerd did not answer within " + std::to_string(limit.count()) + " s; log:\n" +
         PrivateDockerdLog(launch.dir);
  return false;
}

}  // namespace madre
