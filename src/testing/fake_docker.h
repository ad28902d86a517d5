// A simulated compose project: implements ComposeRunner and ContainerObserver
// over an in-memory set of containers. `up` makes a service's container run,
// `stop` makes it exit. Failure switches (leveldb SpecialEnv style) make the
// next call of a verb fail, or a service refuse to stay up.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "ports/compose_runner.h"
#include "ports/container_control.h"
#include "ports/container_observer.h"

namespace madre {

class FakeDocker final : public ComposeRunner, public ContainerObserver, public ContainerControl {
 public:
  explicit FakeDocker(ServiceModel model) : model_(std::move(model)) {}

  // ComposeRunner
  Result<ServiceModel> Config() override;
  ComposeOutcome Up(const std::vector<std::string>& services) override;
  ComposeOutcome Stop(const std::vector<std::string>& services) override;
  ComposeOutcome Restart(const std::vector<std::string>& services) override;
  ComposeOutcome Recreate(const std::vector<std::string>& services) override;
  Result<std::vector<ContainerState>> Ps() override { return ListProject(); }
  // The hashes set by SetConfigHash; recorded as "config-hash"; fails with FailNext("config-hash").
  Result<std::map<std::string, std::string>> ConfigHashes() override;
  // ContainerObserver
  Result<std::vector<ContainerState>> ListProject() override;
  // What SetEvidence gave for the container's service, with the container's state and health
  // (and its exit code unless SetEvidence gave one); kNotFound for an unknown container.
  Result<FailureEvidence> Evidence(const std::string& container_id, int tail) override;
  // The CPU SetCpu gave the container's service (memory 0); unavailable, as the base, for a
  // service without one or a container that is not running.
  Result<ContainerStats> Stats(const std::string& container_id) override;
  // ContainerControl: containers are "id-<service>"; calls are recorded as "api-start db".
  Status StartContainer(const std::string& id) override;
  Status StopContainer(const std::string& id, int timeout_sec) override;
  Status PauseContainer(const std::string& id) override;
  Status UnpauseContainer(const std::string& id) override;
  // Recorded as "api-cpu db 500000000" (the update; fails with FailNext("api-cpu")). A lift (0)
  // leaves 0. A container made again (Recreate) has no limit.
  Result<std::int64_t> CpuLimit(const std::string& id) override;
  Status UpdateCpuLimit(const std::string& id, std::int64_t nano_cpus) override;

  // Test controls.
  void SetRunning(const std::string& service, bool running);  // "by hand"
  // The service's container is `restarting` (a `restart: always` service between two deaths):
  // it counts as running; a stop stops it; a pause fails, as Docker refuses it (409).
  void SetRestarting(const std::string& service);
  void FailNext(const std::string& verb, Status status);  // "up", "stop", "restart", "list"
  // up succeeds, container exits 1; `times` > 0: only the next `times` starts crash.
  void CrashOnStart(const std::string& service, int times = -1);
  void SetDown(bool down);  // every call fails: docker is down
  // Health of a service's container, with the State.Health details Docker shows with it
  // (healthy: last check passed; unhealthy: a failing streak of 3); new containers of a service
  // with a healthcheck start as "starting". A pause marks a container unhealthy, keeping the
  // streak and the last check's exit code, as dockerd 20.10 does.
  void SetHealth(const std::string& service, const std::string& health);
  // The service's current configuration hash, as `config --hash` prints it (none by
  // default). A container that `up` or SetRunning creates carries the hash of that
  // moment in config_hash, as compose's label; an existing container keeps its own.
  // An empty `hash` removes the service from ConfigHashes().
  void SetConfigHash(const std::string& service, const std::string& hash);
  // The id of the service's image now: a container that `up` or SetRunning creates carries it
  // in image_id (as Docker's ImageID); an existing container keeps its own.
  void SetImageId(const std::string& service, const std::string& id);
  // The listing shows `service` as a swarm service with these replicas (ContainerState::replicas).
  void SetReplicas(const std::string& service, ServiceReplicas replicas);
  // What Evidence() tells of the service's container besides its state (exit code, OOM flag,
  // State.Error, log lines, ...).
  void SetEvidence(const std::string& service, FailureEvidence evidence);
  // The CPU % (100 = one core) Stats reports for the service's running container.
  void SetCpu(const std::string& service, double cpu_percent);
  // The service's container is removed and made again, stopped, with a new id (as `docker rm`
  // and `compose up --no-start` by hand); no event is sent.
  void Recreate(const std::string& service);
  // The CPU limit of the service's container as Docker would show it (by hand: `cpus:` in the
  // compose file); cpu_limit reads it (0: none, or no container).
  void SetCpuLimit(const std::string& service, std::int64_t nano_cpus);
  std::int64_t cpu_limit(const std::string& service) const;
  // From now on, ListProject is recorded in calls() as "list".
  void RecordLists() {
    std::lock_guard<std::mutex> lock(mu_);
    record_lists_ = true;
  }
  std::vector<std::string> calls() const;  // "up db web", "stop web", ...
  std::set<std::string> running() const;

 private:
  Status TakeFailure(const std::string& verb);

  ServiceModel model_;
  mutable std::mutex mu_;
  std::map<std::string, ContainerState> containers_;
  std::map<std::string, std::string> health_;         // set by SetHealth
  std::map<std::string, std::string> config_hashes_;  // set by SetConfigHash
  std::map<std::string, std::string> image_ids_;      // set by SetImageId
  std::map<std::string, ServiceReplicas> replicas_;   // set by SetReplicas
  std::map<std::string, std::int64_t> nano_cpus_;     // container id -> NanoCpus
  std::map<std::string, FailureEvidence> evidence_;   // set by SetEvidence
  std::map<std::string, double> cpu_;                 // set by SetCpu
  std::map<std::string, Status> fail_next_;
  std::map<std::string, int> crash_on_start_;  // service -> starts left to crash (-1: all)
  bool TakeCrash(const std::string& service);
  bool down_ = false;
  bool record_lists_ = false;
  int recreated_ = 0;
  int runs_ = 0;  // ContainerState::started_at of each new run
  std::vector<std::string> calls_;
};

}  // namespace madre
