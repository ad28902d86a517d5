// Runs one planner Action against Docker. Called on worker threads.
#pragma once

#include <cstdint>
#include <functional>
#include <stop_token>
#include <vector>

#include "base/clock.h"
#include "core/planner.h"
#include "engine/cpu_quotas.h"
#include "engine/passed_checks.h"
#include "ports/compose_runner.h"
#include "ports/container_control.h"
#include "ports/container_exec.h"
#include "ports/container_observer.h"
#include "ports/image_inspector.h"
#include "ports/readiness_probe.h"

namespace madre {

struct ExecutedAction {
  ActionResult result;
  std::vector<DockerOp> ops;
};

struct ReadinessOptions {
  Duration default_timeout = Seconds(60);  // when a service has no vx11.health.timeout_sec
  Duration poll = Millis(250);             // between two looks at the containers
  // Between two looks when Docker's events are followed (ActionContext::wait_event) and every
  // service waited for is judged by its Docker healthcheck: an event of the project brings the
  // next look at once, this is only the fallback.
  Duration event_poll = Seconds(2);
  Duration probe_timeout = Seconds(1);
  // Between two looks at a healthcheck madre runs itself (ActionContext::exec) while it runs.
  Duration exec_poll = Millis(20);
  int log_lines = 20;  // of a failed service, in its error
};

// What an action needs from the world. Borrowed; thread-safe; outlives the action.
struct ActionContext {
  ComposeRunner& compose;
  ContainerObserver& observer;
  ReadinessProbe& probe;
  const Clock& clock;
  std::function<void(Duration)> sleep;
  const ServiceModel& model;
  ReadinessOptions readiness;
  // The fast path: existing containers are started and stopped through the
  // Engine API, in dependency order, in parallel within a level; compose only
  // creates what is missing and recreates a stopped container whose
  // com.docker.compose.config-hash differs from compose.ConfigHashes() (the
  // compose file changed since it was made). Null: everything goes through compose.
  ContainerControl* control = nullptr;
  // VX11_STOP_STRATEGY=pause (needs `control`): a stop pauses the containers and
  // a start unpauses them, for an instant re-open; memory stays in use.
  bool pause_on_stop = false;
  // Requested when madre shuts down: a readiness wait (and a start between two dependency
  // levels) gives up at its next look, with a "cancelled" failure, so that the workers can be
  // joined. `sleep` should return early on it too. Default: never requested.
  std::stop_token stop = {};
  // Per action: the containers of a start's services as the engine last saw them (created, none
  // running), so that the start needs no listing first; empty: the start lists the project. A
  // container that is gone by then (kNotFound) makes the start list and begin again.
  std::vector<ContainerState> known = {};
  // Docker's container events of the project, while the engine follows them (else both empty):
  // event_generation counts them, and wait_event(seen, max) returns once the count is no longer
  // `seen`, after `max`, or at the stop request. A readiness wait on Docker healthchecks waits
  // for an event between two looks instead of polling every `readiness.poll`.
  std::function<std::uint64_t()> event_generation = {};
  std::function<void(std::uint64_t seen, Duration max)> wait_event = {};
  // Readiness in seconds whatever the healthcheck interval (core/health_exec.h): a wait on a
  // Docker healthcheck also runs the container's own check through this, every
  // ReadinessSpec::exec_interval until its first pass. Null: only Docker's status counts.
  ContainerExec* exec = nullptr;
  // The container runs madre saw pass a check (engine/passed_checks.h): recorded by every
  // readiness wait that ends ready on a Docker healthcheck, read when a start unpauses a
  // container Docker never checked. Null: nothing remembered.
  PassedChecks* passed_checks = nullptr;
  // The image ids of services with `build:` (the Engine API): a stopped container of such a
  // service whose image id differs from its image's current one (built again since) is
  // outdated as well, and compose recreates it. Null: only the configuration hash counts.
  ImageInspector* images = nullptr;
  // VX11_STOP_STRATEGY=cpu_idle (needs `control` and `cpu`): a stop leaves a running container
  // running at the minimal CPU quota (CpuQuotas::Idle) instead; a start of an idled container
  // (shown in kIdledState) gives it its original quota back (CpuQuotas::Wake), as it starts a
  // stopped one that madre had idled. Without it, a stop stops an idled container too.
  bool cpu_idle_on_stop = false;
  // The CPU quotas madre keeps (engine/cpu_quotas.h); null: none (an idled container cannot be).
  CpuQuotas* cpu = nullptr;
};

// Start/stop (fast path when `control` is set, else compose)/restart (compose), then observes the
// project so that each service's outcome is what Docker really shows. A started service succeeds
// only once it is ready (core/readiness.h), unless the action skips health;
// one that exits, loops or times out fails with the reason and its last log
// lines. A failed `stop` of a container that is down anyway is a success.
// Observe lists the project's containers. An exception from below (a third-party library, a
// thread that cannot be made) stops here: the action fails with kInternal and the reason.
ExecutedAction ExecuteAction(const Action& action, ActionContext& context);

// The result of `action` failed as a whole: `status`, and every service failed with its message.
ActionResult FailedActionResult(const Action& action, Status status);

}  // namespace madre
