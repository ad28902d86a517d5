// What the compose project is made of (from `config`) and what Docker reports
// about its containers (from `ps` or the Engine API). Plain values.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace madre {

// A service's `build:` as `compose config` prints it: both paths absolute.
struct BuildDef {
  std::string context;     // the build context directory
  std::string dockerfile;  // the Dockerfile (context/Dockerfile when compose names none)
  friend bool operator==(const BuildDef&, const BuildDef&) = default;
};

struct ServiceDef {
  std::string name;
  std::vector<std::string> depends_on;  // direct dependencies, sorted, unique
  std::map<std::string, std::string> labels;
  bool has_healthcheck = false;
  std::vector<std::string> profiles;  // a service with profiles is not started implicitly
  std::optional<std::string> container_name;
  int stop_grace_sec = 10;        // stop_grace_period, rounded up to seconds
  std::optional<BuildDef> build;  // the service's `build:`; nullopt when it has none
  // The image the service runs: its `image:`, or for a service with `build:` and no `image:`
  // the name compose gives what it builds (filled by the compose adapter, which knows the
  // project and compose's version). "" when neither is known.
  std::string image;

  friend bool operator==(const ServiceDef&, const ServiceDef&) = default;
};

// The project's services by name (sorted by the map).
struct ServiceModel {
  std::map<std::string, ServiceDef> services;

  bool Has(const std::string& name) const { return services.count(name) > 0; }
  friend bool operator==(const ServiceModel&, const ServiceModel&) = default;
};

// Compose service names: [a-zA-Z0-9][a-zA-Z0-9_.-]*, at most 63 characters. Every name that
// reaches a command line or a route passes this.
bool IsValidServiceName(std::string_view name);

// A swarm service's replicas (VX11_PROVIDER=swarm, docs/providers.md).
struct ServiceReplicas {
  std::int64_t desired = 0;  // ServiceStatus.DesiredTasks
  std::int64_t running = 0;  // tasks running and meant to
  // The nodes (hostnames; the node id when unknown) the running tasks run on, sorted, unique.
  std::vector<std::string> nodes;
  // Why Swarm cannot place a task meant to run (its Status.Err, "no suitable node (...)"); ""
  // when every such task has a node.
  std::string unplaceable;
  friend bool operator==(const ServiceReplicas&, const ServiceReplicas&) = default;
};

// One container of the project as Docker sees it.
struct ContainerState {
  std::string service;    // com.docker.compose.service
  std::string container;  // container name, e.g. "vx11_switch_1" or "vx11-switch-1"
  std::string id;         // container id (may be short or empty)
  std::string state;      // created|running|paused|restarting|removing|exited|dead
  std::string health;     // healthy|unhealthy|starting|"" (no healthcheck)
  // State.Health of an inspect (a container list lacks them: 0 and nullopt): FailingStreak, and
  // the exit code of the last check Docker logged. Docker marks a container `unhealthy` when it
  // pauses it, without a failing check: then the streak is 0 and the last check passed.
  int health_failing_streak = 0;
  std::optional<int> health_last_exit;
  int restart_count = 0;
  // State.StartedAt of an inspect ("" from a list): names one run of the container (a pause
  // keeps it, a start or a restart changes it).
  std::string started_at;
  std::optional<int> exit_code;
  // com.docker.compose.config-hash: the hash of the service configuration the
  // container was created from. "" when unknown (e.g. from compose ps output).
  std::string config_hash;
  // The id of the image the container was created from ("sha256:..."; the list's ImageID, an
  // inspect's Image). "" when unknown (e.g. from compose ps output).
  std::string image_id;
  // A swarm service stands in for a container (VX11_PROVIDER=swarm): its replicas. nullopt
  // for a container.
  std::optional<ServiceReplicas> replicas;

  bool Running() const { return state == "running" || state == "restarting"; }
  friend bool operator==(const ContainerState&, const ContainerState&) = default;
};

// One sample of a container's resource use (Engine API stats).
struct ContainerStats {
  double cpu_percent = 0;          // of one CPU: 100 = one core busy
  std::uint64_t memory_bytes = 0;  // usage minus page cache
  std::uint64_t memory_limit_bytes = 0;
  friend bool operator==(const ContainerStats&, const ContainerStats&) = default;
};

// The closure of `roots` over depends_on, in start order (dependencies first;
// ties broken by name). Names not in the model are kept as they are.
std::vector<std::string> DependencyClosure(const ServiceModel& model,
                                           const std::vector<std::string>& roots);

// `services` ordered so that every service comes after its dependencies
// (dependencies outside `services` are ignored). Stable by name.
std::vector<std::string> StartOrder(const ServiceModel& model,
                                    const std::set<std::string>& services);

}  // namespace madre
