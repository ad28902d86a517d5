// The Swarm provider (docs/providers.md): the engine's ComposeRunner and ContainerObserver for a
// stack deployed with `docker stack deploy`, over the Engine API. A service of the compose model
// is the swarm service "<stack>_<service>"; starting it scales it to its restore count,
// stopping it scales it to 0. The planner and the engine do not know the difference; the
// ContainerControl fast path stays off (null) with this provider.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "adapters/swarm/swarm_client.h"
#include "base/clock.h"
#include "ports/compose_runner.h"
#include "ports/container_observer.h"

namespace madre {

// One ContainerState for a swarm service (what ListProject reports; docs/providers.md):
//   service   the compose name (the stack prefix removed); container: the swarm name; id: the
//             service id.
//   state     desired 0: "exited" ("removing" while tasks still run); desired > 0: "running"
//             once running tasks == desired, else "restarting" (being scheduled, starting, or
//             failing): Running() for the action runner's start check, never ready for
//             core/readiness.h until every desired task runs. The running tasks are counted
//             from `tasks` (state and desired state both running), not from
//             ServiceStatus.RunningTasks, which also counts tasks an earlier scale-down is
//             still shutting down; a service with no task in `tasks` falls back to it.
//   health    with a healthcheck: "healthy" when running == desired > 0 (Swarm counts a task
//             running only once its check passes), "starting" while desired > running;
//             "" otherwise.
//   restart_count  the failed or rejected tasks created since the service's last update (a
//             scale is one), so a crash loop shows as restarts during start-up. Swarm keeps
//             at most TaskHistoryRetentionLimit (5) old tasks per slot.
//   exit_code the exit code of the newest of those failed tasks.
//   replicas  desired, running (as above) and the nodes of the running tasks: their hostnames
//             from `node_names` (node id -> hostname), the node id when it has none there.
ContainerState SwarmServiceState(const std::string& stack, const SwarmService& service,
                                 const std::vector<SwarmTask>& tasks,
                                 const std::map<std::string, std::string>& node_names = {});

class SwarmRunner final : public ComposeRunner, public ContainerObserver {
 public:
  // How long after a failed GET /nodes the next is asked (ListProject's node names).
  static constexpr Duration kNodesRetry = Seconds(30);

  // `client` and `model` (the compose CLI runner, which reads the model from the stack's
  // compose file) and `clock` are borrowed and outlive the runner.
  SwarmRunner(SwarmClient& client, ComposeRunner& model, const Clock& clock);

  // ComposeRunner.
  Result<ServiceModel> Config() override { return model_.Config(); }
  // Each service scaled to its restore count, in the order given.
  ComposeOutcome Up(const std::vector<std::string>& services) override;
  // Each service scaled to 0 (its count kept in the label vx11.madre.replicas the first time).
  ComposeOutcome Stop(const std::vector<std::string>& services) override;
  // A forced update of each service: Swarm replaces its tasks.
  ComposeOutcome Restart(const std::vector<std::string>& services) override;
  ComposeOutcome Recreate(const std::vector<std::string>& services) override {
    return Restart(services);
  }
  Result<std::vector<ContainerState>> Ps() override { return ListProject(); }
  // None: a service's configuration is `docker stack deploy`'s business.
  Result<std::map<std::string, std::string>> ConfigHashes() override {
    return std::map<std::string, std::string>{};
  }

  // ContainerObserver. One ContainerState per stack service (SwarmServiceState), sorted by
  // service: GET /services?status=true and one GET /tasks, and GET /nodes when a running task
  // is on a node whose hostname is not known yet (a failure there leaves node ids).
  Result<std::vector<ContainerState>> ListProject() override;
  // `container_id`: the service id (or swarm name) ListProject gave.
  Result<std::string> Logs(const std::string& container_id, int tail) override;
  // The newest failed task's state, exit code and Status.Err, and the service's last log lines.
  Result<FailureEvidence> Evidence(const std::string& container_id, int tail) override;

 private:
  enum class Op { kUp, kStop, kRestart };
  ComposeOutcome Each(Op op, const std::vector<std::string>& services);

  // Node id -> hostname of the nodes seen so far, for ListProject. GET /nodes is asked for a
  // node not seen before, at most every kNodesRetry while it fails (a worker node, where it
  // always does).
  std::map<std::string, std::string> NodeNames(const std::vector<SwarmTask>& tasks);

  SwarmClient& client_;
  ComposeRunner& model_;
  const Clock& clock_;
  std::mutex nodes_mu_;
  std::map<std::string, std::string> node_names_;  // guarded by nodes_mu_
  std::optional<TimePoint> nodes_failed_at_;       // guarded by nodes_mu_
};

}  // namespace madre
