// The Docker Engine `/events` stream of one compose project's containers.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "base/time.h"

namespace madre {

struct DockerEvent {
  std::string
      action;  // start|die|stop|kill|restart|pause|unpause|create|destroy|health_status|oom|...
  std::string container_id;
  std::string container_name;    // without the leading '/'
  std::string service;           // label com.docker.compose.service ("" when absent)
  std::string project;           // label com.docker.compose.project
  std::optional<int> exit_code;  // die: Actor.Attributes.exitCode
  std::string health;            // health_status: healthy|unhealthy|starting
  TimePoint time{};              // from timeNano
  std::int64_t time_nano = 0;
  friend bool operator==(const DockerEvent&, const DockerEvent&) = default;
};

// Follows the stream on its own thread. The stream has no heartbeat: after a
// disconnect it reconnects with bounded back-off, asking `since=` the last
// event it saw so that nothing in between is lost.
class DockerEventSource {
 public:
  virtual ~DockerEventSource() = default;
  // Callbacks run on the source's thread. `on_state(true, ...)` after each
  // (re)connection, `on_state(false, why)` after each loss.
  virtual void Start(std::function<void(DockerEvent)> on_event,
                     std::function<void(bool connected, std::string detail)> on_state) = 0;
  // Stops and joins the thread; idempotent.
  virtual void Stop() = 0;
};

}  // namespace madre
