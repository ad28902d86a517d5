#include "adapters/swarm/swarm_runner.h"

#include <algorithm>
#include <chrono>
#include <set>
#include <utility>

#include "adapters/docker/docker_parse.h"

namespace madre {
namespace {

constexpr std::size_t kMaxOpOutput = 4096;

std::string Cut(std::string text) {
  if (text.size() > kMaxOpOutput) text.resize(kMaxOpOutput);
  return text;
}

// The newest task by its status time (then creation time).
bool Newer(const SwarmTask& a, const SwarmTask& b) {
  const TimePoint ta = a.status_at.value_or(a.created_at.value_or(TimePoint{}));
  const TimePoint tb = b.status_at.value_or(b.created_at.value_or(TimePoint{}));
  return ta > tb;
}

// The failed tasks of `service` since its last update, newest first.
std::vector<const SwarmTask*> FailuresSinceUpdate(const SwarmService& service,
                                                  const std::vector<SwarmTask>& tasks) {
  std::vector<const SwarmTask*> out;
  for (const SwarmTask& task : tasks) {
    if (task.service_id != service.id || !task.Failed()) continue;
    if (service.updated_at && task.created_at && *task.created_at < *service.updated_at) continue;
    out.push_back(&task);
  }
  std::sort(out.begin(), out.end(),
            [](const SwarmTask* a, const SwarmTask* b) { return Newer(*a, *b); });
  return out;
}

}  // namespace

ContainerState SwarmServiceState(const std::string& stack, const SwarmService& service,
                                 const std::vector<SwarmTask>& tasks,
                                 const std::map<std::string, std::string>& node_names) {
  ContainerState c;
  c.service = ComposeServiceName(stack, service.name).value_or(service.name);
  c.container = service.name;
  c.id = service.id;
  const std::int64_t desired = service.desired_tasks.value_or(service.replicas);
  // Counted from the tasks: ServiceStatus.RunningTasks also counts the tasks of an earlier
  // scale that are still running on their way to shutdown (a close, then at once an open).
  std::int64_t running = 0;      // running and meant to
  std::int64_t running_any = 0;  // running, also those being shut down
  bool listed = false;
  std::set<std::string> nodes;
  std::string unplaceable;
  for (const SwarmTask& task : tasks) {
    if (task.service_id != service.id) continue;
    listed = true;
    // Swarm's scheduler found no node for it (constraints, resources, every node down).
    if (task.state == "pending" && task.desired_state == "running" && !task.err.empty()) {
      unplaceable = task.err;
    }
    if (task.state != "running") continue;
    ++running_any;
    if (task.desired_state != "running") continue;
    ++running;
    if (task.node_id.empty()) continue;
    auto name = node_names.find(task.node_id);
    nodes.insert(name != node_names.end() && !name->second.empty() ? name->second : task.node_id);
  }
  if (!listed) running = running_any = service.running_tasks.value_or(0);
  if (desired <= 0) {
    c.state = running_any > 0 ? "removing" : "exited";
  } else {
    c.state = running >= desired ? "running" : "restarting";
  }
  if (service.has_healthcheck && desired > 0) {
    c.health = running >= desired ? "healthy" : "starting";
  }
  c.replicas = ServiceReplicas{.desired = std::max<std::int64_t>(desired, 0),
                               .running = running,
                               .nodes = std::vector<std::string>(nodes.begin(), nodes.end()),
                               .unplaceable = running < desired ? unplaceable : ""};
  const std::vector<const SwarmTask*> failures = FailuresSinceUpdate(service, tasks);
  c.restart_count = static_cast<int>(failures.size());
  if (!failures.empty()) c.exit_code = failures.front()->exit_code;
  return c;
}

SwarmRunner::SwarmRunner(SwarmClient& client, ComposeRunner& model, const Clock& clock)
    : client_(client), model_(model), clock_(clock) {}

ComposeOutcome SwarmRunner::Each(Op op, const std::vector<std::string>& services) {
  ComposeOutcome outcome;
  std::vector<std::string> failures;
  for (const std::string& service : services) {
    const std::string name = client_.SwarmName(service);
    const TimePoint began = clock_.Now();
    Result<SwarmUpdate> update = Status::Internal("not run");
    switch (op) {
      case Op::kUp:
        update = client_.Restore(name);
        break;
      case Op::kStop:
        update = client_.ScaleTo(name, 0);
        break;
      case Op::kRestart:
        update = client_.ForceUpdate(name);
        break;
    }
    DockerOp record;
    const std::int64_t replicas = update.ok() ? update->replicas_after : (op == Op::kStop ? 0 : -1);
    record.command = "POST /services/" + name + "/update";
    if (op == Op::kRestart) {
      record.command += " force_update";
    } else if (replicas >= 0) {
      record.command += " replicas=" + std::to_string(replicas);
    }
    record.elapsed_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(clock_.Now() - began).count();
    if (update.ok()) {
      record.exit_code = 0;
      std::string text = "replicas " + std::to_string(update->replicas_before) + " -> " +
                         std::to_string(update->replicas_after);
      if (!update->sent) text += " (already so, nothing sent)";
      if (update->attempts > 1) {
        text += " (" + std::to_string(update->attempts) + " attempts: version conflicts)";
      }
      if (update->label_written) {
        text +=
            "; label " + std::string(kReplicasLabel) + "=" + std::to_string(*update->label_written);
      }
      record.output = Cut(std::move(text));
    } else {
      record.exit_code = -1;
      record.output = Cut(update.status().message());
      failures.push_back(service + ": " + update.status().message());
    }
    outcome.ops.push_back(std::move(record));
  }
  if (!failures.empty()) {
    std::string message;
    for (const std::string& failure : failures) {
      if (!message.empty()) message += "; ";
      message += failure;
    }
    outcome.status = Status::Unavailable(std::move(message));
  }
  return outcome;
}

ComposeOutcome SwarmRunner::Up(const std::vector<std::string>& services) {
  return Each(Op::kUp, services);
}

ComposeOutcome SwarmRunner::Stop(const std::vector<std::string>& services) {
  return Each(Op::kStop, services);
}

ComposeOutcome SwarmRunner::Restart(const std::vector<std::string>& services) {
  return Each(Op::kRestart, services);
}

Result<std::vector<ContainerState>> SwarmRunner::ListProject() {
  ASSIGN_OR_RETURN(std::vector<SwarmService> services, client_.ListStackServices());
  std::vector<std::string> ids;
  ids.reserve(services.size());
  for (const SwarmService& service : services) ids.push_back(service.id);
  ASSIGN_OR_RETURN(std::vector<SwarmTask> tasks, client_.Tasks(ids));
  const std::map<std::string, std::string> node_names = NodeNames(tasks);
  std::vector<ContainerState> out;
  out.reserve(services.size());
  for (const SwarmService& service : services) {
    out.push_back(SwarmServiceState(client_.stack(), service, tasks, node_names));
  }
  std::sort(out.begin(), out.end(),
            [](const ContainerState& a, const ContainerState& b) { return a.service < b.service; });
  return out;
}

std::map<std::string, std::string> SwarmRunner::NodeNames(const std::vector<SwarmTask>& tasks) {
  std::lock_guard lock(nodes_mu_);
  const bool unknown = std::any_of(tasks.begin(), tasks.end(), [this](const SwarmTask& task) {
    return task.state == "running" && !task.node_id.empty() && node_names_.count(task.node_id) == 0;
  });
  const TimePoint now = clock_.Now();
  if (unknown && (!nodes_failed_at_ || now - *nodes_failed_at_ >= kNodesRetry)) {
    // One request (under the lock: listings at once ask once); without an answer the node ids
    // stand in for the names, and the next request waits kNodesRetry.
    if (Result<std::vector<SwarmNode>> nodes = client_.Nodes(); nodes.ok()) {
      for (const SwarmNode& node : *nodes) node_names_[node.id] = node.hostname;
      nodes_failed_at_.reset();
    } else {
      nodes_failed_at_ = now;
    }
  }
  return node_names_;
}

Result<std::string> SwarmRunner::Logs(const std::string& container_id, int tail) {
  return client_.Logs(container_id, tail);
}

Result<FailureEvidence> SwarmRunner::Evidence(const std::string& container_id, int tail) {
  ASSIGN_OR_RETURN(SwarmService service, client_.Inspect(container_id));
  ASSIGN_OR_RETURN(std::vector<SwarmTask> tasks, client_.Tasks({service.id}));
  FailureEvidence evidence;
  evidence.service = ComposeServiceName(client_.stack(), service.name).value_or(service.name);
  evidence.image = service.image;
  const SwarmTask* failed = nullptr;
  for (const SwarmTask& task : tasks) {
    if (task.service_id == service.id && task.Failed() && (!failed || Newer(task, *failed))) {
      failed = &task;
    }
  }
  if (failed != nullptr) {
    evidence.state = "exited";
    evidence.exit_code = failed->exit_code;
    evidence.error = failed->err.empty() ? failed->message : failed->err;
  } else {
    // No failed task: what the service looks like now (the counts need the list's status).
    evidence.state = service.replicas > 0 ? "running" : "exited";
  }
  ASSIGN_OR_RETURN(const std::string logs, client_.Logs(service.id, tail));
  evidence.log_lines = LogLines(logs);
  return evidence;
}

}  // namespace madre
