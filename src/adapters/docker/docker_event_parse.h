// Pure helpers of the Docker `/events` stream: decoding one event line, the request target,
// and splitting the chunked body into lines. No I/O, so they are unit-tested without a dockerd.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "ports/docker_event_source.h"

namespace madre {

// One line of GET /events (API 1.41, with the legacy `status`/`id`/`time` fields as fallback):
//   action          `Action` (else `status`), cut at the first ':'. So "health_status: healthy"
//                   gives action "health_status" and health "healthy", and
//                   "exec_start: /bin/sh -c ..." gives "exec_start".
//   container_id    `Actor.ID` (else `id`)
//   container_name  `Actor.Attributes.name` without a leading '/'
//   service/project the com.docker.compose.{service,project} labels ("" when absent)
//   exit_code       `Actor.Attributes.exitCode` of a `die` event (a string in the API)
//   time_nano/time  `timeNano` (else `time` in seconds)
// kInternal for text that is not a JSON object, an event without an action or a container id,
// or an event whose `Type` is present and is not "container". Never throws.
Result<DockerEvent> ParseDockerEvent(std::string_view line);

// One line of the events of a swarm stack (VX11_PROVIDER=swarm, docs/providers.md):
//   container events of the stack's tasks (label com.docker.stack.namespace=<stack>): decoded
//     as ParseDockerEvent does, with `service` the compose name (the label
//     com.docker.swarm.service.name without "<stack>_"), `project` the stack and `container_id`
//     the service id (label com.docker.swarm.service.id: what the provider's Logs and Evidence
//     take). A `destroy` is left out: Swarm removes a task's container when it trims the task
//     history, which says nothing about the service.
//   service events of "<stack>_<service>": action "service_" + Action (service_create,
//     service_update, service_remove), `container_id` the service id, `container_name` the
//     swarm name.
// nullopt for an event of another stack or project, an event of another type, or a container
// without the swarm labels; kInternal as ParseDockerEvent for a line that is not an event.
Result<std::optional<DockerEvent>> ParseStackEvent(std::string_view line, std::string_view stack);

// True for the exec_create / exec_start / exec_die / exec_detach actions that every run of a
// healthcheck produces: noise for the daemon.
bool IsExecAction(std::string_view action);

// The `filters` value (not yet percent-encoded) selecting container events of one compose
// project: {"label":["com.docker.compose.project=P"],"type":["container"]}. An empty project
// selects every container event.
std::string EventsFilter(std::string_view project);

// "1795489220.544480543": the `since`/`until` form of a nanosecond Unix time (9 digits).
std::string UnixSecondsWithNanos(std::int64_t time_nano);

// The `filters` value of a swarm stack's events: {"type":["container","service"]} (a label
// filter would drop the service events, which carry no labels; ParseStackEvent selects).
std::string StackEventsFilter();

// "/v1.41/events?filters=<encoded EventsFilter, or StackEventsFilter with `swarm_stack`>",
// plus "&since=<UnixSecondsWithNanos>" when `since_nano` is positive.
std::string EventsTarget(std::string_view project, std::int64_t since_nano,
                         bool swarm_stack = false);

// Cuts a byte stream into '\n'-terminated lines (a trailing '\r' is dropped; empty lines are
// skipped). A line longer than `max_line_bytes` is dropped whole, up to its newline, so one
// runaway line cannot grow memory without bound.
class LineSplitter {
 public:
  explicit LineSplitter(std::size_t max_line_bytes = 1 << 20) : max_line_bytes_(max_line_bytes) {}

  // Calls `on_line` for every line completed by `data`, in order.
  void Append(std::string_view data, const std::function<void(std::string_view)>& on_line);
  // Forgets a partial line (after a reconnection).
  void Reset();

 private:
  std::size_t max_line_bytes_;
  std::string partial_;
  bool discarding_ = false;  // inside an oversized line: drop bytes up to the next '\n'
};

}  // namespace madre
