#include "adapters/swarm/swarm_client.h"

#include <algorithm>
#include <utility>

#include "adapters/docker/docker_parse.h"

namespace madre {

SwarmTransport DockerApiTransport(std::shared_ptr<DockerApi> api, Duration timeout) {
  return [api = std::move(api), timeout](std::string_view method, const std::string& path,
                                         std::string_view json_body) {
    return api->Send(method, path, timeout, json_body);
  };
}

SwarmClient::SwarmClient(std::string stack, SwarmTransport transport, int max_attempts)
    : stack_(std::move(stack)),
      transport_(std::move(transport)),
      max_attempts_(std::max(max_attempts, 1)) {}

std::string SwarmClient::SwarmName(std::string_view service) const {
  return stack_ + "_" + std::string(service);
}

Result<UnixHttpResponse> SwarmClient::Expect(std::string_view method, const std::string& path,
                                             std::initializer_list<long> ok,
                                             std::string_view body) {
  ASSIGN_OR_RETURN(UnixHttpResponse response, transport_(method, path, body));
  if (std::find(ok.begin(), ok.end(), response.status) == ok.end()) {
    return StatusFromDockerAnswer(response, "docker " + std::string(method) + " " + path);
  }
  return response;
}

Result<std::vector<SwarmService>> SwarmClient::ListStackServices() {
  ASSIGN_OR_RETURN(
      UnixHttpResponse response,
      Expect("GET", "/services?status=true&filters=" + PercentEncode(StackLabelFilter(stack_)),
             {200}));
  return ParseStackServices(response.body, stack_);
}

Result<SwarmService> SwarmClient::Inspect(const std::string& service) {
  if (!IsValidContainerRef(service)) {
    return Status::InvalidArgument("not a service name or id: \"" + service + "\"");
  }
  ASSIGN_OR_RETURN(UnixHttpResponse response, Expect("GET", "/services/" + service, {200}));
  return ParseSwarmService(response.body);
}

Result<std::vector<SwarmTask>> SwarmClient::Tasks(const std::vector<std::string>& service_ids) {
  if (service_ids.empty()) return std::vector<SwarmTask>{};
  ASSIGN_OR_RETURN(
      UnixHttpResponse response,
      Expect("GET", "/tasks?filters=" + PercentEncode(TaskServiceFilter(service_ids)), {200}));
  return ParseTasks(response.body);
}

Result<std::vector<SwarmNode>> SwarmClient::Nodes() {
  ASSIGN_OR_RETURN(UnixHttpResponse response, Expect("GET", "/nodes", {200}));
  return ParseNodes(response.body);
}

Result<SwarmUpdate> SwarmClient::Update(const std::string& service, const MakeBody& make_body) {
  if (!IsValidContainerRef(service)) {
    return Status::InvalidArgument("not a service name or id: \"" + service + "\"");
  }
  SwarmUpdate update;
  std::string last_conflict;
  while (update.attempts < max_attempts_) {
    ASSIGN_OR_RETURN(UnixHttpResponse inspect, Expect("GET", "/services/" + service, {200}));
    ASSIGN_OR_RETURN(SwarmService current, ParseSwarmService(inspect.body));
    SwarmUpdate attempt = update;
    ASSIGN_OR_RETURN(std::optional<std::string> body, make_body(current, inspect.body, attempt));
    if (!body) return attempt;  // already as wanted
    ++attempt.attempts;
    attempt.sent = true;
    ASSIGN_OR_RETURN(
        UnixHttpResponse answer,
        transport_("POST",
                   "/services/" + current.id + "/update?version=" + std::to_string(current.version),
                   *body));
    if (answer.status == 200) return attempt;
    if (!IsOutOfSequence(answer.status, answer.body)) {
      return StatusFromDockerAnswer(answer, "docker POST /services/" + service + "/update");
    }
    last_conflict = EngineErrorMessage(answer.body);
    update.attempts = attempt.attempts;  // again, from a fresh inspect
  }
  return Status::Unavailable("docker: service " + service + " changed under every one of " +
                             std::to_string(max_attempts_) + " updates (" + last_conflict + ")");
}

namespace {

// Only a replicated service has a count to scale (a global one runs one task per node).
Status RequireReplicated(const SwarmService& service) {
  if (service.mode == SwarmMode::kReplicated) return Status::Ok();
  return Status::FailedPrecondition(
      "service " + service.name +
      " is not in replicated mode: madre scales only replicated services "
      "(deploy.mode: replicated)");
}

}  // namespace

Result<SwarmUpdate> SwarmClient::ScaleTo(const std::string& service, std::int64_t replicas) {
  if (replicas < 0) return Status::InvalidArgument("a replica count cannot be negative");
  return Update(service,
                [replicas](const SwarmService& current, std::string_view inspect_json,
                           SwarmUpdate& update) -> Result<std::optional<std::string>> {
                  RETURN_IF_ERROR(RequireReplicated(current));
                  update.replicas_before = current.replicas;
                  update.replicas_after = replicas;
                  if (current.replicas == replicas) return std::optional<std::string>();
                  std::optional<std::int64_t> label;
                  if (replicas == 0 && current.replicas >= 1 &&
                      !current.labels.count(std::string(kReplicasLabel))) {
                    label = current.replicas;
                  }
                  update.label_written = label;
                  ASSIGN_OR_RETURN(std::string body, ScaleSpecBody(inspect_json, replicas, label));
                  return std::optional<std::string>(std::move(body));
                });
}

Result<SwarmUpdate> SwarmClient::Restore(const std::string& service) {
  return Update(
      service,
      [](const SwarmService& current, std::string_view inspect_json,
         SwarmUpdate& update) -> Result<std::optional<std::string>> {
        RETURN_IF_ERROR(RequireReplicated(current));
        // Never down: a service scaled up by hand since keeps its count.
        const std::int64_t replicas = std::max(RestoreReplicas(current), current.replicas);
        update.replicas_before = current.replicas;
        update.replicas_after = replicas;
        if (current.replicas == replicas) return std::optional<std::string>();
        ASSIGN_OR_RETURN(std::string body, ScaleSpecBody(inspect_json, replicas, std::nullopt));
        return std::optional<std::string>(std::move(body));
      });
}

Result<SwarmUpdate> SwarmClient::ForceUpdate(const std::string& service) {
  return Update(service,
                [](const SwarmService& current, std::string_view inspect_json,
                   SwarmUpdate& update) -> Result<std::optional<std::string>> {
                  update.replicas_before = current.replicas;
                  update.replicas_after = current.replicas;
                  ASSIGN_OR_RETURN(std::string body, ForceUpdateSpecBody(inspect_json));
                  return std::optional<std::string>(std::move(body));
                });
}

Result<std::string> SwarmClient::Logs(const std::string& service, int tail) {
  if (!IsValidContainerRef(service)) {
    return Status::InvalidArgument("not a service name or id: \"" + service + "\"");
  }
  ASSIGN_OR_RETURN(UnixHttpResponse response,
                   Expect("GET",
                          "/services/" + service +
                              "/logs?stdout=1&stderr=1&tail=" + std::to_string(std::max(tail, 0)),
                          {200}));
  return DemuxDockerLogs(response.body);
}

}  // namespace madre
