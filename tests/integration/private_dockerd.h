// A dockerd of a test's own (the fault tests' and the two-node Swarm test's), always in a
// network namespace the test made: a second dockerd started with --bridge=none in the host's
// namespace deletes the host's docker0 bridge. Its socket, data and exec roots, pid file and
// log live under one directory; no iptables, no bridge. Compiled into integration_tests and
// fault_itests.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace madre {

struct PrivateDockerdLaunch {
  std::filesystem::path dir;  // socket, data/exec roots, pid file, dockerd.log
  // What runs `dockerd ARGS...` exec'ing it in place (so the spawned pid is dockerd's), e.g.
  // {"nsenter", "--net=/run/netns/N", "dockerd"}: nsenter enters only the network namespace
  // (`ip netns exec` would also remount /sys, hiding the cgroup mounts dockerd needs).
  std::vector<std::string> runner;
  std::vector<std::string> extra_args;  // e.g. {"--cgroup-parent", "/N"}
  std::string address_pool;             // --default-address-pool, e.g. "base=10.214.0.0/16,size=24"
};

// "unix://<dir>/docker.sock".
std::string PrivateDockerdHost(const std::filesystem::path& dir);

// The last 4000 bytes of <dir>/dockerd.log.
std::string PrivateDockerdLog(const std::filesystem::path& dir);

// Spawns dockerd (in a process group of its own, stdin /dev/null, output appended to the log)
// and waits, at most `limit`, until `docker -H HOST info` answers: true, *pid dockerd's. Else
// false with *why (with the log's tail): *pid -1 when it could not start or exited, dockerd's
// when it never answered (it still runs: the caller stops it).
bool StartPrivateDockerd(const PrivateDockerdLaunch& launch, std::chrono::seconds limit, pid_t* pid,
                         std::string* why);

}  // namespace madre
