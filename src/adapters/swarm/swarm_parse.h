// Pure decoding of the Engine API's Swarm answers (GET /services, GET /services/{id},
// GET /tasks) and the request bodies madre sends (a scale or a forced update of a service's
// spec). No I/O. Malformed or unexpected JSON gives kInternal with what was wrong, never an
// exception; samples of real answers are in swarm_samples.h.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "base/time.h"

namespace madre {

// The label of a stack's services (`docker stack deploy`).
inline constexpr std::string_view kStackNamespaceLabel = "com.docker.stack.namespace";
// The label where madre keeps the replica count to restore, written when it first scales a
// service down (docs/providers.md).
inline constexpr std::string_view kReplicasLabel = "vx11.madre.replicas";

enum class SwarmMode { kReplicated, kGlobal, kOther };

struct SwarmService {
  std::string id;
  std::string name;           // Spec.Name, e.g. "vx11_switch"
  std::uint64_t version = 0;  // Version.Index: the `version` of an update
  SwarmMode mode = SwarmMode::kReplicated;
  std::int64_t replicas = 0;                  // Spec.Mode.Replicated.Replicas (0 for global)
  std::map<std::string, std::string> labels;  // Spec.Labels
  bool has_healthcheck = false;         // TaskTemplate.ContainerSpec.Healthcheck.Test, not NONE
  std::int64_t force_update = 0;        // TaskTemplate.ForceUpdate
  std::string image;                    // TaskTemplate.ContainerSpec.Image
  std::optional<TimePoint> updated_at;  // UpdatedAt
  // ServiceStatus (GET /services?status=true, API >= 1.41); nullopt in an inspect answer.
  std::optional<std::int64_t> running_tasks;
  std::optional<std::int64_t> desired_tasks;
};

struct SwarmTask {
  std::string id;
  std::string service_id;
  std::int64_t slot = 0;
  std::string node_id;
  std::string state;             // Status.State: new, pending, ..., starting, running, failed, ...
  std::string desired_state;     // DesiredState: running, shutdown, ...
  std::string message;           // Status.Message
  std::string err;               // Status.Err ("" without one)
  std::optional<int> exit_code;  // Status.ContainerStatus.ExitCode, when the task has a container
  std::string container_id;      // Status.ContainerStatus.ContainerID
  std::optional<TimePoint> created_at;
  std::optional<TimePoint> status_at;  // Status.Timestamp
  bool Failed() const { return state == "failed" || state == "rejected"; }
};

struct SwarmNode {
  std::string id;
  std::string hostname;      // Description.Hostname
  std::string state;         // Status.State: ready, down, unknown, disconnected
  std::string availability;  // Spec.Availability: active, pause, drain
};

// One service object (of a list or an inspect). kInternal when it is not one.
Result<SwarmService> ParseSwarmService(std::string_view json);

// A GET /services answer, keeping only the services of `stack`: label
// com.docker.stack.namespace=<stack> and a name that is exactly "<stack>_<service>" (the
// name filter of the API matches substrings). Sorted by name. Without `status=true`
// (running_tasks unset) it is kInternal: madre needs API >= 1.41.
Result<std::vector<SwarmService>> ParseStackServices(std::string_view json, std::string_view stack);

// A GET /nodes answer (a manager's), in the order given.
Result<std::vector<SwarmNode>> ParseNodes(std::string_view json);

// A GET /tasks answer, in the order given.
Result<std::vector<SwarmTask>> ParseTasks(std::string_view json);

// "<stack>_<service>" -> "<service>"; nullopt when `name` is not of the stack.
std::optional<std::string> ComposeServiceName(std::string_view stack, std::string_view name);

// The body of a POST /services/{id}/update: the `Spec` of the inspect answer `inspect_json`
// with Mode.Replicated.Replicas set to `replicas` and, when `replicas_label` is given, the
// label kReplicasLabel set to it. kFailedPrecondition for a service that is not in replicated
// mode; kInternal when the answer has no Spec.
Result<std::string> ScaleSpecBody(std::string_view inspect_json, std::int64_t replicas,
                                  std::optional<std::int64_t> replicas_label);

// The body of a forced update (a restart of every task): the Spec with
// TaskTemplate.ForceUpdate incremented.
Result<std::string> ForceUpdateSpecBody(std::string_view inspect_json);

// The `filters` value of GET /tasks selecting the tasks of these services (not yet
// percent-encoded): {"service":["id1","id2"]}.
std::string TaskServiceFilter(const std::vector<std::string>& service_ids);
// {"label":["com.docker.stack.namespace=<stack>"]}.
std::string StackLabelFilter(std::string_view stack);

// The replica count a restore gives: the label kReplicasLabel when it holds a number >= 1,
// else `current` when >= 1, else 1.
std::int64_t RestoreReplicas(const SwarmService& service);

// True for the answer of an update whose version was stale ("update out of sequence", HTTP
// 500 on dockerd 20.10, 409 elsewhere).
bool IsOutOfSequence(long http_status, std::string_view body);

}  // namespace madre
