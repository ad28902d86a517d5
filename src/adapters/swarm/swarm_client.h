// The Swarm calls of the Engine API madre needs for one stack: list its services (with their
// task counts), scale one, force a restart of its tasks, its tasks and its logs. The requests
// go through a SwarmTransport, so tests answer them without a dockerd.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/docker/docker_api.h"
#include "adapters/docker/unix_http_client.h"
#include "adapters/swarm/swarm_parse.h"
#include "base/status.h"
#include "base/time.h"

namespace madre {

// Sends one request: `method` to `path` (after the API version prefix, e.g.
// "/services?status=true"), with a JSON body or none. Any HTTP status is an answer; errors are
// the transport's (kUnavailable, kDeadlineExceeded, kInternal).
using SwarmTransport = std::function<Result<UnixHttpResponse>(
    std::string_view method, const std::string& path, std::string_view json_body)>;

// The real transport: `api` (shared, outlives nothing) with `timeout` per request.
SwarmTransport DockerApiTransport(std::shared_ptr<DockerApi> api, Duration timeout);

// What one service update did.
struct SwarmUpdate {
  std::int64_t replicas_before = 0;
  std::int64_t replicas_after = 0;
  bool sent = false;  // false: the service was already as wanted, nothing was sent
  int attempts = 0;   // update requests sent (> 1 after version conflicts)
  // The label kReplicasLabel written by this update (the first scale-down), if any.
  std::optional<std::int64_t> label_written;
};

// Blocking; safe to use from any thread at once (no state beyond the transport). Errors:
// kNotFound for a service that is not deployed, kFailedPrecondition for a global service asked
// to scale, kUnavailable when version conflicts outlast the attempts, kInvalidArgument for a
// service name that cannot stand in a path, the transport's errors, kInternal for answers that
// cannot be understood.
class SwarmClient {
 public:
  // `stack`: the stack (com.docker.stack.namespace). `max_attempts`: update requests per
  // scale, counting the retries after a version conflict (>= 1).
  SwarmClient(std::string stack, SwarmTransport transport, int max_attempts = 4);

  const std::string& stack() const { return stack_; }
  // "<stack>_<service>".
  std::string SwarmName(std::string_view service) const;

  // GET /services?status=true filtered by the stack's label, exact names (ParseStackServices).
  Result<std::vector<SwarmService>> ListStackServices();
  // GET /services/{name or id}.
  Result<SwarmService> Inspect(const std::string& service);
  // GET /tasks of these services (one request); empty ids: no request, no tasks.
  Result<std::vector<SwarmTask>> Tasks(const std::vector<std::string>& service_ids);

  // GET /nodes (answered by a manager only).
  Result<std::vector<SwarmNode>> Nodes();

  // Scales `service` (swarm name or id) to `replicas`. A scale to 0 of a service that has no
  // kReplicasLabel yet and runs >= 1 replica writes its current count there, in the same
  // update. Already at `replicas`: nothing is sent.
  Result<SwarmUpdate> ScaleTo(const std::string& service, std::int64_t replicas);
  // Scales `service` up to its restore count (RestoreReplicas: the label, else its current
  // count when >= 1, else 1); one that runs more replicas already is left as it is.
  Result<SwarmUpdate> Restore(const std::string& service);
  // A forced update (TaskTemplate.ForceUpdate + 1): Swarm replaces every task; replicas stay.
  Result<SwarmUpdate> ForceUpdate(const std::string& service);

  // GET /services/{id}/logs?stdout=1&stderr=1&tail=N, demultiplexed.
  Result<std::string> Logs(const std::string& service, int tail);

 private:
  // Inspect, `make_body` (nullopt: nothing to do), POST update?version=V; on a version
  // conflict, again from a fresh inspect, up to max_attempts_ updates.
  using MakeBody = std::function<Result<std::optional<std::string>>(
      const SwarmService& service, std::string_view inspect_json, SwarmUpdate& update)>;
  Result<SwarmUpdate> Update(const std::string& service, const MakeBody& make_body);
  Result<UnixHttpResponse> Expect(std::string_view method, const std::string& path,
                                  std::initializer_list<long> ok, std::string_view body = {});

  std::string stack_;
  SwarmTransport transport_;
  int max_attempts_;
};

}  // namespace madre
