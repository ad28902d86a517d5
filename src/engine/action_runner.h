// Runs one planner Action against Docker. Called on worker threads.
#pragma once

#include <vector>

#include "core/planner.h"
#include "ports/compose_runner.h"
#include "ports/container_observer.h"

namespace madre {

struct ExecutedAction {
  ActionResult result;
  std::vector<DockerOp> ops;
};

// Start/stop/restart through compose, then observes the project so that each
// service's outcome is what Docker really shows (a container that exited right
// after `up` is a failure; a failed `stop` of a container that is down anyway
// is a success). Observe lists the project's containers.
ExecutedAction ExecuteAction(const Action& action, ComposeRunner& compose,
                             ContainerObserver& observer);

}  // namespace madre
